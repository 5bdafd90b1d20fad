/**
 * Unary gRPC calls over Node's own HTTP/2 client (gRPC over HTTP/2 as the protocol specifies it:
 * PROTOCOL-HTTP2.md of grpc/grpc), for the OIP v2 client. @grpc/grpc-js's client stack spends about
 * twice the CPU of an undici HTTP/1.1 request per unary call (interceptors, resolving, retrying and
 * load-balancing call layers, channelz, metadata objects); what the inference client needs of it —
 * one request message, one response message, status and trailers, deadlines, cancellation, TLS, keep
 * alive — is small. Measured on the benchmark's echo call, one client process at 256 calls in flight:
 * see BENCHMARKS.md ("gRPC options").
 *
 * A transport holds `channels` HTTP/2 sessions to one target and spreads calls over them in turn. A
 * session is opened on first use and replaced once it closes, errors or receives GOAWAY (calls in
 * flight on it finish or fail on their own). While calls are in flight, each session is pinged every
 * `keepaliveMs` and destroyed when the answer does not come within `keepaliveTimeoutMs`.
 *
 * A call's outcome is its response message or a {@link GrpcCallError} carrying a gRPC status code,
 * its message and the trailers; failures below gRPC (refused connections, TLS, resets) are
 * UNAVAILABLE, as grpc-js reports them.
 */
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { connect, constants } from 'node:http2';
import type { ClientHttp2Session, ClientHttp2Stream, IncomingHttpHeaders, IncomingHttpStatusHeader, SecureClientSessionOptions } from 'node:http2';
import { status as Status } from '@grpc/grpc-js';
import type { GrpcTlsConfig } from '../../schemas/connector-config.ts';
import { FRAME_HEADER_BYTES } from './grpc-codec.ts';

/** A call that ended with a non-OK gRPC status (set by the server, or by the transport below gRPC). */
export class GrpcCallError extends Error {
  override readonly name = 'GrpcCallError';
  readonly code: number;
  readonly details: string;
  /** Trailers (or headers of a trailers-only answer), lower-case names. */
  readonly metadata: Readonly<Record<string, string | string[] | undefined>>;
  constructor(code: number, details: string, metadata: Readonly<Record<string, string | string[] | undefined>> = {}, cause?: unknown) {
    super(details, cause === undefined ? undefined : { cause });
    this.code = code;
    this.details = details;
    this.metadata = metadata;
  }
}

/** The answer's message was larger than `maxResponseBytes`; it was not read. */
export class GrpcResponseTooLarge extends Error {
  override readonly name = 'GrpcResponseTooLarge';
}

/** An answer that breaks gRPC's framing (several messages, a compressed one we never asked for). */
export class GrpcFramingError extends Error {
  override readonly name = 'GrpcFramingError';
}

export interface GrpcTransportOptions {
  /** `host:port`. */
  readonly target: string;
  readonly tls?: GrpcTlsConfig | undefined;
  /** Largest response message read. */
  readonly maxResponseBytes: number;
  /** HTTP/2 sessions to the target, used in turn. Default 1. */
  readonly channels?: number;
  /** Ping interval while calls are in flight. Default 60 s (servers with gRPC's default policy accept it). */
  readonly keepaliveMs?: number;
  readonly keepaliveTimeoutMs?: number;
  /** Metadata of every call: lower-case names, ASCII values (checked by {@link checkMetadata}). */
  readonly metadata?: Readonly<Record<string, string>>;
}

export interface GrpcCall {
  /** `/package.Service/Method`. */
  readonly path: string;
  /** The request as one frame: 5-byte header, then the message (see grpc-codec.ts). */
  readonly frame: Buffer;
  /** A `traceparent` for this call (checked by {@link checkMetadata}). */
  readonly traceparent?: string | undefined;
  readonly signal: AbortSignal;
  /** Epoch ms; sent as `grpc-timeout` and enforced here too. */
  readonly deadline?: number | undefined;
}

export interface GrpcTransport {
  /** The response message, or rejects: {@link GrpcCallError}, {@link GrpcResponseTooLarge}, {@link GrpcFramingError}, or the signal's abort (as an `AbortError`). */
  unary(call: GrpcCall): Promise<Buffer>;
  close(): void;
}

