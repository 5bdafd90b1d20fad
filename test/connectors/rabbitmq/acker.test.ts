import { describe, expect, it } from 'vitest';
import { Acker } from '../../../connectors/rabbitmq/acker.ts';
import type { AckChannel } from '../../../connectors/rabbitmq/acker.ts';

/** Records the frames an acker sends, and fails like RabbitMQ on a tag that is not outstanding. */
function recordingChannel(delivered: number) {
  const outstanding = new Set(Array.from({ length: delivered }, (_, i) => i + 1));
  const frames: string[] = [];
  const take = (tag: number, multiple: boolean): void => {
    if (!outstanding.has(tag)) throw new Error(`PRECONDITION_FAILED - unknown delivery tag ${tag}`);
    for (const t of [...outstanding]) if (t === tag || (multiple && t < tag)) outstanding.delete(t);
  };
  const channel: AckChannel = {
    ack(message, allUpTo = false) {
      take(message.fields.deliveryTag, allUpTo);
      frames.push(`ack ${message.fields.deliveryTag}${allUpTo ? '+' : ''}`);
    },
    nack(message, allUpTo = false) {
      take(message.fields.deliveryTag, allUpTo);
      frames.push(`nack ${message.fields.deliveryTag}`);
    },
  };
  return { channel, frames, outstanding };
}

describe('Acker (RabbitMQ ack coalescing)', () => {
  it('acks a contiguous prefix with one multiple ack per turn', () => {
    const { channel, frames, outstanding } = recordingChannel(5);
    const acker = new Acker(channel, (error) => {
      throw error;
    });
    for (const tag of [3, 1, 2, 5, 4]) acker.ack(tag);
    acker.flush();
    expect(frames).toEqual(['ack 5+']);
    expect(outstanding.size).toBe(0);
  });

  it('acks beyond a gap one by one, never the gap, and later covers the prefix with a tag still outstanding', () => {
    const errors: unknown[] = [];
    const { channel, frames, outstanding } = recordingChannel(6);
    const acker = new Acker(channel, (error) => errors.push(error));
    for (const tag of [2, 3, 5]) acker.ack(tag);
    acker.flush();
    expect(frames).toEqual(['ack 2', 'ack 3', 'ack 5']);
    expect([...outstanding].sort()).toEqual([1, 4, 6]);
    // 1 completes: the prefix reaches 3, whose tags are all sent already: nothing to send for it.
    acker.ack(1);
    acker.ack(4);
    acker.flush();
    expect(frames.slice(3)).toEqual(['ack 4+']);
    expect([...outstanding]).toEqual([6]);
    expect(errors).toEqual([]);
  });

  it('sends nacks at once and acks around them without acking the nacked tag', () => {
    const { channel, frames, outstanding } = recordingChannel(4);
    const acker = new Acker(channel, (error) => {
      throw error;
    });
    acker.ack(1);
    acker.nack(2);
    acker.ack(3);
    acker.flush();
    expect(frames).toEqual(['nack 2', 'ack 3+']);
    expect([...outstanding]).toEqual([4]);
  });

  it('ignores a second settle of one tag and sends nothing once closed', () => {
    const { channel, frames } = recordingChannel(3);
    const acker = new Acker(channel, (error) => {
      throw error;
    });
    acker.ack(1);
    acker.ack(1);
    acker.flush();
    acker.ack(1);
    acker.close();
    acker.ack(2);
    acker.nack(3);
    acker.flush();
    expect(frames).toEqual(['ack 1+']);
  });
});
