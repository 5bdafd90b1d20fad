/**
 * The one place where HTTP answers of a plain REST model become `ModelbridgeError`s. Thrown errors
 * (network failures, aborts) are classified by the shared {@link classifyThrown}.
 */
import { ModelbridgeError } from '../errors.ts';
import type { ErrorCode } from '../errors.ts';
import { parseRetryAfter, truncate } from '../http-common.ts';

export { classifyThrown } from '../http-common.ts';

/**
 * Statuses with a specific meaning; others fall back by class (4xx rejected, 5xx failed, anything
 * else — a redirect, which is never followed — a bad response). 401/403 are not retryable: the
 * same credentials would be refused again; the message says so and the dead letter keeps the status.
 */
const BY_STATUS: Readonly<Record<number, ErrorCode>> = {
  400: 'INFERENCE_REJECTED',
  401: 'INFERENCE_REJECTED',
  403: 'INFERENCE_REJECTED',
  404: 'MODEL_NOT_FOUND',
  408: 'INFERENCE_TIMEOUT',
  422: 'INFERENCE_REJECTED',
  429: 'INFERENCE_RATE_LIMITED',
  500: 'INFERENCE_FAILED',
  502: 'INFERENCE_UNAVAILABLE',
  503: 'INFERENCE_UNAVAILABLE',
  504: 'INFERENCE_TIMEOUT',
};

const MAX_SERVER_TEXT = 300;
const MAX_DETAILS = 3;

/**
 * A non-2xx answer. `body` is the raw response text (undefined when it was too large to read); a
 * FastAPI `detail` (string, or the validation error list as `loc: msg`) is quoted, else the raw text.
 * `Retry-After` is read on 429 and 503.
 */
export function classifyStatus(label: string, status: number, body: string | undefined, retryAfter: string | null, now = Date.now()): ModelbridgeError {
  const code: ErrorCode =
    BY_STATUS[status] ?? (status >= 500 ? 'INFERENCE_FAILED' : status >= 400 ? 'INFERENCE_REJECTED' : 'INFERENCE_BAD_RESPONSE');
  const auth = status === 401 || status === 403 ? ' (credentials refused: check backend.headers)' : '';
  const text = body === undefined ? '' : truncate(detailText(body), MAX_SERVER_TEXT);
  const message = `${label}: HTTP ${status}${auth}${text ? `: ${text}` : ''}`;
  const retryAfterMs = code === 'INFERENCE_RATE_LIMITED' || code === 'INFERENCE_UNAVAILABLE' ? parseRetryAfter(retryAfter, now) : undefined;
  return new ModelbridgeError(code, message, { upstreamStatus: status, retryAfterMs });
}

/** A 2xx answer that is not what a REST model must send (too large, not JSON, not an object). */
export function badResponse(label: string, status: number, detail: string, cause?: unknown): ModelbridgeError {
  return new ModelbridgeError('INFERENCE_BAD_RESPONSE', `${label}: ${detail}`, { upstreamStatus: status, cause });
}

/**
 * FastAPI error bodies: `{"detail": "text"}` (HTTPException) or `{"detail": [{loc, msg, type}]}`
 * (request validation). Also `{"error": "text"}` (OIP-style servers); else the raw text.
 */
function detailText(body: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return body; // Not JSON (a proxy's HTML page, say): quote the raw text.
  }
  if (typeof parsed !== 'object' || parsed === null) return body;
  const { detail, error } = parsed as { detail?: unknown; error?: unknown };
  if (typeof detail === 'string') return detail;
  if (Array.isArray(detail)) {
    const items = detail.slice(0, MAX_DETAILS).map(validationItem);
    const more = detail.length > MAX_DETAILS ? `; and ${detail.length - MAX_DETAILS} more` : '';
    return items.join('; ') + more;
  }
  return typeof error === 'string' ? error : body;
}

function validationItem(item: unknown): string {
  if (typeof item !== 'object' || item === null) return String(item);
  const { loc, msg } = item as { loc?: unknown; msg?: unknown };
  const where = Array.isArray(loc) ? loc.map(String).join('.') : '';
  const what = typeof msg === 'string' ? msg : JSON.stringify(item);
  return where ? `${where}: ${what}` : what;
}