const {
  HTTP2_HEADER_METHOD,
  HTTP2_HEADER_PATH,
  HTTP2_HEADER_SCHEME,
  HTTP2_HEADER_AUTHORITY,
  HTTP2_HEADER_CONTENT_TYPE,
  HTTP2_HEADER_TE,
  HTTP2_HEADER_USER_AGENT,
  NGHTTP2_CANCEL,
  NGHTTP2_REFUSED_STREAM,
  NGHTTP2_ENHANCE_YOUR_CALM,
  NGHTTP2_INADEQUATE_SECURITY,
} = constants;

const REQUEST_OPTIONS = { endStream: false } as const;

/** Times a call is sent again after the server refused its stream unprocessed. */
const MAX_REFUSALS = 5;

/** Reserved names a configured header may not take: HTTP/2 and gRPC's own. */
const RESERVED = new Set(['content-type', 'te', 'user-agent', 'host', 'connection', 'transfer-encoding', 'upgrade', 'keep-alive', 'proxy-connection']);

/**
 * Why a metadata entry cannot be sent, or undefined when it can: names are lower-case tokens, not
 * reserved, not binary (`-bin`, which would need base64 of bytes); values printable ASCII.
 */
export function checkMetadata(name: string, value: string): string | undefined {
  if (!/^[0-9a-z_.-]+$/.test(name)) return `header name ${name} must be lower-case letters, digits, "_", "-" or "."`;
  if (RESERVED.has(name) || name.startsWith('grpc-')) return `header ${name} is reserved by gRPC`;
  if (name.endsWith('-bin')) return `binary header ${name} is not supported`;
  if (!/^[\x20-\x7e]*$/.test(value)) return `header ${name} must be printable ASCII`;
  return undefined;
}

/** HTTP statuses of non-gRPC answers as gRPC codes (gRPC's http-grpc-status-mapping.md). */
function codeForHttpStatus(status: number): number {
  switch (status) {
    case 400:
      return Status.INTERNAL;
    case 401:
      return Status.UNAUTHENTICATED;
    case 403:
      return Status.PERMISSION_DENIED;
    case 404:
      return Status.UNIMPLEMENTED;
    case 429:
    case 502:
    case 503:
    case 504:
      return Status.UNAVAILABLE;
    default:
      return Status.UNKNOWN;
  }
}

/** A stream the server reset without a status, by its RST_STREAM code (as grpc-js reads it). */
function codeForReset(rstCode: number | undefined): number {
  switch (rstCode) {
    case NGHTTP2_REFUSED_STREAM:
      return Status.UNAVAILABLE;
    case NGHTTP2_CANCEL:
      return Status.CANCELLED;
    case NGHTTP2_ENHANCE_YOUR_CALM:
      return Status.RESOURCE_EXHAUSTED;
    case NGHTTP2_INADEQUATE_SECURITY:
      return Status.PERMISSION_DENIED;
    default:
      return Status.INTERNAL;
  }
}

/** `grpc-timeout`: at most 8 digits, in the finest unit that fits. */
function grpcTimeout(ms: number): string {
  if (ms < 100_000_000) return `${ms}m`;
  const seconds = Math.ceil(ms / 1000);
  return seconds < 100_000_000 ? `${seconds}S` : `${Math.min(99_999_999, Math.ceil(seconds / 3600))}H`;
}

