import { afterEach, describe, expect, it, vi } from 'vitest';
import type { StoredDeadLetter } from '../../../connectors/types.ts';
import { createRateLimiter } from '../../../services/replay/limiter.ts';
import { toView, valueExcerpt } from '../../../services/replay/view.ts';

describe('rate limiter schedule', () => {
  afterEach(() => void vi.useRealTimers());

  it('spaces slots 1/rate apart on a fixed schedule and restarts it after idling', async () => {
    vi.useFakeTimers();
    let now = 0;
    const limiter = createRateLimiter(100, () => now);
    const signal = new AbortController().signal;
    const resolved: number[] = [];
    for (let i = 0; i < 4; i++) void limiter.take(signal).then(() => resolved.push(i));
    await vi.advanceTimersByTimeAsync(0);
    expect(resolved).toEqual([0]);
    await vi.advanceTimersByTimeAsync(10);
    expect(resolved).toEqual([0, 1]);
    await vi.advanceTimersByTimeAsync(20);
    expect(resolved).toEqual([0, 1, 2, 3]);
    now = 10_000;
    await limiter.take(signal);
    expect(resolved).toHaveLength(4);
  });

  it('rejects a waiting take on abort', async () => {
    const limiter = createRateLimiter(0.5);
    const controller = new AbortController();
    await limiter.take(controller.signal);
    const waiting = limiter.take(controller.signal);
    controller.abort(new Error('cancelled'));
    await expect(waiting).rejects.toThrow('cancelled');
  });
});

describe('dead-letter previews', () => {
  const entry = (value: string | Buffer, headers: Record<string, string> = {}): StoredDeadLetter => ({
    message: { key: null, value: Buffer.from(value), headers, contentType: undefined, timestamp: undefined, origin: { transport: 'memory', stream: 's', sequence: 0 } },
    position: '0',
    remove() {},
    keep() {},
  });

  it('redacts secrets in headers, JSON fields and free text', () => {
    const view = toView(
      entry(JSON.stringify({ id: 1, password: 'hunter2', nested: { apiKey: 'abc123', note: 'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.x.y' } }), {
        authorization: 'Bearer secret-token-value',
        'x-note': 'token=s3cr3t&x=1',
      }),
    );
    const shown = JSON.stringify(view);
    for (const secret of ['hunter2', 'abc123', 'eyJhbGciOiJIUzI1NiJ9', 'secret-token-value', 's3cr3t']) expect(shown).not.toContain(secret);
    expect(view.headers['x-note']).toBe('token=[redacted]&x=1');
    expect(valueExcerpt(Buffer.from('user=a password: pw123 ok')).text).toBe('user=a password: [redacted] ok');
  });

  it('cuts long values and shows binary as base64', () => {
    const long = valueExcerpt(Buffer.from('x'.repeat(5000)));
    expect(long.truncated).toBe(true);
    expect(long.text!.length).toBeLessThan(1100);
    expect(valueExcerpt(Buffer.from([0xff, 0xfe, 0x00, 0x01])).text).toBe('base64://4AAQ==');
  });
});
