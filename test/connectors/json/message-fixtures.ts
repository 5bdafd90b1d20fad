/** Inbound messages for decoder tests. */
import { expect } from 'vitest';
import { isModelbridgeError, type ErrorCode } from '../../../schemas/errors.ts';
import type { Headers, InboundMessage, MessageOrigin } from '../../../connectors/types.ts';

export const KAFKA_ORIGIN: MessageOrigin = { transport: 'kafka', topic: 'orders', partition: 3, offset: '42', timestamp: 1_700_000_000_000 };
export const AMQP_ORIGIN: Extract<MessageOrigin, { transport: 'amqp' }> = { transport: 'amqp', exchange: 'ex', routingKey: 'rk', queue: 'orders-q', redelivered: false, deliveryTag: 7 };

export function message(overrides: Partial<{ -readonly [K in keyof InboundMessage]: InboundMessage[K] }> & { json?: unknown } = {}): InboundMessage {
  const { json, ...rest } = overrides;
  return {
    key: null,
    value: json === undefined ? null : Buffer.from(JSON.stringify(json)),
    headers: {} as Headers,
    contentType: undefined,
    timestamp: undefined,
    origin: KAFKA_ORIGIN,
    ...rest,
  };
}

/** Asserts that `run` throws a non-retryable ModelbridgeError with `code`; returns its message. */
export function expectFailure(run: () => unknown, code: ErrorCode): string {
  let thrown: unknown;
  try {
    run();
  } catch (error) {
    thrown = error;
  }
  expect(thrown, 'expected a failure').toBeDefined();
  expect(isModelbridgeError(thrown), `not a ModelbridgeError: ${String(thrown)}`).toBe(true);
  const error = thrown as { code: string; retryable: boolean; message: string };
  expect({ code: error.code, retryable: error.retryable, message: error.message }).toEqual({ code, retryable: false, message: expect.any(String) });
  return error.message;
}
