/**
 * Capped exponential backoff with full jitter (`random(0, min(cap, base · 2^n))`), deferring to a
 * server hint (`Retry-After`) when it is longer — but never beyond the cap.
 */
export interface BackoffPolicy {
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
}

/** Delay before retry number `retry` (1-based). `random` is injectable for tests. */
export function backoffDelay(policy: BackoffPolicy, retry: number, retryAfterMs?: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.minDelayMs * 2 ** Math.max(0, retry - 1));
  const jittered = Math.floor(random() * ceiling);
  if (retryAfterMs !== undefined && retryAfterMs > jittered) return Math.min(retryAfterMs, policy.maxDelayMs);
  return jittered;
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
