import { describe, expect, it } from 'vitest';
import { findModelbridgeError } from '../../../schemas/errors.ts';
import { createOpenaiClient } from '../../../connectors/openai/client.ts';
import { createTokenBudget } from '../../../connectors/openai/token-budget.ts';
import { failure, live } from '../../support/http-test-kit.ts';
import { openaiConfig, rawOpenaiServer } from './helpers.ts';

/** A clock that only moves when told, and sleeps that wait until the test settles them. */
function fakeTime(options: { autoAdvance?: boolean; log?: string[] } = {}) {
  let time = 1_000_000;
  const sleeps: number[] = [];
  const pending: { ms: number; resolve: () => void }[] = [];
  return {
    now: () => time,
    sleeps,
    pending,
    sleep(ms: number, signal: AbortSignal): Promise<void> {
      sleeps.push(ms);
      options.log?.push(`sleep ${ms}`);
      if (options.autoAdvance) {
        time += ms;
        return Promise.resolve();
      }
      return new Promise<void>((resolve, reject) => {
        pending.push({ ms, resolve });
        signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
      });
    },
    advance(ms: number) {
      time += ms;
    },
  };
}

const never = () => new AbortController().signal;

describe('token budget', () => {
  // 600 tokens per minute = 10 tokens per second = one token per 100 ms.
  const create = (time: ReturnType<typeof fakeTime>, maxWaitMs?: number) =>
    createTokenBudget({ tokensPerMinute: 600, label: 'openai m', now: time.now, sleep: time.sleep.bind(time), maxWaitMs });

  it('starts full and lets calls through without waiting while tokens last', async () => {
    const time = fakeTime();
    const budget = create(time);
    expect(await budget.acquire(400, never())).toBe(400);
    expect(await budget.acquire(200, never())).toBe(200);
    expect(time.sleeps).toEqual([]);
    expect(budget.available()).toBe(0);
  });

  it('makes later calls wait longer: served in arrival order, each after the debt before it', async () => {
    const time = fakeTime();
    const budget = create(time);
    await budget.acquire(600, never());
    const order: string[] = [];
    const first = budget.acquire(100, never()).then(() => order.push('first'));
    const second = budget.acquire(50, never()).then(() => order.push('second'));
    expect(time.sleeps).toEqual([10_000, 15_000]);
    time.advance(15_000);
    time.pending[1]!.resolve();
    time.pending[0]!.resolve();
    await Promise.all([first, second]);
    expect(budget.available()).toBe(0);
    expect(order).toHaveLength(2);
  });

  it('fails at once, without charging, when the wait would pass the deadline', async () => {
    const time = fakeTime();
    const budget = create(time);
    await budget.acquire(550, never());
    const error = findModelbridgeError(await budget.acquire(100, never(), time.now() + 1_000).catch((e: unknown) => e));
    expect(error).toMatchObject({ code: 'INFERENCE_RATE_LIMITED', retryable: true, retryAfterMs: 5_000 });
    expect(time.sleeps).toEqual([]);
    expect(budget.available()).toBe(50);
    // Within the deadline, the same call waits.
    void budget.acquire(100, never(), time.now() + 5_000);
    expect(time.sleeps).toEqual([5_000]);
  });

  it('is bounded: past maxWaitMs of debt, calls fail instead of queueing', async () => {
    const time = fakeTime();
    const budget = create(time, 20_000);
    await budget.acquire(600, never());
    void budget.acquire(100, never());
    void budget.acquire(100, never());
    const error = findModelbridgeError(await budget.acquire(100, never()).catch((e: unknown) => e));
    expect(error).toMatchObject({ code: 'INFERENCE_RATE_LIMITED', retryAfterMs: 30_000 });
    expect(time.sleeps).toEqual([10_000, 20_000]);
  });

  it('returns the reservation when the wait is aborted', async () => {
    const time = fakeTime();
    const budget = create(time);
    await budget.acquire(600, never());
    const controller = new AbortController();
    const waiting = budget.acquire(100, controller.signal);
    expect(budget.available()).toBe(-100);
    controller.abort(new DOMException('attempt timed out', 'TimeoutError'));
    await expect(waiting).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(budget.available()).toBe(0);
  });

  it('settles a reservation against the usage, never above a full bucket', async () => {
    const time = fakeTime();
    const budget = create(time);
    const reserved = await budget.acquire(300, never());
    budget.settle(reserved, 100);
    expect(budget.available()).toBe(500);
    budget.settle(await budget.acquire(100, never()), 700);
    expect(budget.available()).toBe(-200);
    time.advance(60_000);
    expect(budget.available()).toBe(400);
    time.advance(60_000);
    expect(budget.available()).toBe(600);
  });

  it('caps a request larger than the bucket at a full bucket, so it can still run', async () => {
    const time = fakeTime();
    expect(await create(time).acquire(5_000, never())).toBe(600);
  });
});

