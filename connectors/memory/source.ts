import type { MemorySourceConfig } from '../../schemas/connector-config.ts';
import type { Delivery, DeliveryHandler, InboundMessage, Source } from '../types.ts';
import type { MemoryBroker, StoredMessage } from './broker.ts';

/**
 * Consumes a memory stream. Delivers asynchronously (one microtask hop per drain) so the pipeline sees
 * the same re-entrancy as with a real broker. Unacked deliveries are requeued on close.
 */
export function createMemorySource(config: MemorySourceConfig, broker: MemoryBroker): Source {
  const stream = broker.stream(config.stream);
  const unacked = new Set<StoredMessage>();
  let handler: DeliveryHandler | undefined;
  let paused = false;
  let closed = false;
  let scheduled = false;

  function drain(): void {
    scheduled = false;
    while (handler && !paused && !closed && stream.pending.length > 0) {
      const stored = stream.pending.shift()!;
      unacked.add(stored);
      handler(toDelivery(stored));
    }
  }

  function schedule(): void {
    if (scheduled || closed) return;
    scheduled = true;
    queueMicrotask(drain);
  }

  function toDelivery(stored: StoredMessage): Delivery {
    const message: InboundMessage = {
      key: stored.key,
      value: stored.value,
      headers: stored.headers,
      contentType: stored.contentType,
      timestamp: stored.timestamp,
      origin: { transport: 'memory', stream: config.stream, sequence: stored.sequence },
    };
    let settled = false;
    return {
      message,
      lane: config.stream,
      receivedAt: performance.now(),
      ack() {
        if (settled) return;
        settled = true;
        unacked.delete(stored);
      },
      nack() {
        if (settled) return;
        settled = true;
        if (unacked.delete(stored)) broker.requeue(config.stream, stored);
      },
    };
  }

  return {
    kind: 'memory',
    async start(onDelivery) {
      handler = onDelivery;
      stream.listeners.add(schedule);
      schedule();
    },
    pause() {
      paused = true;
    },
    resume() {
      paused = false;
      schedule();
    },
    status() {
      return { connected: !closed, paused, lag: stream.pending.length };
    },
    async close() {
      if (closed) return;
      closed = true;
      stream.listeners.delete(schedule);
      // Redeliver what was not acked, in its original order.
      const redeliver = [...unacked].sort((a, b) => a.sequence - b.sequence);
      unacked.clear();
      for (let i = redeliver.length - 1; i >= 0; i--) broker.requeue(config.stream, redeliver[i]!);
    },
  };
}
