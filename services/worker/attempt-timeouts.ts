/**
 * Per-attempt timeouts of one backend on a single timer. Every attempt has the same timeout, so
 * deadlines come in start order: a FIFO of running attempts, and one timer waiting for the oldest.
 * A setTimeout and a clearTimeout per attempt (a Timeout object, a timer-list insert and removal)
 * cost more than the rest of the attempt's bookkeeping.
 */
export interface AttemptTimeouts {
  /** Aborts `controller` with a TimeoutError once the timeout passes, unless finished first. Returns its ticket. */
  start(controller: AbortController): number;
  /** The attempt of `ticket` settled: no timeout for it any more. */
  finish(ticket: number): void;
  /** Aborts every running attempt with `reason` (shutdown). */
  abortAll(reason: unknown): void;
}

export function createAttemptTimeouts(timeoutMs: number): AttemptTimeouts {
  // Running attempts from index `head` on (finished ones are `undefined`); `base` is the ticket of index 0.
  let controllers: (AbortController | undefined)[] = [];
  let deadlines: number[] = [];
  let head = 0;
  let base = 0;
  let running = 0;
  let timer: NodeJS.Timeout | undefined;

  function expire(): void {
    timer = undefined;
    const now = performance.now();
    while (head < controllers.length) {
      const controller = controllers[head];
      if (controller !== undefined) {
        if (deadlines[head]! > now) break;
        controllers[head] = undefined;
        running--;
        abortWithTimeout(controller);
      }
      head++;
    }
    compact();
    // The timer may fire a little before the oldest deadline (timers keep whole milliseconds): wait again.
    if (running > 0) timer = setTimeout(expire, Math.max(1, Math.ceil(deadlines[head]! - now)));
  }

  function compact(): void {
    if (running === 0) {
      base += controllers.length;
      controllers = [];
      deadlines = [];
      head = 0;
    } else if (head > 1024 && head * 2 > controllers.length) {
      controllers = controllers.slice(head);
      deadlines = deadlines.slice(head);
      base += head;
      head = 0;
    }
  }

  return {
    start(controller) {
      const ticket = base + controllers.length;
      controllers.push(controller);
      deadlines.push(performance.now() + timeoutMs);
      running++;
      // Without a timer nothing else runs: this attempt is the oldest.
      timer ??= setTimeout(expire, timeoutMs);
      return ticket;
    },
    finish(ticket) {
      const index = ticket - base;
      if (index < head || controllers[index] === undefined) return;
      controllers[index] = undefined;
      running--;
      while (head < controllers.length && controllers[head] === undefined) head++;
      if (running === 0) {
        clearTimeout(timer);
        timer = undefined;
      }
      compact();
    },
    abortAll(reason) {
      for (let i = head; i < controllers.length; i++) controllers[i]?.abort(reason);
    },
  };
}

/** Aborts like AbortSignal.timeout() does: clients tell a timeout from a shutdown by this reason. */
function abortWithTimeout(controller: AbortController): void {
  controller.abort(new DOMException('The operation timed out.', 'TimeoutError'));
}
