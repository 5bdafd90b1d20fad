/**
 * The one place where non-2xx answers of a KServe v2 HTTP call become `ModelbridgeError`s. Statuses mean
 * what they mean to every HTTP client (`HTTP_STATUS_CODES` in `../http-client/errors.ts`); network failures and
 * aborts are classified by the shared `classifyThrown`.
 */
import { ModelbridgeError } from '../../schemas/errors.ts';
import { codeForStatus, parseRetryAfter, truncate } from '../http-client/errors.ts';

export { badResponse, classifyThrown, parseRetryAfter } from '../http-client/errors.ts';

const MAX_SERVER_TEXT = 200;

/** Context for messages: `kserve-http model[:version]`. */
export type CallLabel = string;

/**
 * A non-2xx answer. `body` is the raw response text (undefined when it was too large to read); its OIP
 * `error` field is quoted, truncated. `Retry-After` is read for overload and unavailability.
 */
export function classifyStatus(label: CallLabel, status: number, body: string | undefined, retryAfter: string | null, now = Date.now()): ModelbridgeError {
  const code = codeForStatus(status);
  const text = body === undefined ? '' : truncate(serverErrorText(body), MAX_SERVER_TEXT);
  const message = `${label}: HTTP ${status}${text ? `: ${text}` : ''}`;
  const retryAfterMs = code === 'INFERENCE_RATE_LIMITED' || code === 'INFERENCE_UNAVAILABLE' ? parseRetryAfter(retryAfter, now) : undefined;
  return new ModelbridgeError(code, message, { upstreamStatus: status, retryAfterMs });
}

/** The `error` text of an OIP error body, or the raw text when it is not JSON. */
function serverErrorText(body: string): string {
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed === 'object' && parsed !== null && typeof (parsed as { error?: unknown }).error === 'string') {
      return (parsed as { error: string }).error;
    }
  } catch {
    // Not JSON (a proxy's HTML page, say): quote the raw text.
  }
  return body;
}
