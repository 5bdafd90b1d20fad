/**
 * Callers waiting for a turn, released oldest first. A waiter whose signal aborts leaves the queue and
 * its promise rejects with the signal's reason. Shared by the concurrency limiter (waiting for a call
 * slot) and the guarded backend (calls held while the breaker is not closed).
 *
 * Built for thousands of waiters: a deque over an array (shift() and splice() per release would be
 * quadratic), aborted waiters marked and skipped, and one abort listener per signal rather than per
 * waiter (an AbortSignal's listener list is scanned on every add and remove, so a listener per waiter
 * on the worker's lifecycle signal made every wait O(n)).
 */
export interface WaitQueue {
  /** Waiters still waiting (aborted ones excluded). */
  readonly size: number;
  /** Resolves when released; rejects with the signal's reason when it aborts first. */
  wait(signal: AbortSignal): Promise<void>;
  /** Releases up to `count` oldest waiters (default all); returns how many it released. */
  release(count?: number): number;
}

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (reason: unknown) => void;
  readonly signal: AbortSignal;
  cancelled: boolean;
}

export function createWaitQueue(): WaitQueue {
  let queue: (Waiter | undefined)[] = [];
  let head = 0;
  let waiting = 0;
  const watched = new WeakSet<AbortSignal>();

  function onAbort(signal: AbortSignal): void {
    for (let i = head; i < queue.length; i++) {
      const waiter = queue[i];
      if (waiter === undefined || waiter.signal !== signal || waiter.cancelled) continue;
      waiter.cancelled = true;
      waiting--;
      waiter.reject(signal.reason);
    }
    compact();
  }

  function compact(): void {
    if (waiting === 0) {
      // Released or aborted all: start over, without a new array when there is nothing to drop.
      if (queue.length > 0) queue = [];
      head = 0;
    } else if (head > 1024 && head * 2 > queue.length) {
      queue = queue.slice(head);
      head = 0;
    }
  }

  return {
    get size() {
      return waiting;
    },
    wait(signal) {
      if (signal.aborted) return Promise.reject(signal.reason);
      if (!watched.has(signal)) {
        watched.add(signal);
        signal.addEventListener('abort', () => onAbort(signal), { once: true });
      }
      return new Promise((resolve, reject) => {
        queue.push({ resolve, reject, signal, cancelled: false });
        waiting++;
      });
    },
    release(count = Number.POSITIVE_INFINITY) {
      let released = 0;
      while (released < count && waiting > 0) {
        const next = queue[head];
        queue[head++] = undefined;
        if (next === undefined || next.cancelled) continue;
        waiting--;
        released++;
        next.resolve();
      }
      compact();
      return released;
    },
  };
}
