/**
 * The replay rate limit: message starts are spaced `1/rate` seconds apart on a fixed schedule (the next
 * slot follows the previous slot, not the previous wake-up), so timer lateness does not lower the
 * average rate; after an idle spell the schedule restarts at now, so no burst is saved up.
 */

export interface RateLimiter {
  /** Resolves at the caller's slot; rejects when `signal` aborts. */
  take(signal: AbortSignal): Promise<void>;
}

/** No limit: `take` resolves at once. */
const UNLIMITED: RateLimiter = { take: (signal) => (signal.aborted ? Promise.reject(signal.reason as Error) : Promise.resolve()) };

/** A limiter of `rate` messages per second; `undefined` means none. */
export function createRateLimiter(rate: number | undefined, now: () => number = performance.now.bind(performance)): RateLimiter {
  if (rate === undefined) return UNLIMITED;
  const interval = 1000 / rate;
  let next = 0;
  return {
    take(signal) {
      if (signal.aborted) return Promise.reject(signal.reason as Error);
      const current = now();
      if (next < current) next = current;
      const slot = next;
      next += interval;
      const delay = slot - current;
      // Sub-millisecond waits are not worth a timer: setTimeout would round them up to 1 ms.
      if (delay < 1) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const onAbort = (): void => {
          clearTimeout(timer);
          reject(signal.reason as Error);
        };
        const timer = setTimeout(() => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        }, delay);
        signal.addEventListener('abort', onAbort, { once: true });
      });
    },
  };
}
