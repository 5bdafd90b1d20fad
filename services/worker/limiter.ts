/**
 * Adaptive concurrency (AIMD, in the spirit of Netflix concurrency-limits): the limit on concurrent model
 * calls grows by one per window of successes while latency stays within twice the best recent latency,
 * and halves on overload signals (timeouts, 429, 503, RESOURCE_EXHAUSTED).
 */
import { createWaitQueue } from './wait-queue.ts';

export interface ConcurrencyLimiter {
  readonly limit: number;
  readonly inFlight: number;
  /** Waits for a permit; rejects with the signal's reason when it aborts first. */
  acquire(signal: AbortSignal): Promise<void>;
  /** Takes a permit if one is free and nobody waits for one (no promise, no turn of the microtask queue); false otherwise. */
  tryAcquire(): boolean;
  /** Returns a permit with what happened: `overload` halves the limit. */
  release(latencyMs: number, outcome: 'ok' | 'overload' | 'error'): void;
}

export interface LimiterOptions {
  readonly min: number;
  readonly max: number;
  readonly initial?: number;
  readonly onChange?: (limit: number) => void;
  /** Called with the calls in flight whenever it changes (the calls-in-flight gauge). */
  readonly onInFlight?: (inFlight: number) => void;
}

/** A fixed limit of `max` concurrent calls (adaptive concurrency off). */
export function createFixedLimiter(max: number, onInFlight?: (inFlight: number) => void): ConcurrencyLimiter {
  return createConcurrencyLimiter({ min: max, max, initial: max, onInFlight });
}

export function createConcurrencyLimiter(options: LimiterOptions): ConcurrencyLimiter {
  const { min, max } = options;
  let limit = Math.min(max, Math.max(min, options.initial ?? Math.min(max, 16)));
  let inFlight = 0;
  let successes = 0;
  let bestLatency = Number.POSITIVE_INFINITY;
  let lastDecrease = 0;
  // Whether the limit was reached during the current growth window: an unused limit never grows.
  let saturated = false;
  const onInFlight = options.onInFlight;
  // Callers waiting for a call slot, in arrival order.
  const waiters = createWaitQueue();

  function setLimit(next: number): void {
    const bounded = Math.min(max, Math.max(min, Math.round(next)));
    if (bounded === limit) return;
    limit = bounded;
    options.onChange?.(limit);
    grant();
  }

  function grant(): void {
    while (inFlight < limit && waiters.size > 0 && waiters.release(1) === 1) {
      inFlight++;
      if (inFlight >= limit) saturated = true;
    }
    onInFlight?.(inFlight);
  }

  function tryAcquire(): boolean {
    if (inFlight >= limit || waiters.size > 0) return false;
    inFlight++;
    if (inFlight >= limit) saturated = true;
    onInFlight?.(inFlight);
    return true;
  }

  return {
    get limit() {
      return limit;
    },
    get inFlight() {
      return inFlight;
    },
    tryAcquire,
    acquire(signal) {
      if (tryAcquire()) return Promise.resolve();
      saturated = true;
      return waiters.wait(signal);
    },
    release(latencyMs, outcome) {
      inFlight--;
      // The best latency decays slowly so that a permanently slower model resets the baseline.
      bestLatency = Math.min(bestLatency * 1.01, latencyMs);
      if (outcome === 'overload') {
        const now = performance.now();
        // One halving per latency window: a burst of failures from one overload is one signal.
        if (now - lastDecrease > Math.max(bestLatency, 10)) {
          lastDecrease = now;
          successes = 0;
          setLimit(limit / 2);
        }
      } else if (outcome === 'ok') {
        if (latencyMs > bestLatency * 2 + 1) {
          successes = 0;
        } else if (++successes >= limit) {
          successes = 0;
          if (saturated) setLimit(limit + 1);
          saturated = false;
        }
      }
      grant();
    },
  };
}
