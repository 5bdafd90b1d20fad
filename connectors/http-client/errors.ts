/**
 * What every HTTP inference client shares about failures: the statuses every HTTP protocol means
 * alike, classification of thrown errors from the undici transport (network failures by error `code`,
 * aborts by the signal's reason) and `Retry-After` parsing. Each client's own `classify.ts` adds what
 * its protocol means differently (and reads its error bodies).
 */
import { ModelbridgeError } from '../../schemas/errors.ts';
import type { ErrorCode } from '../../schemas/errors.ts';

/**
 * HTTP statuses with the same meaning for every protocol; {@link codeForStatus} falls back by class.
 * 401/403 → INFERENCE_UNAUTHORIZED (retryable): refused credentials are not a property of the event.
 * Dead-lettering every event until someone fixes the secret would be wrong; instead the breaker opens
 * and `ready()` (refused alike) keeps it open, so intake pauses and events are held, as in an outage.
 */
export const HTTP_STATUS_CODES: Readonly<Record<number, ErrorCode>> = {
  400: 'INFERENCE_REJECTED',
  401: 'INFERENCE_UNAUTHORIZED',
  403: 'INFERENCE_UNAUTHORIZED',
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
 * The code of a non-2xx `status`: from `table` (default {@link HTTP_STATUS_CODES}), else by class —
 * other 4xx rejected, other 5xx failed, anything else (a redirect, never followed) a bad response.
 */
export function codeForStatus(status: number, table: Readonly<Record<number, ErrorCode>> = HTTP_STATUS_CODES): ErrorCode {
  return table[status] ?? (status >= 500 ? 'INFERENCE_FAILED' : status >= 400 ? 'INFERENCE_REJECTED' : 'INFERENCE_BAD_RESPONSE');
}

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

/**
 * A thrown error from the request or from reading the body, `label` prefixing the message. When `signal`
 * aborted, its reason decides: a `DOMException` named `TimeoutError` (what `AbortSignal.timeout()`
 * produces; the worker's per-attempt timeout aborts with such a reason) → `INFERENCE_TIMEOUT`; any
 * other reason (shutdown) → `ABORTED`. Network errors by code; anything else is a bug → `INTERNAL`.
 */
export function classifyThrown(label: string, error: unknown, signal: AbortSignal): ModelbridgeError {
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

/** A 2xx answer whose body does not follow the protocol (too large, not JSON, wrong shape). */
export function badResponse(label: string, status: number, detail: string, cause?: unknown): ModelbridgeError {
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

/** `text` trimmed and cut to `max` characters, with an ellipsis when cut. */
export function truncate(text: string, max: number): string {
  const trimmed = text.trim();
  return trimmed.length > max ? `${trimmed.slice(0, max)}…` : trimmed;
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
