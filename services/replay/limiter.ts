/**
 * The replay rate limit: message starts are spaced `1/rate` seconds apart on a fixed schedule (the next
 * slot follows the previous slot, not the previous wake-up), so timer lateness and short stalls (a
 * fetch, a slow confirm) are caught up and the average rate holds. A debt older than {@link MAX_DEBT_MS}
 * is forgiven: after an idle spell no burst larger than that is saved up.
 */

/** Most lateness caught up, in ms: bounds the burst after a stall to this much time's worth of messages. */
export const MAX_DEBT_MS = 100;
/**
 * A slot due within this many ms is granted at once. At high rates this releases messages in small
 * bunches (one per 10 ms) that a Kafka producer sends as one request, instead of one request per
 * message, which the idempotent producer's five requests in flight would cap well below the rate.
 */
export const EARLY_MS = 10;

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
  let next: number | undefined;
  return {
    take(signal) {
      if (signal.aborted) return Promise.reject(signal.reason as Error);
      const current = now();
      if (next === undefined) next = current;
      else if (next < current - MAX_DEBT_MS) next = current - MAX_DEBT_MS;
      const slot = next;
      next += interval;
      const delay = slot - current;
      if (delay < EARLY_MS) return Promise.resolve();
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