describe('openai client with a token budget', () => {
  /** A server that records each request in `log` and answers with the given usage. */
  async function server(log: string[], usage?: { prompt_tokens: number; completion_tokens: number }): Promise<string> {
    return rawOpenaiServer((req, res) => {
      log.push('request');
      req.resume().on('end', () => res.writeHead(200).end(JSON.stringify({ model: 'm', choices: [{ message: { content: 'ok' } }], usage })));
    });
  }
  // "hello there." = 12 chars = 3 tokens, + maxTokens 80: an estimate of 83 of a 100-token bucket.
  const budgeted = (url: string, time: ReturnType<typeof fakeTime>) =>
    createOpenaiClient(openaiConfig(url, { tokensPerMinute: 100, maxTokens: 80 }), { now: time.now, sleep: time.sleep.bind(time) });
  const hello = { id: 'e', inputs: { user: 'hello there.' } };

  it('waits for budget before the second call when no usage is reported', async () => {
    const log: string[] = [];
    const time = fakeTime({ autoAdvance: true, log });
    const client = budgeted(await server(log), time);
    await client.infer(hello, live());
    await client.infer(hello, live());
    // 17 tokens left; 66 more at 100/min take 39.6 s.
    expect(log).toEqual(['request', 'sleep 39600', 'request']);
  });

  it('settles with the reported usage, so a cheap call frees budget for the next', async () => {
    const log: string[] = [];
    const time = fakeTime({ autoAdvance: true, log });
    const client = budgeted(await server(log, { prompt_tokens: 3, completion_tokens: 2 }), time);
    await client.infer(hello, live());
    await client.infer(hello, live());
    expect(log).toEqual(['request', 'request']);
  });

  it('fails with a retryable INFERENCE_RATE_LIMITED, without calling, when the deadline is too close', async () => {
    const log: string[] = [];
    const time = fakeTime({ log });
    const client = budgeted(await server(log), time);
    await client.infer(hello, live());
    const error = await failure(client.infer(hello, { ...live(), deadline: time.now() + 2_000 }));
    expect(error).toMatchObject({ code: 'INFERENCE_RATE_LIMITED', retryable: true, retryAfterMs: 39_600 });
    expect(log).toEqual(['request']);
  });

  it('classifies an aborted wait by the abort reason, without calling', async () => {
    const log: string[] = [];
    const time = fakeTime({ log });
    const client = budgeted(await server(log), time);
    await client.infer(hello, live());
    for (const [reason, code] of [
      [new DOMException('attempt timed out', 'TimeoutError'), 'INFERENCE_TIMEOUT'],
      [new Error('shutdown'), 'ABORTED'],
    ] as const) {
      const controller = new AbortController();
      const pending = failure(client.infer(hello, { signal: controller.signal }));
      controller.abort(reason);
      expect(await pending).toMatchObject({ code });
    }
    expect(log).toEqual(['request', 'sleep 39600', 'sleep 39600']);
  });
});
