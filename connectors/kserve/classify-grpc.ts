/**
 * The one place where outcomes of an OIP v2 gRPC call become `ModelbridgeError`s: by gRPC status code
 * (one table), by the signal's reason for cancellations, never by message text.
 */
import { Metadata, status as Status } from '@grpc/grpc-js';
import { ModelbridgeError } from '../../schemas/errors.ts';
import type { ErrorCode } from '../../schemas/errors.ts';
import { parseRetryAfter, truncate } from '../http-client/errors.ts';

/**
 * Every non-OK status. Decisions beyond the obvious:
 * - UNIMPLEMENTED → INFERENCE_REJECTED: Triton maps its UNSUPPORTED (a feature or datatype the model's
 *   backend lacks) to it, and a wrong endpoint cannot succeed on retry either; the model may well exist.
 * - UNAUTHENTICATED / PERMISSION_DENIED → INFERENCE_UNAUTHORIZED (retryable), as HTTP 401/403 are: refused
 *   credentials are not the event's fault; the breaker opens and `ready()` (refused alike) keeps it open.
 * - ABORTED (a server-side conflict) and CANCELLED not caused by our signal → retryable, as UNAVAILABLE.
 */
const BY_CODE: Readonly<Record<number, ErrorCode>> = {
  [Status.CANCELLED]: 'INFERENCE_UNAVAILABLE',
  [Status.UNKNOWN]: 'INFERENCE_FAILED',
  [Status.INVALID_ARGUMENT]: 'INFERENCE_REJECTED',
  [Status.DEADLINE_EXCEEDED]: 'INFERENCE_TIMEOUT',
  [Status.NOT_FOUND]: 'MODEL_NOT_FOUND',
  [Status.ALREADY_EXISTS]: 'INFERENCE_REJECTED',
  [Status.PERMISSION_DENIED]: 'INFERENCE_UNAUTHORIZED',
  [Status.RESOURCE_EXHAUSTED]: 'INFERENCE_RATE_LIMITED',
  [Status.FAILED_PRECONDITION]: 'INFERENCE_REJECTED',
  [Status.ABORTED]: 'INFERENCE_UNAVAILABLE',
  [Status.OUT_OF_RANGE]: 'INFERENCE_REJECTED',
  [Status.UNIMPLEMENTED]: 'INFERENCE_REJECTED',
  [Status.INTERNAL]: 'INFERENCE_FAILED',
  [Status.UNAVAILABLE]: 'INFERENCE_UNAVAILABLE',
  [Status.DATA_LOSS]: 'INFERENCE_FAILED',
  [Status.UNAUTHENTICATED]: 'INFERENCE_UNAUTHORIZED',
};

const CODE_NAMES: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(Status).filter(([, value]) => typeof value === 'number').map(([name, value]) => [value, name]),
);

const MAX_SERVER_TEXT = 200;

/** The name of a gRPC status code (`UNAVAILABLE`), or `CODE_<n>` for one outside the spec. */
export function grpcCodeName(code: number): string {
  return CODE_NAMES[code] ?? `CODE_${code}`;
}

/**
 * A failed call. When `signal` aborted, its reason decides, whatever the status: a `DOMException` named
 * `TimeoutError` → `INFERENCE_TIMEOUT`, anything else (shutdown) → `ABORTED`. Otherwise the status code
 * decides; errors without one (never from grpc-js itself) are `INTERNAL`. A retry delay is read from
 * the `retry-after` (seconds or HTTP date) or `grpc-retry-pushback-ms` trailers.
 */
export function classifyGrpcError(label: string, error: unknown, signal: AbortSignal | undefined, now = Date.now()): ModelbridgeError {
  if (signal?.aborted) {
    const reason: unknown = signal.reason;
    if (reason instanceof DOMException && reason.name === 'TimeoutError') {
      return new ModelbridgeError('INFERENCE_TIMEOUT', `${label}: timed out`, { cause: reason });
    }
    return new ModelbridgeError('ABORTED', `${label}: aborted`, { cause: reason });
  }
  const { code, details, metadata } = (error ?? {}) as { code?: unknown; details?: unknown; metadata?: unknown };
  if (typeof code !== 'number') {
    const message = error instanceof Error ? error.message : String(error);
    return new ModelbridgeError('INTERNAL', `${label}: ${message}`, { cause: error });
  }
  const name = grpcCodeName(code);
  const errorCode = BY_CODE[code] ?? 'INFERENCE_FAILED';
  const text = typeof details === 'string' ? truncate(details, MAX_SERVER_TEXT) : '';
  const retryAfterMs =
    errorCode === 'INFERENCE_RATE_LIMITED' || errorCode === 'INFERENCE_UNAVAILABLE' ? retryDelay(metadata, now) : undefined;
  return new ModelbridgeError(errorCode, `${label}: gRPC ${name}${text ? `: ${text}` : ''}`, {
    cause: error,
    upstreamStatus: name,
    retryAfterMs,
  });
}

/** An OK answer that breaks the protocol. */
export function grpcBadResponse(label: string, detail: string, cause?: unknown): ModelbridgeError {
  return new ModelbridgeError('INFERENCE_BAD_RESPONSE', `${label}: ${detail}`, { upstreamStatus: 'OK', cause });
}

function retryDelay(metadata: unknown, now: number): number | undefined {
  const pushback = first(metadata, 'grpc-retry-pushback-ms');
  if (pushback !== undefined && /^\d+$/.test(pushback.trim())) return Number(pushback.trim());
  return parseRetryAfter(first(metadata, 'retry-after'), now);
}

/** A trailer's first value, from grpc-js `Metadata` or a plain header record (grpc-transport.ts). */
function first(metadata: unknown, key: string): string | undefined {
  if (metadata instanceof Metadata) {
    const value = metadata.get(key)[0];
    return typeof value === 'string' ? value : value?.toString('utf8');
  }
  if (typeof metadata !== 'object' || metadata === null) return undefined;
  const value = (metadata as Record<string, unknown>)[key];
  const text = Array.isArray(value) ? (value[0] as unknown) : value;
  return typeof text === 'string' ? text : undefined;
}
