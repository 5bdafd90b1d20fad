import type { MemorySinkConfig } from '../../schemas/connector-config.ts';
import type { Sink } from '../types.ts';
import type { MemoryBroker } from './broker.ts';

function toBuffer(value: Buffer | string | null): Buffer | null {
  if (value === null) return null;
  return typeof value === 'string' ? Buffer.from(value) : value;
}

/** Publishes to a memory stream; `destination` overrides the stream name. */
export function createMemorySink(config: MemorySinkConfig, broker: MemoryBroker): Sink {
  let closed = false;
  return {
    kind: 'memory',
    async start() {},
    async publish(message) {
      broker.publish(message.destination ?? config.stream, {
        key: toBuffer(message.key),
        value: toBuffer(message.value),
        headers: message.headers,
        contentType: message.contentType,
      });
    },
    status() {
      return { connected: !closed };
    },
    async close() {
      closed = true;
    },
  };
}
