/**
 * The reference inference server: Open Inference Protocol v2 over HTTP with real (small) models,
 * per-model fault injection and request statistics. Used by tests, the demo and benchmarks.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { ModelbridgeError } from '../../schemas/errors.ts';
import { handleAdmin } from './admin-routes.ts';
import type { ServerContext } from './context.ts';
import { createFaultRegistry } from './faults.ts';
import { createGrpcEndpoint } from './grpc-server.ts';
import type { GrpcTlsOptions } from './grpc-server.ts';
import type { FaultRegistry } from './faults.ts';
import { HttpError } from './http-error.ts';
import { sendError } from './http-io.ts';
import { createEchoModel } from './models/echo.ts';
import { createItemCategoryModel } from './models/item-category.ts';
import type { Model } from './models/model.ts';
import { createOrderRiskModel } from './models/order-risk.ts';
import { createSentimentModel } from './models/sentiment.ts';
import { handleOip } from './oip-routes.ts';
import { handleRest } from './rest-routes.ts';
import { handleOpenai } from './openai-routes.ts';
import { createScheduler } from './scheduler.ts';
import type { Scheduler, SchedulingOptions } from './scheduler.ts';
import { createServerStats } from './stats.ts';
import type { ServerStats } from './stats.ts';

/** Options of {@link createModelServer}; every field has a default. */
export interface ModelServerOptions {
  /** TCP port; 0 (default) picks a free one. */
  port?: number;
  /** Interface to listen on (default `127.0.0.1`). */
  host?: string;
  /** Models to serve (default: `sentiment`, `echo`, `order-risk` and `item-category`). */
  models?: readonly Model[];
  /** Largest accepted request body in bytes (default 8 MiB); larger ones get 413. */
  maxBodyBytes?: number;
  /** Idle keep-alive connection timeout in milliseconds (default 65 s, longer than clients' pools). */
  keepAliveTimeoutMs?: number;
  /** Randomness for error rates and latency ranges (default `Math.random`). */
  random?: () => number;
  /** Clock for not-ready deadlines (default `Date.now`). */
  now?: () => number;
  /** Latency injection (default: a timer that aborts with `signal`). */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Port of the OIP v2 gRPC endpoint on the same host; 0 (default) picks a free one, `false` disables it. */
  grpcPort?: number | false;
  /** TLS (and, with `clientCa`, mutual TLS) of the gRPC endpoint; plaintext when absent. */
  grpcTls?: GrpcTlsOptions;
  /** Per-model queue and dynamic batching (like Triton's), by model name; absent: run at once, unbounded. */
  scheduling?: Readonly<Record<string, SchedulingOptions>>;
}

/** A running (or startable) reference model server. */
export interface ModelServer {
  /** `http://host:port`, once started. */
  readonly url: string;
  /** The bound port, once started. */
  readonly port: number;
  /** `host:port` of the gRPC endpoint, once started (throws when it is disabled). */
  readonly grpcUrl: string;
  /** Listens; resolves once bound. */
  start(): Promise<void>;
  /** Stops listening and destroys every connection, hanging ones included. Idempotent. */
  close(): Promise<void>;
  readonly faults: FaultRegistry;
  readonly stats: ServerStats;
}

/** Creates a model server; nothing listens until `start()`. */
export function createModelServer(options: ModelServerOptions = {}): ModelServer {
  const host = options.host ?? '127.0.0.1';
  const now = options.now ?? Date.now;
  const closing = new AbortController();
  const schedulers = new Map<string, Scheduler>();
  const models = new Map((options.models ?? [createSentimentModel(), createEchoModel(), createOrderRiskModel(), createItemCategoryModel()]).map((m) => [m.name, m]));
  const ctx: ServerContext = {
    models,
    faults: createFaultRegistry(now),
    stats: createServerStats(),
    maxBodyBytes: options.maxBodyBytes ?? 8 * 1024 * 1024,
    random: options.random ?? Math.random,
    now,
    sleep: options.sleep ?? ((ms, signal) => delay(ms, undefined, { signal })),
    closing: closing.signal,
    schedulers,
  };
  for (const [name, scheduling] of Object.entries(options.scheduling ?? {})) {
    const model = models.get(name);
    if (!model) throw new ModelbridgeError('CONFIG_INVALID', `scheduling: no model ${name}`);
    schedulers.set(name, createScheduler(model, scheduling, ctx));
  }
  const grpc = options.grpcPort === false ? undefined : createGrpcEndpoint(ctx, options.grpcTls);
  let grpcPort: number | undefined;
  const server = createServer({ keepAliveTimeout: options.keepAliveTimeoutMs ?? 65_000 }, (req, res) => route(ctx, req, res));
  let address: AddressInfo | undefined;
  let closed: Promise<void> | undefined;

  const bound = (): AddressInfo => {
    if (!address) throw new ModelbridgeError('INTERNAL', 'model server is not started');
    return address;
  };

  return {
    get url() {
      const { address: ip, family, port } = bound();
      return `http://${family === 'IPv6' ? `[${ip}]` : ip}:${port}`;
    },
    get port() {
      return bound().port;
    },
    get grpcUrl() {
      if (grpcPort === undefined) throw new ModelbridgeError('INTERNAL', 'the gRPC endpoint is not started');
      const ip = bound().address;
      return `${ip.includes(':') ? `[${ip}]` : ip}:${grpcPort}`;
    },
    faults: ctx.faults,
    stats: ctx.stats,
    async start() {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(options.port ?? 0, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      address = server.address() as AddressInfo;
      if (grpc) grpcPort = await grpc.start(host, options.grpcPort || 0);
    },
    close() {
      closed ??= new Promise<void>((resolve, reject) => {
        closing.abort();
        grpc?.close();
        if (!server.listening) return resolve();
        server.close((error) => (error ? reject(error) : resolve()));
        // close() alone waits for in-flight (and hanging) requests; tests must end.
        server.closeAllConnections();
      });
      return closed;
    },
  };
}

function route(ctx: ServerContext, req: IncomingMessage, res: ServerResponse): void {
  try {
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    const segments = (query === -1 ? url : url.slice(0, query)).split('/').filter(Boolean).map(decodeURIComponent);
    if (segments[0] === 'v2') handleOip(ctx, req, res, segments.slice(1));
    else if (segments[0] === 'admin') handleAdmin(ctx, req, res, segments.slice(1));
    else if (segments[0] === 'rest') handleRest(ctx, req, res, segments.slice(1));
    else if (segments[0] === 'v1') handleOpenai(ctx, req, res, segments.slice(1));
    else throw new HttpError(404, 'not found');
  } catch (error) {
    sendError(res, error instanceof URIError ? new HttpError(400, 'malformed URL') : error);
  }
}
