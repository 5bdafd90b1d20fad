/**
 * The HTTP transport of the inference clients: undici's dispatcher API on a keep-alive connection
 * pool of the client's own. Each call is one small handler object that collects the body's chunks;
 * there is no `Readable` body stream, no `fetch` Request/Response/Headers and no web stream on the hot
 * path, and the call's signal is listened to once, by that handler. Redirects are not followed (a
 * redirected POST would silently turn into a GET). Errors are undici's own (network codes,
 * `UND_ERR_*`), and an abort rejects with the signal's reason, so `classifyThrown` in errors.ts
 * classifies both alike.
 */
import { Agent, errors } from 'undici';
import type { Dispatcher } from 'undici';

export interface HttpAnswer {
  readonly status: number;
  /** A response header (lower-case name), its first value. */
  header(name: string): string | undefined;
  /** The body as UTF-8, or `undefined` when it exceeded the limit (the connection is then closed). */
  readonly text: string | undefined;
}

export interface HttpCall {
  readonly method?: 'GET' | 'POST' | 'PUT';
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string | undefined;
  readonly signal: AbortSignal;
}

export interface HttpTransport {
  request(url: string, call: HttpCall): Promise<HttpAnswer>;
  close(): Promise<void>;
}

export interface HttpTransportOptions {
  /** Largest response body read, in bytes. */
  readonly maxResponseBytes: number;
  /** Connections per origin; the worker's concurrency bounds how many are used. Default 256. */
  readonly connections?: number;
}

/** URLs parsed once per transport; more (a URL per event) are parsed per call. */
const MAX_CACHED_URLS = 64;

type Target = { readonly origin: string; readonly path: string };

export function createHttpTransport(options: HttpTransportOptions): HttpTransport {
  const limit = options.maxResponseBytes;
  const agent = new Agent({ connections: options.connections ?? 256, keepAliveTimeout: 30_000, keepAliveMaxTimeout: 120_000 });

  // A client calls a few fixed URLs (infer, ready, metadata): each is parsed once into what the
  // dispatcher takes.
  const targets = new Map<string, Target>();
  function targetOf(url: string): Target | undefined {
    const cached = targets.get(url);
    if (cached !== undefined) return cached;
    const target = parseTarget(url);
    if (target !== undefined && targets.size < MAX_CACHED_URLS) targets.set(url, target);
    return target;
  }

  return {
    request(url, call) {
      const target = targetOf(url);
      // What undici's own request() throws for a URL it cannot send.
      if (target === undefined) return Promise.reject(new errors.InvalidArgumentError(`invalid URL: ${url}`));
      return new Promise<HttpAnswer>((resolve, reject) => {
        const handler = new CallHandler(call.signal, limit, resolve, reject);
        if (handler.settled) return;
        agent.dispatch({ origin: target.origin, path: target.path, method: call.method ?? 'GET', headers: call.headers, body: call.body }, handler);
      });
    },
    close: () => agent.close(),
  };
}

/** Origin and path of an http(s) URL, or undefined for anything else. */
function parseTarget(url: string): Target | undefined {
  if (!URL.canParse(url)) return undefined;
  const parsed = new URL(url);
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return undefined;
  return { origin: parsed.origin, path: parsed.search ? `${parsed.pathname}${parsed.search}` : parsed.pathname };
}

/** Thrown into a call whose body passed the limit: aborts the connection (the answer is already given). */
const TOO_LARGE = new Error('response body over the limit');

/**
 * One call's handler: undici calls it as the request starts, the head arrives, each body chunk and the
 * end (or an error). It settles the call's promise once, with itself as the answer (no further object
 * per call); whatever undici reports after that (the error of an abort it caused) is ignored.
 */
class CallHandler implements Dispatcher.DispatchHandler, HttpAnswer {
  settled = false;
  status = 0;
  text: string | undefined;
  private controller: Dispatcher.DispatchController | undefined;
  private headers: Record<string, string | string[] | undefined> = {};
  private chunks: Buffer[] = [];
  private size = 0;

  private readonly signal: AbortSignal;
  private readonly limit: number;
  private readonly resolve: (answer: HttpAnswer) => void;
  private readonly reject: (error: unknown) => void;

  constructor(signal: AbortSignal, limit: number, resolve: (answer: HttpAnswer) => void, reject: (error: unknown) => void) {
    this.signal = signal;
    this.limit = limit;
    this.resolve = resolve;
    this.reject = reject;
    if (signal.aborted) this.fail(signal.reason);
    else signal.addEventListener('abort', this);
  }

  header(name: string): string | undefined {
    return first(this.headers[name]);
  }

  /** The signal's abort: the call rejects now; the request is aborted now or, if still queued, as it starts. */
  handleEvent(): void {
    this.fail(this.signal.reason);
    this.controller?.abort(this.signal.reason);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    // Settled before it started: only the signal's abort does that.
    if (this.settled) controller.abort(this.signal.reason);
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    this.status = statusCode;
    this.headers = headers;
    const declared = Number(first(headers['content-length']) ?? Number.NaN);
    if (declared > this.limit) this.giveUp(controller);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.settled) return;
    this.size += chunk.length;
    if (this.size > this.limit) this.giveUp(controller);
    else this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    if (this.settled) return;
    const chunks = this.chunks;
    const text = chunks.length === 1 ? chunks[0]!.toString('utf8') : chunks.length === 0 ? '' : Buffer.concat(chunks, this.size).toString('utf8');
    this.succeed(text);
  }

  onResponseError(_controller: Dispatcher.DispatchController | null, error: Error): void {
    this.fail(error);
  }

  /** Over the limit: answered without a text, and the connection closed rather than read to the end. */
  private giveUp(controller: Dispatcher.DispatchController): void {
    this.chunks = [];
    this.succeed(undefined);
    controller.abort(TOO_LARGE);
  }

  private succeed(text: string | undefined): void {
    if (this.settled) return;
    this.done();
    this.text = text;
    this.resolve(this);
  }

  private fail(error: unknown): void {
    if (this.settled) return;
    this.done();
    this.reject(error);
  }

  private done(): void {
    this.settled = true;
    this.signal.removeEventListener('abort', this);
  }
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
