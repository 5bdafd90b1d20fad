/**
 * What every HTTP inference client does the same way around its protocol: the configured headers
 * (lower-cased) with JSON `accept`/`content-type`, a keep-alive pool of its own unless one is injected,
 * thrown errors (network failures, aborts) classified with the client's label, and an idempotent close
 * after which calls fail with ABORTED.
 */
import { ModelbridgeError } from '../../schemas/errors.ts';
import { classifyThrown } from './errors.ts';
import { createHttpTransport } from './transport.ts';
import type { HttpAnswer, HttpCall, HttpTransport } from './transport.ts';

export interface HttpEndpointOptions {
  /** Prefix of every error message: `<kind> <model>[:<version>]`. */
  readonly label: string;
  /** Headers sent on every call (names in any case; sent lower-cased). */
  readonly headers: Readonly<Record<string, string>>;
  /** Largest response body read, in bytes (for a pool of the endpoint's own). */
  readonly maxResponseBytes: number;
  /** Default: a keep-alive connection pool of this endpoint's own, closed with it. */
  readonly transport?: HttpTransport | undefined;
}

export interface HttpEndpoint {
  readonly label: string;
  /** The configured headers plus `accept: application/json`. */
  readonly getHeaders: Readonly<Record<string, string>>;
  /** {@link getHeaders} plus `content-type: application/json`. */
  readonly postHeaders: Readonly<Record<string, string>>;
  readonly closed: boolean;
  /** Throws ABORTED once the endpoint is closed. */
  assertOpen(): void;
  /** One call; a thrown error becomes a `ModelbridgeError` by {@link classifyThrown}. */
  request(url: string, call: HttpCall): Promise<HttpAnswer>;
  /** Closes the pool when it is the endpoint's own. Idempotent. */
  close(): Promise<void>;
}

export function createHttpEndpoint(options: HttpEndpointOptions): HttpEndpoint {
  const { label } = options;
  const http = options.transport ?? createHttpTransport({ maxResponseBytes: options.maxResponseBytes });
  const custom = Object.fromEntries(Object.entries(options.headers).map(([name, value]) => [name.toLowerCase(), value]));
  const getHeaders = { ...custom, accept: 'application/json' };
  const postHeaders = { ...getHeaders, 'content-type': 'application/json' };
  let closed = false;

  return {
    label,
    getHeaders,
    postHeaders,
    get closed() {
      return closed;
    },
    assertOpen() {
      if (closed) throw new ModelbridgeError('ABORTED', `${label}: client closed`);
    },
    async request(url, call) {
      try {
        return await http.request(url, call);
      } catch (error) {
        throw classifyThrown(label, error, call.signal);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      if (!options.transport) await http.close();
    },
  };
}
