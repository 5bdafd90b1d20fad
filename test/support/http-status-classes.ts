/**
 * The status tables the HTTP inference clients' classifiers (rest and kserve-http) share, for
 * `it.each`: how an HTTP status maps to an error class and whether it is retryable, and how a
 * Retry-After header becomes `retryAfterMs`.
 */

/** The fixed "now" the Retry-After cases are read against (an HTTP date is relative to it). */
export const CLASSIFY_NOW = Date.parse('2026-01-01T00:00:00Z');

/** `[status, code, retryable]`: the class every HTTP inference client gives these statuses. */
export const HTTP_STATUS_CLASSES = [
  [400, 'INFERENCE_REJECTED', false],
  [401, 'INFERENCE_UNAUTHORIZED', true],
  [403, 'INFERENCE_UNAUTHORIZED', true],
  [404, 'MODEL_NOT_FOUND', false],
  [408, 'INFERENCE_TIMEOUT', true],
  [422, 'INFERENCE_REJECTED', false],
  [429, 'INFERENCE_RATE_LIMITED', true],
  [500, 'INFERENCE_FAILED', true],
  [501, 'INFERENCE_FAILED', true],
  [502, 'INFERENCE_UNAVAILABLE', true],
  [503, 'INFERENCE_UNAVAILABLE', true],
  [504, 'INFERENCE_TIMEOUT', true],
  [302, 'INFERENCE_BAD_RESPONSE', false],
] as const;

/**
 * `[status, Retry-After, retryAfterMs]`: seconds or an HTTP date (against {@link CLASSIFY_NOW}) are
 * honoured on 429, 502 and 503 only.
 */
export const RETRY_AFTER_CASES = [
  [429, '3', 3000],
  [503, 'Thu, 01 Jan 2026 00:00:10 GMT', 10_000],
  [502, '1', 1000],
  [400, '3', undefined],
  [500, '3', undefined],
] as const;
