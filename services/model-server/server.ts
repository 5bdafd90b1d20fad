/**
 * The reference inference server: Open Inference Protocol v2 over HTTP with real (small) models,
 * per-model fault injection and request statistics. Used by tests, the demo and benchmarks.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { ModelbridgeError } from '../../connectors/errors.ts';
import { handleAdmin } from './admin-routes.ts';
import type { ServerContext } from './context.ts';
import { createFaultRegistry } from './faults.ts';
import type { FaultRegistry } from './faults.ts';
import { HttpError } from './http-error.ts';
import { sendError } from './http-io.ts';
import { createEchoModel } from './models/echo.ts';
import type { Model } from './models/model.ts';
import { createOrderRiskModel } from './models/order-risk.ts';
import { createSentimentModel } from './models/sentiment.ts';
import { handleOip } from './oip-routes.ts';
import { handleRest } from './rest-routes.ts';
import { createServerStats } from './stats.ts';
import type { ServerStats } from './stats.ts';

/** Options of {@link createModelServer}; every field has a default. */
export interface ModelServerOptions {
  /** TCP port; 0 (default) picks a free one. */
  port?: number;
  /** Interface to listen on (default `127.0.0.1`). */
  host?: string;
  /** Models to serve (default: `sentiment`, `echo` and `order-risk`). */
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
}

/** A running (or startable) reference model server. */
export interface ModelServer {
  /** `http://host:port`, once started. */
  readonly url: string;
  /** The bound port, once started. */
  readonly port: number;
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
  const models = new Map((options.models ?? [createSentimentModel(), createEchoModel(), createOrderRiskModel()]).map((m) => [m.name, m]));
  const ctx: ServerContext = {
    models,
    faults: createFaultRegistry(now),
    stats: createServerStats(),
    maxBodyBytes: options.maxBodyBytes ?? 8 * 1024 * 1024,
    random: options.random ?? Math.random,
    now,
    sleep: options.sleep ?? ((ms, signal) => delay(ms, undefined, { signal })),
    closing: closing.signal,
  };
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
    },
    close() {
      closed ??= new Promise<void>((resolve, reject) => {
        closing.abort();
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
    else throw new HttpError(404, 'not found');
  } catch (error) {
    sendError(res, error instanceof URIError ? new HttpError(400, 'malformed URL') : error);
  }
}
