/**
 * Whether a backend is down right now, from the outcomes of its last calls for every event: most of
 * them failed transiently. The breaker's failure rate over its whole rolling window can lag behind
 * this after a healthy stretch; the retry decision asks both.
 */
export interface HealthWindow {
  /** One call's outcome: `true` when it failed transiently (a poison answer means the backend works). */
  record(failedTransiently: boolean): void;
  /** At least `minSamples` calls remembered, and half or more of them failed. */
  readonly failing: boolean;
}

/** Remembers the last `size` calls; judges only from `minSamples` on. */
export function createHealthWindow(size = 20, minSamples = 5): HealthWindow {
  const outcomes = new Uint8Array(size);
  let count = 0;
  let failures = 0;
  let next = 0;
  return {
    record(failedTransiently) {
      if (count === size) failures -= outcomes[next]!;
      else count++;
      outcomes[next] = failedTransiently ? 1 : 0;
      failures += outcomes[next]!;
      next = (next + 1) % size;
    },
    get failing() {
      return count >= minSamples && failures * 2 >= count;
    },
  };
}
