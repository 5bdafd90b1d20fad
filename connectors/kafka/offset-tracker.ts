/**
 * Per-partition bookkeeping for out-of-order acknowledgement: the pipeline completes messages of one
 * partition in any order, but Kafka can only record "everything below N is done". The tracker yields
 * the offset to commit: the first offset not yet acknowledged, i.e. highest contiguous acked + 1.
 *
 * Offsets are JavaScript numbers: exact up to 2^53, far beyond any real partition.
 */

/** Tracking state of one partition within one assignment. */
export interface PartitionTracker {
  /**
   * Records a delivered offset. Offsets must rise; a lower or equal one (a re-fetch after a
   * rebalance of messages already in flight) returns false and must not be delivered again.
   */
  track(offset: number): boolean;
  /** Marks a tracked offset done. Acks for untracked offsets or after `revoke()` are ignored. */
  ack(offset: number): void;
  /** The offset to commit if it moved past the last committed one, else undefined. */
  committable(): number | undefined;
  /** Records a successful commit of `offset`. */
  committed(offset: number): void;
  /** Drops the state: the partition is no longer owned, later acks must not commit. */
  revoke(): void;
  readonly revoked: boolean;
  /** Delivered and not yet acked. */
  readonly inFlight: number;
  /** The last tracked offset, or -1. */
  readonly lastTracked: number;
}

/** A tracker for one partition. */
export function createPartitionTracker(): PartitionTracker {
  // Delivered offsets not yet passed by the commit point, oldest first, as a deque over an array.
  let pending: number[] = [];
  let head = 0;
  const acked = new Set<number>();
  let lastTracked = -1;
  // The offset after the last one passed (all delivered offsets below it are acked).
  let next: number | undefined;
  let lastCommitted: number | undefined;
  let revoked = false;

  function advance(): void {
    while (head < pending.length && acked.delete(pending[head]!)) {
      next = pending[head]! + 1;
      head++;
    }
    // Compact now and then so the array does not grow without bound.
    if (head > 1024 && head * 2 > pending.length) {
      pending = pending.slice(head);
      head = 0;
    }
  }

  return {
    track(offset) {
      if (revoked || offset <= lastTracked) return false;
      lastTracked = offset;
      pending.push(offset);
      return true;
    },
    ack(offset) {
      if (revoked || offset > lastTracked || (next !== undefined && offset < next) || acked.has(offset)) return;
      acked.add(offset);
      if (pending[head] === offset) advance();
    },
    committable() {
      if (revoked) return undefined;
      // With messages still pending, commit exactly the first unacked offset: offsets between
      // `next` and it are gaps (compaction, transaction markers) that need no ack.
      const candidate = head < pending.length ? pending[head] : next;
      if (candidate === undefined || (lastCommitted !== undefined && candidate <= lastCommitted)) return undefined;
      return candidate;
    },
    committed(offset) {
      if (lastCommitted === undefined || offset > lastCommitted) lastCommitted = offset;
    },
    revoke() {
      revoked = true;
      pending = [];
      head = 0;
      acked.clear();
    },
    get revoked() {
      return revoked;
    },
    get inFlight() {
      return pending.length - head;
    },
    get lastTracked() {
      return lastTracked;
    },
  };
}
