/**
 * An in-process broker for the demo and unit tests only. Each stream is a queue with manual acks:
 * a delivery not acked when its source closes (or nacked) goes back to the head of the queue, which
 * models the at-least-once redelivery of the real brokers. Every published message is also kept in a
 * log so tests and the demo can read what a sink wrote.
 */
import type { Headers } from '../types.ts';

export interface StoredMessage {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Headers;
  readonly contentType: string | undefined;
  readonly timestamp: number;
  readonly sequence: number;
}

type Listener = () => void;

export interface MemoryStream {
  readonly name: string;
  /** Every message ever published, in order. */
  readonly log: readonly StoredMessage[];
  /** Messages waiting for a consumer. */
  readonly pending: StoredMessage[];
  /** Listeners woken when a message is published or requeued. */
  readonly listeners: Set<Listener>;
}

export interface MemoryBroker {
  stream(name: string): MemoryStream;
  publish(stream: string, message: Omit<StoredMessage, 'sequence' | 'timestamp'> & { timestamp?: number }): StoredMessage;
  /** Puts a message back at the head of its stream's queue (redelivery). */
  requeue(stream: string, message: StoredMessage): void;
}

export function createMemoryBroker(): MemoryBroker {
  const streams = new Map<string, MemoryStream & { log: StoredMessage[] }>();

  function stream(name: string): MemoryStream & { log: StoredMessage[] } {
    let existing = streams.get(name);
    if (!existing) {
      existing = { name, log: [], pending: [], listeners: new Set() };
      streams.set(name, existing);
    }
    return existing;
  }

  function wake(target: MemoryStream): void {
    for (const listener of target.listeners) listener();
  }

  return {
    stream,
    publish(name, message) {
      const target = stream(name);
      const stored: StoredMessage = {
        key: message.key,
        value: message.value,
        headers: message.headers,
        contentType: message.contentType,
        timestamp: message.timestamp ?? Date.now(),
        sequence: target.log.length,
      };
      target.log.push(stored);
      target.pending.push(stored);
      wake(target);
      return stored;
    },
    requeue(name, message) {
      const target = stream(name);
      target.pending.unshift(message);
      wake(target);
    },
  };
}
