/**
 * The one place where HTTP answers of a plain REST model become `ModelbridgeError`s. Statuses mean what
 * they mean to every HTTP client (`HTTP_STATUS_CODES` in `../http-client/errors.ts`: 401/403 are
 * INFERENCE_UNAUTHORIZED, held like an outage, with a hint in the message to check the credentials);
 * thrown errors (network failures, aborts) are classified by the shared `classifyThrown`.
 */
import { ModelbridgeError } from '../../schemas/errors.ts';
import { codeForStatus, parseRetryAfter, truncate } from '../http-client/errors.ts';

export { badResponse, classifyThrown } from '../http-client/errors.ts';

const MAX_SERVER_TEXT = 300;
const MAX_DETAILS = 3;

/**
 * A non-2xx answer. `body` is the raw response text (undefined when it was too large to read); a
 * FastAPI `detail` (string, or the validation error list as `loc: msg`) is quoted, else the raw text.
 * `Retry-After` is read on 429 and 503.
 */
export function classifyStatus(label: string, status: number, body: string | undefined, retryAfter: string | null, now = Date.now()): ModelbridgeError {
  const code = codeForStatus(status);
  const auth = status === 401 || status === 403 ? ' (credentials refused: check backend.headers)' : '';
  const text = body === undefined ? '' : truncate(detailText(body), MAX_SERVER_TEXT);
  const message = `${label}: HTTP ${status}${auth}${text ? `: ${text}` : ''}`;
  const retryAfterMs = code === 'INFERENCE_RATE_LIMITED' || code === 'INFERENCE_UNAVAILABLE' ? parseRetryAfter(retryAfter, now) : undefined;
  return new ModelbridgeError(code, message, { upstreamStatus: status, retryAfterMs });
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
