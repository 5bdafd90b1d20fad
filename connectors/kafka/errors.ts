/**
 * kafkajs errors → the project's error, in exactly one place. Classified by kafkajs's own properties
 * (`type` of protocol errors, `name`, `retriable`), walking `cause`; never by message text.
 */
import { toTlsError } from '../broker-security.ts';
import { ModelbridgeError, findInCauseChain, isModelbridgeError } from '../../schemas/errors.ts';

/** Broker error types that mean "this message (or batch) is too large". */
const TOO_LARGE_TYPES = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE']);

interface KafkajsErrorShape {
  name?: unknown;
  type?: unknown;
  retriable?: unknown;
  cause?: unknown;
  originalError?: unknown;
}

/** The broker error type (e.g. `MESSAGE_TOO_LARGE`) anywhere in the cause chain, if any. */
export function kafkaErrorType(error: unknown): string | undefined {
  return findInCauseChain(error, ({ type }) => (typeof type === 'string' ? type : undefined));
}

/** True when the broker rejected the publish for its size. */
export function isTooLarge(error: unknown): boolean {
  const type = kafkaErrorType(error);
  return type !== undefined && TOO_LARGE_TYPES.has(type);
}

function isKafkajsError(error: unknown): boolean {
  const name = (error as KafkajsErrorShape | null)?.name;
  return typeof name === 'string' && name.startsWith('KafkaJS');
}

/**
 * A failed publish as a `ModelbridgeError`: PUBLISH_TOO_LARGE (not retryable) for size rejections,
 * PUBLISH_FAILED (retryable: an unavailable or misbehaving broker is an outage, not a poison message)
 * for any other kafkajs error, and INTERNAL for anything else (a bug).
 */
export function toPublishError(error: unknown): ModelbridgeError {
  if (isModelbridgeError(error)) return error;
  const type = kafkaErrorType(error);
  if (isTooLarge(error)) {
    return new ModelbridgeError('PUBLISH_TOO_LARGE', 'Kafka rejected the message as too large', { cause: error, upstreamStatus: type });
  }
  if (isKafkajsError(error)) {
    const reason = type ?? String((error as KafkajsErrorShape).name);
    return new ModelbridgeError('PUBLISH_FAILED', `Kafka publish failed (${reason})`, { cause: error, upstreamStatus: type });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new ModelbridgeError('INTERNAL', `Kafka publish failed: ${message}`, { cause: error, stage: 'publish' });
}

/** True when kafkajs's SASL handshake was refused (wrong user, password or mechanism) anywhere in the chain. */
function isSaslRefusal(error: unknown): boolean {
  return findInCauseChain(error, ({ name }) => (name === 'KafkaJSSASLAuthenticationError' ? true : undefined)) ?? false;
}

/**
 * A connection failure that no retry fixes, as the start-up error it is: BROKER_AUTH_FAILED for refused
 * SASL credentials, BROKER_TLS_FAILED for a failed TLS handshake. Undefined for anything else (an
 * unreachable broker stays the caller's to report). Used by `start()` only: once running, the same
 * failure on a reconnect is an outage to wait out, not a reason to drop events.
 */
export function toConnectRefusal(error: unknown, stage: 'receive' | 'publish'): ModelbridgeError | undefined {
  if (isModelbridgeError(error)) return undefined;
  if (isSaslRefusal(error)) {
    const detail = error instanceof Error ? error.message : String(error);
    return new ModelbridgeError('BROKER_AUTH_FAILED', `Kafka refused the SASL credentials (check sasl.username, sasl.password and sasl.mechanism): ${detail}`, {
      cause: error,
      stage,
    });
  }
  return toTlsError(error, 'Kafka', stage);
}
