import { describe, expect, it } from 'vitest';
import { ModelbridgeError } from '../../../schemas/errors.ts';
import type { InboundMessage } from '../../../connectors/types.ts';
import { DLQ_HEADERS } from '../../../schemas/dead-letter.ts';
import { buildReplayMessage, historyOf, replayCountOf } from '../../../services/replay/bookkeeping.ts';
import { buildDeadLetter } from '../../../services/worker/messages.ts';

const context = { connector: 'c', backend: 'kserve-http', model: 'm', attempts: 2, firstFailureAt: 1_000, lastFailureAt: 2_000, eventId: 'e-1' };

function inbound(headers: InboundMessage['headers']): InboundMessage {
  return {
    key: Buffer.from('k'),
    value: Buffer.from('{"id":"e-1"}'),
    headers,
    contentType: undefined,
    timestamp: undefined,
    origin: { transport: 'kafka', topic: 'orders', partition: 0, offset: '7', timestamp: undefined },
  };
}

/** The worker dead-letters `message`, and the dead letter as read back from Kafka (byte headers). */
function failAndRead(message: InboundMessage, code: 'INFERENCE_REJECTED' | 'MAPPING_FAILED'): InboundMessage {
  const letter = buildDeadLetter(message, new ModelbridgeError(code, `boom ${code}`), context);
  const headers: Record<string, Buffer> = {};
  for (const [name, value] of Object.entries(letter.headers)) headers[name] = Buffer.from(value);
  return inbound(headers);
}

describe('replay bookkeeping across worker failures', () => {
  it('the worker keeps the replay count, job id and history on a new dead letter of a replayed message', () => {
    const first = failAndRead(inbound({ 'x-app': 'a' }), 'INFERENCE_REJECTED');
    expect(replayCountOf(first.headers)).toBe(0);
    const replayed = buildReplayMessage(first, 'job-a', 'orders');
    const second = failAndRead(inbound(replayed.headers), 'MAPPING_FAILED');
    expect(replayCountOf(second.headers)).toBe(1);
    expect(second.headers[DLQ_HEADERS.replayJobId]!.toString()).toBe('job-a');
    expect(second.headers[DLQ_HEADERS.code]!.toString()).toBe('MAPPING_FAILED');
    expect(second.headers['x-app']!.toString()).toBe('a');
    const again = buildReplayMessage(second, 'job-b', 'orders');
    expect(again.headers[DLQ_HEADERS.replayCount]).toBe('2');
    expect(historyOf(again.headers).map((h) => [h.code, h.handledByJob, h.replayJobId])).toEqual([
      ['INFERENCE_REJECTED', 'job-a', undefined],
      ['MAPPING_FAILED', 'job-b', 'job-a'],
    ]);
  });

  it('reads a malformed count or history as none, and never copies failure headers onto the replay', () => {
    const letter = inbound({ [DLQ_HEADERS.replayCount]: 'many', [DLQ_HEADERS.history]: '{not json', [DLQ_HEADERS.code]: 'X', [DLQ_HEADERS.originContentType]: 'text/plain' });
    expect(replayCountOf(letter.headers)).toBe(0);
    expect(historyOf(letter.headers)).toEqual([]);
    const out = buildReplayMessage(letter, 'j', 'orders');
    expect(out.headers[DLQ_HEADERS.replayCount]).toBe('1');
    expect(out.headers[DLQ_HEADERS.code]).toBeUndefined();
    expect(out.headers[DLQ_HEADERS.originContentType]).toBeUndefined();
    expect(out.contentType).toBe('text/plain');
    expect(historyOf(out.headers)).toHaveLength(1);
  });
});
