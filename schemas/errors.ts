/**
 * The project's one error class and its closed list of codes. The `retryable` flag is set where the
 * error arises (in the decoder, the client's classification table, the sink) and read everywhere else.
 * Never classify by message text.
 */

/** Pipeline stage at which a message failed. */
export type Stage = 'receive' | 'decode' | 'validate' | 'map' | 'infer' | 'publish';

export const ERROR_CODES = {
  /** Message larger than `source.maxMessageBytes`. */
  MESSAGE_TOO_LARGE: { retryable: false, stage: 'receive' },
  /** Message has no value (tombstone) where an event was expected. */
  EMPTY_MESSAGE: { retryable: false, stage: 'decode' },
  /** Content type the configured decoder does not read. */
  UNSUPPORTED_CONTENT_TYPE: { retryable: false, stage: 'decode' },
  /** Bytes are not valid UTF-8 / JSON. */
  MALFORMED_PAYLOAD: { retryable: false, stage: 'decode' },
  /** Input refused for safety: XML with a DTD or entities, nesting or expansion beyond the limits. */
  UNSAFE_PAYLOAD: { retryable: false, stage: 'decode' },
  /** A Salesforce CDC gap event (no field values), configured to be dead-lettered. */
  GAP_EVENT: { retryable: false, stage: 'decode' },
  /** A Salesforce CDC overflow event (too many changes in one transaction), configured to be dead-lettered. */
  OVERFLOW_EVENT: { retryable: false, stage: 'decode' },
  /** Decoded, but not a valid event of the configured format (missing id, bad CloudEvent attributes). */
  INVALID_EVENT: { retryable: false, stage: 'validate' },
  /** The request or response mapping failed for this event (missing field, wrong type). */
  MAPPING_FAILED: { retryable: false, stage: 'map' },
  /** Backend rejected the request as invalid (HTTP 400/422, gRPC INVALID_ARGUMENT). */
  INFERENCE_REJECTED: { retryable: false, stage: 'infer' },
  /**
   * The backend refused our credentials (HTTP 401/403, gRPC UNAUTHENTICATED/PERMISSION_DENIED): not the
   * event's fault — treated like an outage: the breaker opens, intake pauses, events are held, not
   * dead-lettered.
   */
  INFERENCE_UNAUTHORIZED: { retryable: true, stage: 'infer' },
  /** Model or version unknown to the backend (HTTP 404, gRPC NOT_FOUND). */
  MODEL_NOT_FOUND: { retryable: false, stage: 'infer' },
  /** Backend answered with a body that does not match the protocol. */
  INFERENCE_BAD_RESPONSE: { retryable: false, stage: 'infer' },
  /** The call exceeded its timeout (client-side or DEADLINE_EXCEEDED). */
  INFERENCE_TIMEOUT: { retryable: true, stage: 'infer' },
  /** Backend unreachable or unavailable (refused, reset, HTTP 502/503/504, gRPC UNAVAILABLE). */
  INFERENCE_UNAVAILABLE: { retryable: true, stage: 'infer' },
  /** Backend overloaded (HTTP 429, gRPC RESOURCE_EXHAUSTED). */
  INFERENCE_RATE_LIMITED: { retryable: true, stage: 'infer' },
  /** Backend failed with an internal error (HTTP 500, gRPC INTERNAL/UNKNOWN). */
  INFERENCE_FAILED: { retryable: true, stage: 'infer' },
  /** The breaker is open; the call was not made. Never dead-lettered: the worker holds the message. */
  BREAKER_OPEN: { retryable: true, stage: 'infer' },
  /** The broker refused or failed to confirm a publish. */
  PUBLISH_FAILED: { retryable: true, stage: 'publish' },
  /** The published message is larger than the sink accepts. */
  PUBLISH_TOO_LARGE: { retryable: false, stage: 'publish' },
  /**
   * The broker refused our credentials when connecting (SASL, the AMQP login, a client certificate it maps
   * to no user). A start-up error: the worker does not start, since no retry fixes a wrong password.
   */
  BROKER_AUTH_FAILED: { retryable: false, stage: 'receive' },
  /**
   * TLS with the broker failed: its certificate is not trusted or does not match its address, it refused
   * ours, or the port does not speak TLS. A start-up error, like BROKER_AUTH_FAILED.
   */
  BROKER_TLS_FAILED: { retryable: false, stage: 'receive' },
  /** The operation was cancelled by shutdown. */
  ABORTED: { retryable: false, stage: 'infer' },
  /** A connector configuration is invalid. */
  CONFIG_INVALID: { retryable: false, stage: 'receive' },
  /** A bug: anything that is not a `ModelbridgeError`. Never retried. */
  INTERNAL: { retryable: false, stage: 'infer' },
} as const satisfies Record<string, { retryable: boolean; stage: Stage }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface ModelbridgeErrorOptions {
  cause?: unknown;
  /** Overrides the code's default. */
  retryable?: boolean;
  /** Overrides the code's default stage. */
  stage?: Stage;
  /** Server hint (`Retry-After`, gRPC retry info), in milliseconds. */
  retryAfterMs?: number | undefined;
  /** HTTP status or gRPC code name that caused it, for logs and dead-letter headers. */
  upstreamStatus?: string | number | undefined;
}

export class ModelbridgeError extends Error {
  override readonly name: string = 'ModelbridgeError';
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly stage: Stage;
  readonly retryAfterMs: number | undefined;
  readonly upstreamStatus: string | number | undefined;
  /** Marker property so that errors from another copy of this module are still recognised. */
  readonly isModelbridgeError = true;

  constructor(code: ErrorCode, message: string, options: ModelbridgeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable ?? ERROR_CODES[code].retryable;
    this.stage = options.stage ?? ERROR_CODES[code].stage;
    this.retryAfterMs = options.retryAfterMs;
    this.upstreamStatus = options.upstreamStatus;
  }
}

/** True for a `ModelbridgeError`, by property (works across module copies). */
export function isModelbridgeError(error: unknown): error is ModelbridgeError {
  return typeof error === 'object' && error !== null && (error as { isModelbridgeError?: unknown }).isModelbridgeError === true;
}

/**
 * The first result `pick` gives along `error`'s cause chain — `cause`, or `originalError` where a
 * library (kafkajs) links it so — at most 8 links deep.
 */
export function findInCauseChain<T>(error: unknown, pick: (link: Readonly<Record<string, unknown>>) => T | undefined): T | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && typeof current === 'object' && current !== null; depth++) {
    const link = current as Readonly<Record<string, unknown>>;
    const found = pick(link);
    if (found !== undefined) return found;
    current = link.cause ?? link.originalError;
  }
  return undefined;
}

/** Walks `cause` chains and returns the first `ModelbridgeError`, if any. */
export function findModelbridgeError(error: unknown): ModelbridgeError | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 16 && current !== undefined && current !== null; depth++) {
    if (isModelbridgeError(current)) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Any thrown value as a `ModelbridgeError`. Programmer errors (TypeError, zod errors, anything
 * unknown) become non-retryable `INTERNAL`.
 */
export function toModelbridgeError(error: unknown, stage: Stage = 'infer'): ModelbridgeError {
  const found = findModelbridgeError(error);
  if (found) return found;
  const message = error instanceof Error ? error.message : String(error);
  return new ModelbridgeError('INTERNAL', message, { cause: error, stage });
}
