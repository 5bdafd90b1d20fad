/**
 * Reads a memory stream's waiting messages as a dead-letter destination (demo and unit tests): a
 * removed message leaves the stream's queue, a kept one stays in place.
 */
import { ModelbridgeError } from '../../schemas/errors.ts';
import type { DeadLetterStore, StoredDeadLetter } from '../types.ts';
import type { MemoryBroker, StoredMessage } from './broker.ts';

/** A {@link DeadLetterStore} over the messages waiting in `stream`. */
export function createMemoryDeadLetterStore(broker: MemoryBroker, stream: string): DeadLetterStore {
  return {
    kind: 'memory',
    name: stream,
    open(mode) {
      const skip = mode.kind === 'browse' && mode.cursor !== undefined ? Number(mode.cursor) : 0;
      if (!Number.isSafeInteger(skip) || skip < 0) return Promise.reject(new ModelbridgeError('CONFIG_INVALID', 'invalid cursor', { stage: 'receive' }));
      const target = broker.stream(stream);
      const snapshot: StoredMessage[] = target.pending.slice();
      let index = skip;
      const entry = (stored: StoredMessage, position: number): StoredDeadLetter => ({
        message: {
          key: stored.key,
          value: stored.value,
          headers: stored.headers,
          contentType: stored.contentType,
          timestamp: stored.timestamp,
          origin: { transport: 'memory', stream, sequence: stored.sequence },
        },
        position: String(position),
        remove() {
          if (mode.kind !== 'consume') return;
          const at = target.pending.indexOf(stored);
          if (at >= 0) target.pending.splice(at, 1);
        },
        keep() {},
      });
      return Promise.resolve({
        total: snapshot.length,
        next() {
          const stored = snapshot[index];
          if (stored === undefined) return Promise.resolve(undefined);
          return Promise.resolve(entry(stored, index++));
        },
        cursor: () => String(index),
        close: () => Promise.resolve(),
      });
    },
  };
}
