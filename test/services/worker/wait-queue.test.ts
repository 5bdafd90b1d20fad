import { describe, expect, it } from 'vitest';
import { createWaitQueue } from '../../../services/worker/wait-queue.ts';

describe('createWaitQueue', () => {
  it('releases oldest first, as many as asked, and says how many', async () => {
    const queue = createWaitQueue();
    const signal = new AbortController().signal;
    const order: number[] = [];
    const waits = [1, 2, 3].map((n) => queue.wait(signal).then(() => order.push(n)));
    expect(queue.size).toBe(3);
    expect(queue.release(2)).toBe(2);
    await Promise.all(waits.slice(0, 2));
    expect(order).toEqual([1, 2]);
    expect(queue.release()).toBe(1);
    await waits[2];
    expect(order).toEqual([1, 2, 3]);
    expect(queue.release()).toBe(0);
  });

  it('drops a waiter whose signal aborts, rejecting it with the reason; the others keep their turn', async () => {
    const queue = createWaitQueue();
    const keep = new AbortController();
    const leave = new AbortController();
    const first = queue.wait(keep.signal);
    const gone = queue.wait(leave.signal);
    const third = queue.wait(keep.signal);
    leave.abort(new Error('left'));
    await expect(gone).rejects.toThrow('left');
    expect(queue.size).toBe(2);
    expect(queue.release(2)).toBe(2);
    await Promise.all([first, third]);
  });

  it('rejects at once on an aborted signal, and adds one abort listener per signal however many wait', async () => {
    const queue = createWaitQueue();
    const aborted = AbortSignal.abort(new Error('already'));
    await expect(queue.wait(aborted)).rejects.toThrow('already');
    const controller = new AbortController();
    let listeners = 0;
    const add = controller.signal.addEventListener.bind(controller.signal);
    controller.signal.addEventListener = ((...args: Parameters<typeof add>) => {
      listeners++;
      add(...args);
    }) as typeof add;
    const waits = Array.from({ length: 100 }, () => queue.wait(controller.signal));
    expect(listeners).toBe(1);
    expect(queue.release()).toBe(100);
    await Promise.all(waits);
  });

  it('stays in order across many waits and releases (the deque compacts)', async () => {
    const queue = createWaitQueue();
    const signal = new AbortController().signal;
    const order: number[] = [];
    const waits: Promise<unknown>[] = [];
    for (let n = 0; n < 5000; n++) {
      waits.push(queue.wait(signal).then(() => order.push(n)));
      if (n % 3 === 2) queue.release(2);
    }
    queue.release();
    await Promise.all(waits);
    expect(order).toEqual(Array.from({ length: 5000 }, (_, n) => n));
  });
});
