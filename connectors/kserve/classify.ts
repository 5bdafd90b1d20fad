/**
 * The one place where outcomes of a KServe v2 HTTP call become `ModelbridgeError`s: HTTP statuses,
 * network failures (by error `code`, walking `cause`) and aborts (by the signal's reason).
 */
import { ModelbridgeError } from '../errors.ts';
import type { ErrorCode } from '../errors.ts';

/** Statuses with a specific meaning; others fall back by class (4xx rejected, 5xx failed). */
const BY_STATUS: Readonly<Record<number, ErrorCode>> = {
  400: 'INFERENCE_REJECTED',
  404: 'MODEL_NOT_FOUND',
  408: 'INFERENCE_TIMEOUT',
  422: 'INFERENCE_REJECTED',
  429: 'INFERENCE_RATE_LIMITED',
  500: 'INFERENCE_FAILED',
  502: 'INFERENCE_UNAVAILABLE',
  503: 'INFERENCE_UNAVAILABLE',
  504: 'INFERENCE_TIMEOUT',
};

/**
 * Network failures by `code` (Node system errors and undici's `UND_ERR_*`). Any other error carrying
 * a system `syscall` is also treated as the backend being unreachable.
 */
const BY_NETWORK_CODE: Readonly<Record<string, ErrorCode>> = {
  ECONNREFUSED: 'INFERENCE_UNAVAILABLE',
  ECONNRESET: 'INFERENCE_UNAVAILABLE',
  ECONNABORTED: 'INFERENCE_UNAVAILABLE',
  EPIPE: 'INFERENCE_UNAVAILABLE',
  ETIMEDOUT: 'INFERENCE_UNAVAILABLE',
  EHOSTUNREACH: 'INFERENCE_UNAVAILABLE',
  ENETUNREACH: 'INFERENCE_UNAVAILABLE',
  ENETDOWN: 'INFERENCE_UNAVAILABLE',
  ENOTFOUND: 'INFERENCE_UNAVAILABLE',
  EAI_AGAIN: 'INFERENCE_UNAVAILABLE',
  UND_ERR_SOCKET: 'INFERENCE_UNAVAILABLE',
  UND_ERR_CLOSED: 'INFERENCE_UNAVAILABLE',
  UND_ERR_CONNECT_TIMEOUT: 'INFERENCE_UNAVAILABLE',
  UND_ERR_HEADERS_TIMEOUT: 'INFERENCE_TIMEOUT',
  UND_ERR_BODY_TIMEOUT: 'INFERENCE_TIMEOUT',
};

const MAX_SERVER_TEXT = 200;

/** Context for messages: `kserve-http model[:version]`. */
export type CallLabel = string;

/** A non-2xx answer. `body` is the raw response text; its OIP `error` field is quoted, truncated. */
export function classifyStatus(label: CallLabel, status: number, body: string, retryAfter: string | null, now = Date.now()): ModelbridgeError {
  const code: ErrorCode =
    BY_STATUS[status] ?? (status >= 500 ? 'INFERENCE_FAILED' : status >= 400 ? 'INFERENCE_REJECTED' : 'INFERENCE_BAD_RESPONSE');
  const text = serverErrorText(body);
  const message = `${label}: HTTP ${status}${text ? `: ${text}` : ''}`;
  const retryAfterMs = code === 'INFERENCE_RATE_LIMITED' || code === 'INFERENCE_UNAVAILABLE' ? parseRetryAfter(retryAfter, now) : undefined;
  return new ModelbridgeError(code, message, { upstreamStatus: status, retryAfterMs });
}

/**
 * A thrown error from fetch or from reading the body. When `signal` aborted, its reason decides: a
 * `DOMException` named `TimeoutError` (what `AbortSignal.timeout()` produces; the worker's per-attempt
 * timeout must abort with such a reason) → `INFERENCE_TIMEOUT`; any other reason (shutdown) → `ABORTED`.
 */
export function classifyThrown(label: CallLabel, error: unknown, signal: AbortSignal): ModelbridgeError {
  if (signal.aborted) {
    const reason: unknown = signal.reason;
    if (reason instanceof DOMException && reason.name === 'TimeoutError') {
      return new ModelbridgeError('INFERENCE_TIMEOUT', `${label}: timed out`, { cause: reason });
    }
    return new ModelbridgeError('ABORTED', `${label}: aborted`, { cause: reason });
  }
  const networkCode = findNetworkCode(error);
  if (networkCode !== undefined) {
    const code = BY_NETWORK_CODE[networkCode] ?? 'INFERENCE_UNAVAILABLE';
    return new ModelbridgeError(code, `${label}: ${networkCode}`, { cause: error, upstreamStatus: networkCode });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new ModelbridgeError('INTERNAL', `${label}: ${message}`, { cause: error });
}

/** A 2xx answer whose body does not follow the protocol. */
export function badResponse(label: CallLabel, status: number, detail: string, cause?: unknown): ModelbridgeError {
  return new ModelbridgeError('INFERENCE_BAD_RESPONSE', `${label}: ${detail}`, { upstreamStatus: status, cause });
}

/** `Retry-After` as milliseconds: delay-seconds or an HTTP date (RFC 9110 §10.2.3); undefined when absent or invalid. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // Every HTTP-date form starts with a day name; Date.parse alone would read "-5" as a year.
  if (!/^[A-Za-z]{3}/.test(trimmed)) return undefined;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The `error` text of an OIP error body (or the raw text when it is not JSON), truncated. */
function serverErrorText(body: string): string {
  let text = body;
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed === 'object' && parsed !== null && typeof (parsed as { error?: unknown }).error === 'string') {
      text = (parsed as { error: string }).error;
    }
  } catch {
    // Not JSON (a proxy's HTML page, say): quote the raw text.
  }
  text = text.trim();
  return text.length > MAX_SERVER_TEXT ? `${text.slice(0, MAX_SERVER_TEXT)}…` : text;
}

/** The first network error code in the `cause` chain (and in `AggregateError`s, from dual-stack connects). */
function findNetworkCode(error: unknown, depth = 0): string | undefined {
  if (depth > 8 || typeof error !== 'object' || error === null) return undefined;
  const { code, syscall, cause } = error as { code?: unknown; syscall?: unknown; cause?: unknown };
  if (typeof code === 'string' && (Object.hasOwn(BY_NETWORK_CODE, code) || typeof syscall === 'string')) return code;
  if (error instanceof AggregateError) {
    for (const inner of error.errors) {
      const found = findNetworkCode(inner, depth + 1);
      if (found !== undefined) return found;
    }
  }
  return findNetworkCode(cause, depth + 1);
}
