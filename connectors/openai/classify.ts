/**
 * The one place where non-2xx answers of OpenAI-compatible servers become `ModelbridgeError`s. Network
 * failures and aborts are classified by the shared `classifyThrown` of `../http-client/errors.ts` (same transport,
 * same rules).
 *
 * Error envelopes read (for the message and the envelope code, never classified by text):
 * - OpenAI, vLLM ≥ 0.10.1, Ollama: `{"error": {"message", "type", "param", "code"}}`
 * - older vLLM: `{"object": "error", "message", "type", "param", "code"}`
 * - TGI: `{"error": "…", "error_type": "…"}`, and the flat `{"error": "…"}` of many proxies
 */
import { ERROR_CODES, ModelbridgeError } from '../../schemas/errors.ts';
import type { ErrorCode } from '../../schemas/errors.ts';
import { codeForStatus, HTTP_STATUS_CODES, parseRetryAfter } from '../http-client/errors.ts';

/**
 * Where OpenAI-compatible servers differ from `HTTP_STATUS_CODES` (in `../http-client/errors.ts`, which all HTTP
 * clients share: 401/403 → INFERENCE_UNAUTHORIZED, held like an outage, since a bad or rotated API key
 * is not a property of the event). `status:envelope-code` keys are looked up first. Decisions:
 * - 400 `context_length_exceeded` → INFERENCE_REJECTED, never retried: the same prompt cannot fit later.
 * - 413 → INFERENCE_REJECTED: the request is too large, and will be again.
 * - 424 (TGI GenerationError) → INFERENCE_FAILED, retryable like a 500.
 * Unlisted statuses fall back by class: other 4xx rejected, other 5xx failed.
 */
const BY_STATUS: Readonly<Record<string, ErrorCode>> = {
  ...HTTP_STATUS_CODES,
  '400:context_length_exceeded': 'INFERENCE_REJECTED',
  '413': 'INFERENCE_REJECTED',
  '424': 'INFERENCE_FAILED',
};

const MAX_SERVER_TEXT = 200;

/** What an error body says, whichever envelope it uses. */
export interface ErrorEnvelope {
  readonly message: string | undefined;
  readonly type: string | undefined;
  /** OpenAI's string code (`context_length_exceeded`); vLLM's numeric code (the status) is dropped. */
  readonly code: string | undefined;
}

/** Response headers that carry a retry hint. */
export interface RetryHeaders {
  readonly retryAfter: string | null;
  /** OpenAI's `retry-after-ms`, more precise than `retry-after` when both are present. */
  readonly retryAfterMs: string | null;
}

/** A non-2xx answer. `body` is the raw response text. */
export function classifyStatus(label: string, status: number, body: string, headers: RetryHeaders, now = Date.now()): ModelbridgeError {
  const envelope = parseErrorEnvelope(body);
  const code: ErrorCode = (envelope.code === undefined ? undefined : BY_STATUS[`${status}:${envelope.code}`]) ?? codeForStatus(status, BY_STATUS);
  let text = envelope.message ?? body.trim();
  if (text.length > MAX_SERVER_TEXT) text = `${text.slice(0, MAX_SERVER_TEXT)}…`;
  const kind = envelope.code ?? envelope.type;
  const message = `${label}: HTTP ${status}${kind ? ` ${kind}` : ''}${text ? `: ${text}` : ''}`;
  const retryAfterMs = ERROR_CODES[code].retryable ? retryDelay(headers, now) : undefined;
  return new ModelbridgeError(code, message, { upstreamStatus: status, retryAfterMs });
}

/** Reads any of the known error envelopes; fields absent (or the body not JSON) are undefined. */
export function parseErrorEnvelope(body: string): ErrorEnvelope {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { message: undefined, type: undefined, code: undefined };
  }
  if (!isObject(parsed)) return { message: undefined, type: undefined, code: undefined };
  const nested = parsed.error;
  if (isObject(nested)) return { message: str(nested.message), type: str(nested.type), code: str(nested.code) };
  if (typeof nested === 'string') return { message: nested, type: str(parsed.error_type), code: undefined };
  return { message: str(parsed.message), type: str(parsed.type), code: str(parsed.code) };
}

/** `retry-after-ms` (milliseconds) when valid, else `Retry-After` (seconds or an HTTP date). */
function retryDelay(headers: RetryHeaders, now: number): number | undefined {
  const ms = headers.retryAfterMs === null ? Number.NaN : Number(headers.retryAfterMs.trim());
  if (headers.retryAfterMs !== null && headers.retryAfterMs.trim() !== '' && Number.isFinite(ms) && ms >= 0) return ms;
  return parseRetryAfter(headers.retryAfter, now);
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
