/**
 * Micro-batching: coalesces up to `maxSize` submissions arriving within `maxWaitMs` of the first into one
 * call of `run`, which answers each item in order. Bounded: a full batch is flushed at once.
 */
export interface Batcher<I, O> {
  submit(item: I): Promise<O>;
  /** Flushes what is pending now (shutdown). */
  flush(): void;
}

export function createBatcher<I, O>(maxSize: number, maxWaitMs: number, run: (items: I[]) => Promise<O[]>): Batcher<I, O> {
  let items: I[] = [];
  let waiters: PromiseWithResolvers<O>[] = [];
  let timer: NodeJS.Timeout | undefined;

  function flush(): void {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (items.length === 0) return;
    const batch = items;
    const pending = waiters;
    items = [];
    waiters = [];
    run(batch).then(
      (results) => {
        for (let i = 0; i < pending.length; i++) pending[i]!.resolve(results[i]!);
      },
      (error: unknown) => {
        for (const waiter of pending) waiter.reject(error);
      },
    );
  }

  return {
    submit(item) {
      const waiter = Promise.withResolvers<O>();
      items.push(item);
      waiters.push(waiter);
      if (items.length >= maxSize) flush();
      else if (items.length === 1) timer = setTimeout(flush, maxWaitMs);
      return waiter.promise;
    },
    flush,
  };
}

/** Stacks per-item inputs along a new leading batch dimension: `{TEXT: 'a'}`, `{TEXT: 'b'}` → `{TEXT: ['a', 'b']}`. */
export function stackInputs(inputs: readonly Readonly<Record<string, unknown>>[]): Record<string, unknown[]> {
  const stacked: Record<string, unknown[]> = {};
  for (const name of Object.keys(inputs[0]!)) stacked[name] = inputs.map((input) => input[name]);
  return stacked;
}

/**
 * Splits batched outputs back per item: each output's flat data is cut into `count` equal rows.
 * Returns undefined when an output cannot be split evenly (the response does not match the batch).
 */
export function splitOutputs(outputs: Readonly<Record<string, unknown>>, count: number): Record<string, unknown[]>[] | undefined {
  const rows: Record<string, unknown[]>[] = Array.from({ length: count }, () => ({}));
  for (const [name, data] of Object.entries(outputs)) {
    if (!Array.isArray(data) || data.length % count !== 0 || data.length === 0) return undefined;
    const width = data.length / count;
    for (let i = 0; i < count; i++) rows[i]![name] = data.slice(i * width, (i + 1) * width);
  }
  return rows;
}
