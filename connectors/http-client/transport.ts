/**
 * The HTTP transport of the inference clients: undici's dispatcher API on a keep-alive connection
 * pool of the client's own. Each call is one small handler object that collects the body's chunks;
 * there is no `Readable` body stream, no `fetch` Request/Response/Headers and no web stream on the hot
 * path, and the call's signal is listened to once, by that handler. Redirects are not followed (a
 * redirected POST would silently turn into a GET). Errors are undici's own (network codes,
 * `UND_ERR_*`), and an abort rejects with the signal's reason, so `classifyThrown` in errors.ts
 * classifies both alike.
 */
import { Agent, request } from 'undici';
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
    let target = targets.get(url);
    if (target === undefined && targets.size < MAX_CACHED_URLS && URL.canParse(url)) {
      const parsed = new URL(url);
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return undefined;
      target = { origin: parsed.origin, path: parsed.search ? `${parsed.pathname}${parsed.search}` : parsed.pathname };
      targets.set(url, target);
    }
    return target;
  }

  return {
    request(url, call) {
      const target = targetOf(url);
      // Anything not cached (a malformed URL included) goes through request() and fails as undici says.
      if (target === undefined) return requestUncached(agent, url, call, limit);
      return new Promise<HttpAnswer>((resolve, reject) => {
        const handler = new CallHandler(call.signal, limit, resolve, reject);
        if (handler.settled) return;
        agent.dispatch({ origin: target.origin, path: target.path, method: call.method ?? 'GET', headers: call.headers, body: call.body }, handler);
      });
    },
    close: () => agent.close(),
  };
}

/** Thrown into a call whose body passed the limit: aborts the connection (the answer is already given). */
const TOO_LARGE = new Error('response body over the limit');

/**
 * One call's handler: undici calls it as the request starts, the head arrives, each body chunk and the
 * end (or an error). It settles the call's promise once; whatever undici reports after that (the
 * error of an abort it caused) is ignored.
 */
class CallHandler implements Dispatcher.DispatchHandler {
  settled = false;
  private controller: Dispatcher.DispatchController | undefined;
  private status = 0;
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

  /** The signal's abort: the call rejects now; the request is aborted now or, if still queued, as it starts. */
  handleEvent(): void {
    this.fail(this.signal.reason);
    this.controller?.abort(this.signal.reason);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.settled) controller.abort(this.signal.reason ?? TOO_LARGE);
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
    const headers = this.headers;
    this.resolve({ status: this.status, header: (name) => first(headers[name]), text });
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

/** A URL not in the cache: undici's request() parses it (and rejects what it cannot send). */
async function requestUncached(agent: Agent, url: string, call: HttpCall, limit: number): Promise<HttpAnswer> {
  const response = await request(url, { method: call.method ?? 'GET', headers: call.headers, body: call.body, signal: call.signal, dispatcher: agent });
  const headers = response.headers;
  const chunks: Buffer[] = [];
  let size = 0;
  let text: string | undefined;
  for await (const chunk of response.body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      response.body.on('error', ignore).destroy();
      break;
    }
    chunks.push(chunk);
  }
  if (size <= limit) text = Buffer.concat(chunks, size).toString('utf8');
  return { status: response.statusCode, header: (name) => first(headers[name]), text };
}

function ignore(): void {}
