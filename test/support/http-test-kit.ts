/**
 * Scaffolding shared by the inference client tests (rest, kserve-http, kserve-grpc, openai): the
 * reference model server's lifecycle, bare node:http servers for answers it never gives, a port
 * nothing listens on, the options of a live call and the capture of a rejection's error.
 *
 * Every helper that creates a resource registers its cleanup in the same call.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, onTestFinished } from 'vitest';
import { findModelbridgeError } from '../../schemas/errors.ts';
import type { ModelbridgeError } from '../../schemas/errors.ts';
import { createModelServer } from '../../services/model-server/server.ts';
import type { ModelServer, ModelServerOptions } from '../../services/model-server/server.ts';

/**
 * The reference model server for the enclosing file or `describe`: started before its tests, closed
 * after them, and with its faults cleared and its stats reset after each test. Call it at collection
 * time (module top level or a `describe` body); `url` and `grpcUrl` can be read once the tests run.
 */
export function useModelServer(options?: ModelServerOptions): ModelServer {
  const server = createModelServer(options);
  beforeAll(() => server.start());
  afterAll(() => server.close());
  afterEach(() => {
    server.faults.clear();
    server.stats.reset();
  });
  return server;
}

/** A bare server started by {@link rawServer}. */
export interface RawServer {
  /** `http://127.0.0.1:<port>` followed by the requested path. */
  url: string;
  /** How many connections it accepted so far. */
  connections: () => number;
}

/**
 * A bare node:http server on 127.0.0.1 for answers the model server never gives, running `handler`.
 * Its `url` ends in `path`. Call it inside a test: it is closed, with every connection it holds,
 * when the test finishes.
 */
export async function rawServer(handler: RequestListener, path = ''): Promise<RawServer> {
  const raw = createServer(handler);
  let connections = 0;
  raw.on('connection', () => connections++);
  onTestFinished(() => new Promise<void>((resolve) => raw.close(() => resolve()).closeAllConnections()));
  await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(raw.address() as AddressInfo).port}${path}`, connections: () => connections };
}

/** A request listener that reads the whole request body as UTF-8, then hands it to `handler`. */
export function withBody(handler: (req: IncomingMessage, res: ServerResponse, body: string) => void): RequestListener {
  return (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => handler(req, res, Buffer.concat(chunks).toString('utf8')));
  };
}

/** A raw server answering every request with `status`, `body` and `headers` (JSON by default). */
export function answering(status: number, body: string | Buffer, headers: Record<string, string> = {}, path = ''): Promise<RawServer> {
  return rawServer((req, res) => {
    req.resume();
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(body);
  }, path);
}

/** A `127.0.0.1:<port>` nothing listens on (bound, then closed again before it returns). */
export async function closedPort(): Promise<string> {
  const probe = createNetServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return `127.0.0.1:${port}`;
}

/** An `http://` URL, ending in `path`, whose port nobody listens on: a connection to it is refused. */
export async function closedPortUrl(path = ''): Promise<string> {
  return `http://${await closedPort()}${path}`;
}

/** The `ModelbridgeError` a promise rejects with; fails when it resolves or rejects with anything else. */
export async function failure(promise: Promise<unknown>): Promise<ModelbridgeError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  const found = findModelbridgeError(error);
  if (!found) throw new Error('expected a ModelbridgeError', { cause: error });
  return found;
}

/** Options of a live call: a generous timeout that never fires in a passing test. */
export const live = () => ({ signal: AbortSignal.timeout(10_000) });
