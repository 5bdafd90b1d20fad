import { describe, expect, it } from 'vitest';
import { backoffDelay, sleep } from '../../../services/worker/backoff.ts';

const policy = { minDelayMs: 100, maxDelayMs: 1000 };

describe('backoffDelay', () => {
  it('grows exponentially and is capped', () => {
    const top = () => 0.999999;
    expect(backoffDelay(policy, 1, undefined, top)).toBe(99);
    expect(backoffDelay(policy, 2, undefined, top)).toBe(199);
    expect(backoffDelay(policy, 4, undefined, top)).toBe(799);
    expect(backoffDelay(policy, 10, undefined, top)).toBe(999);
  });

  it('uses full jitter from zero', () => {
    expect(backoffDelay(policy, 3, undefined, () => 0)).toBe(0);
    expect(backoffDelay(policy, 3, undefined, () => 0.5)).toBe(200);
  });

  it('defers to a longer Retry-After, but never beyond the cap', () => {
    expect(backoffDelay(policy, 1, 500, () => 0.5)).toBe(500);
    expect(backoffDelay(policy, 1, 60_000, () => 0.5)).toBe(1000);
    expect(backoffDelay(policy, 4, 10, () => 0.5)).toBe(400);
  });
});

describe('sleep', () => {
  it('rejects with the abort reason', async () => {
    const controller = new AbortController();
    const pending = sleep(60_000, controller.signal);
    controller.abort(new Error('stop'));
    await expect(pending).rejects.toThrow('stop');
  });
});
