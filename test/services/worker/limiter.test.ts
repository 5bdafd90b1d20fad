import { describe, expect, it } from 'vitest';
import { createConcurrencyLimiter, createFixedLimiter } from '../../../services/worker/limiter.ts';

describe('createConcurrencyLimiter (AIMD)', () => {
  it('queues beyond the limit and grants in order as permits return', async () => {
    const limiter = createConcurrencyLimiter({ min: 1, max: 10, initial: 2 });
    const signal = new AbortController().signal;
    await limiter.acquire(signal);
    await limiter.acquire(signal);
    const order: number[] = [];
    const third = limiter.acquire(signal).then(() => order.push(3));
    const fourth = limiter.acquire(signal).then(() => order.push(4));
    expect(limiter.inFlight).toBe(2);
    limiter.release(5, 'error');
    await third;
    expect(order).toEqual([3]);
    limiter.release(5, 'error');
    await fourth;
    expect(order).toEqual([3, 4]);
  });

  it('tryAcquire takes a free permit at once, and never one past the limit or ahead of a waiter', async () => {
    const inFlight: number[] = [];
    const limiter = createConcurrencyLimiter({ min: 1, max: 10, initial: 2, onInFlight: (n) => inFlight.push(n) });
    const signal = new AbortController().signal;
    expect(limiter.tryAcquire()).toBe(true);
    expect(limiter.tryAcquire()).toBe(true);
    expect(limiter.tryAcquire()).toBe(false);
    expect(limiter.inFlight).toBe(2);
    const waiting = limiter.acquire(signal);
    limiter.release(5, 'error');
    // The freed permit went to the waiter, not to a newcomer.
    expect(limiter.tryAcquire()).toBe(false);
    await waiting;
    expect(limiter.inFlight).toBe(2);
    expect(inFlight).toEqual([1, 2, 2]);
  });

  it('grows while latency holds and the limit is used, halves on overload, stays within bounds', () => {
    const changes: number[] = [];
    const limiter = createConcurrencyLimiter({ min: 2, max: 6, initial: 4, onChange: (limit) => changes.push(limit) });
    const signal = new AbortController().signal;
    for (let round = 0; round < 10; round++) {
      for (let i = 0; i < limiter.limit; i++) void limiter.acquire(signal);
      for (let i = limiter.inFlight; i > 0; i--) limiter.release(10, 'ok');
    }
    expect(limiter.limit).toBe(6);
    void limiter.acquire(signal);
    limiter.release(10, 'overload');
    expect(limiter.limit).toBe(3);
    expect(changes).toEqual([5, 6, 3]);
    void limiter.acquire(signal);
    limiter.release(10, 'overload');
    expect(limiter.limit).toBeGreaterThanOrEqual(2);
  });

  it('does not grow while latency is well above the best seen', () => {
    const limiter = createConcurrencyLimiter({ min: 1, max: 100, initial: 4 });
    const signal = new AbortController().signal;
    for (let i = 0; i < 4; i++) void limiter.acquire(signal);
    limiter.release(10, 'ok');
    for (let round = 0; round < 20; round++) {
      void limiter.acquire(signal);
      limiter.release(100, 'ok');
    }
    expect(limiter.limit).toBe(4);
  });

  it('an aborted wait leaves the queue', async () => {
    const limiter = createConcurrencyLimiter({ min: 1, max: 1, initial: 1 });
    const controller = new AbortController();
    await limiter.acquire(controller.signal);
    const waiting = limiter.acquire(controller.signal);
    controller.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');
    limiter.release(1, 'ok');
    expect(limiter.inFlight).toBe(0);
  });
});

describe('createFixedLimiter', () => {
  it('holds the limit, skips aborted waiters, grants the rest in order and reports calls in flight', async () => {
    const reported: number[] = [];
    const limiter = createFixedLimiter(2, (n) => reported.push(n));
    const signal = new AbortController().signal;
    await limiter.acquire(signal);
    await limiter.acquire(signal);
    const order: number[] = [];
    const aborter = new AbortController();
    const waiters = [1, 2, 3, 4].map((n) => limiter.acquire(n === 2 ? aborter.signal : signal).then(() => order.push(n), () => order.push(-n)));
    aborter.abort(new Error('gone'));
    await waiters[1];
    for (let i = 0; i < 3; i++) limiter.release(1, 'overload');
    await Promise.all(waiters);
    expect(order).toEqual([-2, 1, 3, 4]);
    expect(limiter.limit).toBe(2);
    expect(limiter.inFlight).toBe(2);
    expect(Math.max(...reported)).toBe(2);
  });
});
