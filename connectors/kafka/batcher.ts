/**
 * Coalesces publishes issued close together (same event-loop turn) into one send, so a burst of
 * enriched events costs one produce request instead of one each. Each caller's promise settles with
 * its batch. Batches are bounded by count and bytes; a batch the broker refuses as a whole for its
 * size is retried one item at a time, so one oversized item does not fail its neighbours.
 */

export interface BatcherOptions<T> {
  /** Sends one batch; resolves when the broker acknowledged all of it. */
  send(items: T[]): Promise<void>;
  /** Most items in one batch. */
  maxCount: number;
  /** Most bytes (as given to `add`) in one batch; a single larger item still goes alone. */
  maxBytes: number;
  /** True when a failed multi-item batch should be retried item by item. */
  splittable?: (error: unknown) => boolean;
  /** Turns a send failure into the error each caller sees. */
  mapError?: (error: unknown) => unknown;
}

export interface Batcher<T> {
  add(item: T, bytes: number): Promise<void>;
  /** Sends what is buffered and waits for every send in flight. */
  flush(): Promise<void>;
  /** Items buffered or being sent. */
  readonly pending: number;
}

interface Entry<T> {
  readonly item: T;
  resolve(): void;
  reject(error: unknown): void;
}

/** Creates a batcher over `send`. */
export function createBatcher<T>(options: BatcherOptions<T>): Batcher<T> {
  const { send, maxCount, maxBytes, splittable = () => false, mapError = (e: unknown) => e } = options;
  let buffer: Entry<T>[] = [];
  let bufferBytes = 0;
  let scheduled: NodeJS.Immediate | undefined;
  let sending = 0;
  const inFlight = new Set<Promise<void>>();

  function flushBuffer(): void {
    if (scheduled) clearImmediate(scheduled);
    scheduled = undefined;
    if (buffer.length === 0) return;
    const batch = buffer;
    buffer = [];
    bufferBytes = 0;
    sending += batch.length;
    const done = dispatch(batch).finally(() => {
      sending -= batch.length;
      inFlight.delete(done);
    });
    inFlight.add(done);
  }

  async function dispatch(batch: Entry<T>[]): Promise<void> {
    try {
      await send(batch.map((entry) => entry.item));
      for (const entry of batch) entry.resolve();
    } catch (error) {
      if (batch.length > 1 && splittable(error)) {
        await Promise.all(batch.map((entry) => dispatch([entry])));
        return;
      }
      const mapped = mapError(error);
      for (const entry of batch) entry.reject(mapped);
    }
  }

  return {
    add(item, bytes) {
      return new Promise<void>((resolve, reject) => {
        if (buffer.length > 0 && (buffer.length >= maxCount || bufferBytes + bytes > maxBytes)) flushBuffer();
        buffer.push({ item, resolve, reject });
        bufferBytes += bytes;
        scheduled ??= setImmediate(flushBuffer);
      });
    },
    async flush() {
      flushBuffer();
      while (inFlight.size > 0) await Promise.all(inFlight);
    },
    get pending() {
      return buffer.length + sending;
    },
  };
}
