import { describe, expect, it } from 'vitest';
import { createPartitionTracker } from '../../../connectors/kafka/offset-tracker.ts';

function tracked(...offsets: number[]) {
  const tracker = createPartitionTracker();
  for (const offset of offsets) expect(tracker.track(offset)).toBe(true);
  return tracker;
}

describe('partition offset tracker', () => {
  it('commits the first delivered offset before anything is acked (pins the start position)', () => {
    expect(tracked(5, 6).committable()).toBe(5);
    expect(createPartitionTracker().committable()).toBeUndefined();
  });

  it('commits the highest contiguous acked offset + 1 when acks arrive out of order', () => {
    const tracker = tracked(0, 1, 2, 3);
    tracker.ack(0);
    tracker.ack(2);
    tracker.ack(3);
    expect(tracker.committable()).toBe(1);
    expect(tracker.inFlight).toBe(3);
    tracker.ack(1);
    expect(tracker.committable()).toBe(4);
    expect(tracker.inFlight).toBe(0);
  });

  it('steps over offset gaps (compaction, transaction markers)', () => {
    const tracker = tracked(10, 13, 20);
    tracker.ack(10);
    expect(tracker.committable()).toBe(13);
    tracker.ack(20);
    tracker.ack(13);
    expect(tracker.committable()).toBe(21);
  });

  it('reports nothing new after a commit until the position moves', () => {
    const tracker = tracked(0, 1);
    tracker.ack(0);
    expect(tracker.committable()).toBe(1);
    tracker.committed(1);
    expect(tracker.committable()).toBeUndefined();
    tracker.ack(1);
    expect(tracker.committable()).toBe(2);
  });

  it('ignores duplicate acks, acks of untracked offsets and re-tracking of offsets already seen', () => {
    const tracker = tracked(0, 1, 2);
    tracker.ack(0);
    tracker.ack(0);
    tracker.ack(7);
    expect(tracker.track(1)).toBe(false);
    expect(tracker.track(2)).toBe(false);
    expect(tracker.committable()).toBe(1);
    expect(tracker.inFlight).toBe(2);
    expect(tracker.track(3)).toBe(true);
    expect(tracker.lastTracked).toBe(3);
  });

  it('never commits after revocation, whatever is acked later', () => {
    const tracker = tracked(0, 1);
    tracker.revoke();
    tracker.ack(0);
    tracker.ack(1);
    expect(tracker.revoked).toBe(true);
    expect(tracker.committable()).toBeUndefined();
    expect(tracker.track(2)).toBe(false);
  });

  it('keeps a long stream bounded and exact', () => {
    const tracker = createPartitionTracker();
    for (let offset = 0; offset < 10_000; offset++) tracker.track(offset);
    // Ack odd offsets first, then even ones: the commit point only moves with the even acks.
    for (let offset = 1; offset < 10_000; offset += 2) tracker.ack(offset);
    expect(tracker.committable()).toBe(0);
    for (let offset = 0; offset < 5_000; offset += 2) tracker.ack(offset);
    expect(tracker.committable()).toBe(5_000);
    for (let offset = 5_000; offset < 10_000; offset += 2) tracker.ack(offset);
    expect(tracker.committable()).toBe(10_000);
    expect(tracker.inFlight).toBe(0);
  });
});
