import { describe, expect, it } from 'vitest';
import { createAttemptTimeouts } from '../../../services/worker/attempt-timeouts.ts';
import { waitFor } from '../../support/wait-for.ts';

const reasonOf = (controller: AbortController): string | undefined => (controller.signal.reason as DOMException | undefined)?.name;

describe('createAttemptTimeouts', () => {
  it('times out the attempts still running, oldest first, and none that finished', async () => {
    const timeouts = createAttemptTimeouts(20);
    const [a, b, c] = [new AbortController(), new AbortController(), new AbortController()];
    timeouts.start(a);
    const second = timeouts.start(b);
    timeouts.start(c);
    timeouts.finish(second);
    await waitFor(() => a.signal.aborted && c.signal.aborted);
    expect(reasonOf(a)).toBe('TimeoutError');
    expect(reasonOf(c)).toBe('TimeoutError');
    expect(b.signal.aborted).toBe(false);
  });

  it('keeps timing out attempts started after earlier ones finished or expired', async () => {
    const timeouts = createAttemptTimeouts(10);
    const first = new AbortController();
    timeouts.finish(timeouts.start(first));
    const late = new AbortController();
    timeouts.start(late);
    await waitFor(() => late.signal.aborted);
    const later = new AbortController();
    const kept = new AbortController();
    timeouts.start(later);
    timeouts.finish(timeouts.start(kept));
    await waitFor(() => later.signal.aborted);
    expect(first.signal.aborted).toBe(false);
    expect(kept.signal.aborted).toBe(false);
    expect(reasonOf(later)).toBe('TimeoutError');
  });

  it('aborts every running attempt with the shutdown reason', () => {
    const timeouts = createAttemptTimeouts(60_000);
    const [a, b] = [new AbortController(), new AbortController()];
    timeouts.start(a);
    timeouts.finish(timeouts.start(new AbortController()));
    timeouts.start(b);
    const reason = new Error('shutting down');
    timeouts.abortAll(reason);
    expect(a.signal.reason).toBe(reason);
    expect(b.signal.reason).toBe(reason);
    // Finishing after the abort leaves no timer behind (the test process would otherwise wait a minute).
    timeouts.finish(0);
    timeouts.finish(2);
  });
});
