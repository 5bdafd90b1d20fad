import { describe, expect, it } from 'vitest';
import { createBatcher } from '../../../connectors/kafka/batcher.ts';

class TooLarge extends Error {
  readonly tooLarge = true;
}

function recordingSend(fail?: (items: string[]) => unknown) {
  const batches: string[][] = [];
  return {
    batches,
    async send(items: string[]): Promise<void> {
      batches.push(items);
      const error = fail?.(items);
      if (error) throw error;
    },
  };
}

describe('publish batcher', () => {
  it('coalesces items added in the same turn into one send and resolves each caller', async () => {
    const sender = recordingSend();
    const batcher = createBatcher({ send: sender.send, maxCount: 100, maxBytes: 1000 });
    await Promise.all(['a', 'b', 'c'].map((item) => batcher.add(item, 1)));
    expect(sender.batches).toEqual([['a', 'b', 'c']]);
    expect(batcher.pending).toBe(0);
  });

  it('bounds batches by count and by bytes', async () => {
    const sender = recordingSend();
    const batcher = createBatcher({ send: sender.send, maxCount: 2, maxBytes: 10 });
    await Promise.all([batcher.add('a', 1), batcher.add('b', 1), batcher.add('c', 1), batcher.add('d', 8), batcher.add('e', 3)]);
    expect(sender.batches).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
  });

  it('rejects every caller of a failed batch with the mapped error', async () => {
    const sender = recordingSend(() => new Error('broker down'));
    const batcher = createBatcher({ send: sender.send, maxCount: 10, maxBytes: 100, mapError: (e) => ({ mapped: (e as Error).message }) });
    const results = await Promise.allSettled([batcher.add('a', 1), batcher.add('b', 1)]);
    expect(results).toEqual([
      { status: 'rejected', reason: { mapped: 'broker down' } },
      { status: 'rejected', reason: { mapped: 'broker down' } },
    ]);
  });

  it('splits a batch refused as a whole so that only the culprit fails', async () => {
    const sender = recordingSend((items) => (items.includes('big') ? new TooLarge() : undefined));
    const batcher = createBatcher({ send: sender.send, maxCount: 10, maxBytes: 100, splittable: (e) => e instanceof TooLarge });
    const results = await Promise.allSettled([batcher.add('a', 1), batcher.add('big', 1), batcher.add('c', 1)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(sender.batches).toEqual([['a', 'big', 'c'], ['a'], ['big'], ['c']]);
  });

  it('flush() sends what is buffered and waits for sends in flight', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const sent: string[][] = [];
    const batcher = createBatcher<string>({
      maxCount: 10,
      maxBytes: 100,
      send: async (items) => {
        sent.push(items);
        await gate;
      },
    });
    const published = batcher.add('a', 1);
    let flushed = false;
    const flushing = batcher.flush().then(() => (flushed = true));
    expect(sent).toEqual([['a']]);
    expect(batcher.pending).toBe(1);
    await Promise.resolve();
    expect(flushed).toBe(false);
    release();
    await flushing;
    await published;
    expect(batcher.pending).toBe(0);
  });
});
