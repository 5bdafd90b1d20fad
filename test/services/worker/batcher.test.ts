import { describe, expect, it } from 'vitest';
import { createBatcher, splitOutputs, stackInputs } from '../../../services/worker/batcher.ts';

describe('createBatcher', () => {
  it('flushes a full batch at once and a partial one after maxWait', async () => {
    const calls: number[][] = [];
    const batcher = createBatcher<number, number>(3, 20, async (items) => {
      calls.push(items);
      return items.map((n) => n * 10);
    });
    const results = await Promise.all([1, 2, 3, 4].map((n) => batcher.submit(n)));
    expect(results).toEqual([10, 20, 30, 40]);
    expect(calls).toEqual([[1, 2, 3], [4]]);
  });

  it('rejects every item of a failed batch', async () => {
    const batcher = createBatcher<number, number>(2, 5, () => Promise.reject(new Error('down')));
    await expect(Promise.all([batcher.submit(1), batcher.submit(2)])).rejects.toThrow('down');
  });
});

describe('stackInputs / splitOutputs', () => {
  it('stacks along a new batch dimension and splits rows back', () => {
    expect(stackInputs([{ TEXT: 'a', N: [1, 2] }, { TEXT: 'b', N: [3, 4] }])).toEqual({ TEXT: ['a', 'b'], N: [[1, 2], [3, 4]] });
    expect(splitOutputs({ LABEL: ['x', 'y'], EMB: [1, 2, 3, 4] }, 2)).toEqual([
      { LABEL: ['x'], EMB: [1, 2] },
      { LABEL: ['y'], EMB: [3, 4] },
    ]);
  });

  it('refuses outputs that do not split evenly', () => {
    expect(splitOutputs({ LABEL: ['x', 'y', 'z'] }, 2)).toBeUndefined();
    expect(splitOutputs({ LABEL: 'x' }, 2)).toBeUndefined();
    expect(splitOutputs({ LABEL: [] }, 2)).toBeUndefined();
  });
});