/** `grpc-message` is percent-encoded (non-ASCII bytes as UTF-8). */
function decodeMessage(value: string | string[] | undefined): string {
  const text = Array.isArray(value) ? value[0] : value;
  if (!text) return '';
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

interface Session {
  readonly http2: ClientHttp2Session;
  /** Calls in flight on it. */
  active: number;
  /** Closing, closed or told to go away: takes no new calls. */
  retired: boolean;
  /** Streams opened; a session is retired before client stream ids (31 bits, odd) run out. */
  opened: number;
}

const MAX_STREAMS_PER_SESSION = 1_000_000_000;

export function createGrpcTransport(options: GrpcTransportOptions): GrpcTransport {
  const { target, tls, maxResponseBytes } = options;
  const channels = Math.max(1, options.channels ?? 1);
  const keepaliveMs = options.keepaliveMs ?? 60_000;
  const keepaliveTimeoutMs = options.keepaliveTimeoutMs ?? 20_000;
  const authority = tls?.serverName ?? target;
  const slots: Array<Session | undefined> = new Array(channels);
  let turn = 0;
  let closed = false;
  const sessionOptions = connectOptions(tls);
  const origin = `${tls ? 'https' : 'http'}://${target}`;
  const metadata = Object.entries(options.metadata ?? {}).flat();
  const byPath = new Map<string, readonly string[]>();
  /** Every header of a call to `path` but the per-call ones, built once per method. */
  const baseHeaders = (path: string): readonly string[] => {
    let list = byPath.get(path);
    if (list === undefined) {
      list = [
        HTTP2_HEADER_METHOD, 'POST',
        HTTP2_HEADER_SCHEME, tls ? 'https' : 'http',
        HTTP2_HEADER_PATH, path,
        HTTP2_HEADER_AUTHORITY, authority,
        HTTP2_HEADER_CONTENT_TYPE, 'application/grpc',
        HTTP2_HEADER_TE, 'trailers',
        HTTP2_HEADER_USER_AGENT, 'modelbridge-grpc',
        ...metadata,
      ];
      byPath.set(path, list);
    }
    return list;
  };

  const open = (): Session => {
    const http2 = connect(origin, sessionOptions);
    const session: Session = { http2, active: 0, retired: false, opened: 0 };
    const retire = (): void => {
      session.retired = true;
    };
    // Errors reach the calls through their streams; the session only has to be replaced.
    http2.on('error', retire);
    http2.on('goaway', retire);
    http2.on('close', retire);
    const keepalive = setInterval(() => {
      if (session.active === 0 || session.retired) return;
      const timeout = setTimeout(() => http2.destroy(), keepaliveTimeoutMs);
      const sent = http2.ping((error) => {
        clearTimeout(timeout);
        if (error) http2.destroy();
      });
      if (!sent) clearTimeout(timeout);
    }, keepaliveMs);
    keepalive.unref();
    http2.once('close', () => clearInterval(keepalive));
    // Idle sessions do not keep the process alive; streams in flight ref it themselves.
    http2.unref();
    return session;
  };

  const pick = (): Session => {
    const index = turn;
    turn = (turn + 1) % channels;
    let session = slots[index];
    if (session === undefined || session.retired || session.opened >= MAX_STREAMS_PER_SESSION) {
      if (session && !session.retired) {
        session.retired = true;
        session.http2.close();
      }
      session = slots[index] = open();
    }
    return session;
  };

  return {
    unary(call) {
      return new Promise<Buffer>((resolve, reject) => {
        if (closed) return reject(new GrpcCallError(Status.UNAVAILABLE, 'channel closed'));
        const { signal, deadline } = call;
        // Raw header pairs: the shared list of the method, plus this call's timeout and trace context.
        let headers = baseHeaders(call.path);
        let remaining: number | undefined;
        if (deadline !== undefined) {
          remaining = Math.ceil(deadline - Date.now());
          if (remaining <= 0) return reject(new GrpcCallError(Status.DEADLINE_EXCEEDED, 'deadline passed before the call'));
          headers = headers.concat('grpc-timeout', grpcTimeout(remaining));
        }
        if (call.traceparent !== undefined) headers = headers.concat('traceparent', call.traceparent);

        let settled = false;
        let stream: ClientHttp2Stream | undefined;
        let session: Session | undefined;
        let timer: NodeJS.Timeout | undefined;
        const release = (): void => {
          if (session !== undefined && --session.active === 0) session.http2.unref();
          session = undefined;
        };
        const finish = (error: Error | undefined, message?: Buffer): void => {
          if (settled) return;
          settled = true;
          if (timer !== undefined) clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          release();
          if (error) reject(error);
          else resolve(message!);
        };
        const cancel = (error: Error): void => {
          if (stream !== undefined && !stream.closed) stream.close(NGHTTP2_CANCEL);
          finish(error);
        };
        const onAbort = (): void => cancel(signal.reason instanceof Error ? signal.reason : new DOMException('aborted', 'AbortError'));
        signal.addEventListener('abort', onAbort, { once: true });
        if (remaining !== undefined) timer = setTimeout(() => cancel(new GrpcCallError(Status.DEADLINE_EXCEEDED, 'Deadline exceeded')), remaining);

        /** One stream; a stream the server refused unprocessed (REFUSED_STREAM) is sent again, as gRPC's transparent retry. */
        const attempt = (refusals: number): void => {
          const current = pick();
          let opened: ClientHttp2Stream;
          try {
            opened = current.http2.request(headers as string[], REQUEST_OPTIONS);
          } catch (error) {
            current.retired = true;
            return finish(new GrpcCallError(Status.UNAVAILABLE, (error as Error).message, {}, error));
          }
          stream = opened;
          session = current;
          current.opened++;
          if (current.active++ === 0) current.http2.ref();

          let httpStatus = 0;
          let grpcAnswer = true;
          let head: IncomingHttpHeaders | undefined;
          let trailers: IncomingHttpHeaders | undefined;
          let streamError: Error | undefined;
          let first: Buffer | undefined;
          let chunks: Buffer[] | undefined;
          let received = 0;
          let declared = -1;

          opened.on('response', (response: IncomingHttpHeaders & IncomingHttpStatusHeader) => {
            head = response;
            httpStatus = response[':status'] ?? 0;
            const type = response['content-type'];
            grpcAnswer = httpStatus === 200 && typeof type === 'string' && type.startsWith('application/grpc');
          });
          opened.on('data', (chunk: Buffer) => {
            // The body of an answer that is not gRPC (a proxy's error page) is not read.
            if (settled || !grpcAnswer) return;
            received += chunk.length;
            if (first === undefined) first = chunk;
            else (chunks ??= [first]).push(chunk);
            if (declared < 0 && received >= FRAME_HEADER_BYTES) {
              // The length prefix is known: refuse a message too large before reading it on.
              declared = (chunks === undefined ? first : Buffer.concat(chunks, received)).readUInt32BE(1);
              if (declared > maxResponseBytes) {
                return cancel(new GrpcResponseTooLarge(`answer of ${declared} bytes is larger than the configured maxResponseBytes (${maxResponseBytes})`));
              }
            }
            if (declared >= 0 && received > FRAME_HEADER_BYTES + declared) cancel(new GrpcFramingError('answer holds more than one message'));
          });
          opened.on('trailers', (response: IncomingHttpHeaders) => {
            trailers = response;
          });
          opened.on('error', (error: Error) => {
            streamError = error;
          });
          opened.on('close', () => {
            if (settled || stream !== opened) return;
            const status = trailers?.['grpc-status'] ?? head?.['grpc-status'];
            if (status === undefined) {
              if (httpStatus === 0 && opened.rstCode === NGHTTP2_REFUSED_STREAM && refusals < MAX_REFUSALS) {
                release();
                return attempt(refusals + 1);
              }
              if (httpStatus !== 0 && httpStatus !== 200) {
                return finish(new GrpcCallError(codeForHttpStatus(httpStatus), `HTTP status ${httpStatus} without a gRPC status`, head ?? {}));
              }
              const detail = streamError?.message ?? `stream closed (HTTP/2 code ${opened.rstCode ?? 'none'}) without a gRPC status`;
              // The connection gone (refused, reset, TLS) is UNAVAILABLE; a stream the server reset is read by its code.
              const code = current.http2.destroyed ? Status.UNAVAILABLE : codeForReset(opened.rstCode);
              return finish(new GrpcCallError(code, detail, {}, streamError));
            }
            const code = Number(status);
            const metadata = trailers ?? head ?? {};
            if (code !== Status.OK) return finish(new GrpcCallError(Number.isInteger(code) ? code : Status.UNKNOWN, decodeMessage(metadata['grpc-message']), metadata));
            const body = chunks === undefined ? first : Buffer.concat(chunks, received);
            if (body === undefined || body.length < FRAME_HEADER_BYTES) return finish(new GrpcFramingError('OK status without a response message'));
            if (body[0] !== 0) return finish(new GrpcFramingError('response message is compressed, but no compression was negotiated'));
            const length = body.readUInt32BE(1);
            if (body.length !== FRAME_HEADER_BYTES + length) {
              return finish(new GrpcFramingError(`response frame declares ${length} bytes, ${body.length - FRAME_HEADER_BYTES} arrived`));
            }
            finish(undefined, body.subarray(FRAME_HEADER_BYTES));
          });
          opened.end(call.frame);
        };
        attempt(0);
      });
    },

    close() {
      closed = true;
      for (const session of slots) {
        if (session && !session.http2.destroyed) session.http2.destroy();
      }
    },
  };
}

/** TLS settings of the sessions: the CA (system CAs when absent), client certificate, server name. */
function connectOptions(tls: GrpcTlsConfig | undefined): SecureClientSessionOptions {
  const base: SecureClientSessionOptions = { settings: { enablePush: false } };
  if (tls === undefined) return base;
  const name = tls.serverName;
  return {
    ...base,
    ALPNProtocols: ['h2'],
    ...(tls.ca === undefined ? {} : { ca: tls.ca }),
    ...(tls.cert === undefined ? {} : { cert: tls.cert, key: tls.key }),
    ...(name === undefined
      ? {}
      : { servername: name, checkServerIdentity: (_host: string, cert: PeerCertificate) => checkServerIdentity(name, cert) }),
  };
}
