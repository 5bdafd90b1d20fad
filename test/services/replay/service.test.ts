import { describe, expect, it } from 'vitest';
import { DLQ_HEADERS } from '../../../schemas/dead-letter.ts';
import { historyOf } from '../../../services/replay/bookkeeping.ts';
import { ReplayError } from '../../../services/replay/types.ts';
import type { ReplayJobEvent } from '../../../services/replay/types.ts';
import { CONNECTOR, memoryConnector, memorySetup } from './memory-setup.ts';
import type { Letter } from './memory-setup.ts';

const actor = { sub: 'user-1', username: 'ops' };
const from = { connector: CONNECTOR };

function mix(): Letter[] {
  return [
    { id: 'a1', code: 'INFERENCE_REJECTED' },
    { id: 'b1', code: 'MALFORMED_PAYLOAD' },
    { id: 'a2', code: 'INFERENCE_REJECTED' },
    { id: 'c1', code: 'MAPPING_FAILED' },
    { id: 'a3', code: 'INFERENCE_REJECTED' },
    { id: 'b2', code: 'MALFORMED_PAYLOAD' },
  ];
}

const text = (value: Buffer | string | undefined): string | undefined => (value === undefined ? undefined : value.toString());

describe('replay service (memory transport)', () => {
  it('dry run counts exactly the chosen code, previews them, and leaves the dead letters untouched', async () => {
    const s = memorySetup();
    s.deadLetter(mix());
    const before = s.ids('dlq');
    const result = await s.service.dryRun({ from, filter: { codes: ['INFERENCE_REJECTED'] }, previewSize: 2 });
    expect(result).toMatchObject({ scanned: 6, matched: 3, byCode: { INFERENCE_REJECTED: 3 }, byConnector: { [CONNECTOR]: 3 }, wouldPark: 0 });
    expect(result.preview.map((v) => v.eventId)).toEqual(['a1', 'a2']);
    expect(s.ids('dlq')).toEqual(before);
    expect(s.broker.stream('in').log).toHaveLength(0);
  });

  it('replays the selected dead letters to their origin with the original bytes and bookkeeping; the rest stay in order', async () => {
    const s = memorySetup();
    s.deadLetter(mix());
    const originals = s.broker.stream('dlq').pending.filter((m) => text(m.headers[DLQ_HEADERS.code]) === 'INFERENCE_REJECTED');
    const job = await s.service.start({ from, filter: { codes: ['INFERENCE_REJECTED'] }, jobId: 'job-1' }, actor);
    expect(job.state).toBe('running');
    const done = await s.service.wait('job-1');
    expect(done).toMatchObject({ state: 'succeeded', progress: { scanned: 6, matched: 3, moved: 3, parked: 0, failed: 0, skipped: 0, etaSeconds: 0 } });
    expect(s.ids('in')).toEqual(['a1', 'a2', 'a3']);
    expect(s.ids('dlq')).toEqual(['b1', 'c1', 'b2']);
    for (const [i, replayed] of s.broker.stream('in').log.entries()) {
      expect(replayed.value!.equals(originals[i]!.value!)).toBe(true);
      expect(replayed.key!.equals(originals[i]!.key!)).toBe(true);
      expect(replayed.contentType).toBe('application/json');
      expect(replayed.headers['x-tenant']).toBe('acme');
      expect(replayed.headers[DLQ_HEADERS.replayCount]).toBe('1');
      expect(replayed.headers[DLQ_HEADERS.replayJobId]).toBe('job-1');
      for (const name of [DLQ_HEADERS.code, DLQ_HEADERS.message, DLQ_HEADERS.stage, DLQ_HEADERS.originTopic, DLQ_HEADERS.connector]) {
        expect(replayed.headers[name]).toBeUndefined();
      }
      expect(historyOf(replayed.headers)).toEqual([expect.objectContaining({ code: 'INFERENCE_REJECTED', handledByJob: 'job-1', connector: CONNECTOR })]);
    }
  });

  it('parks a message at the replay cap, with its whole history, instead of replaying it', async () => {
    const s = memorySetup([memoryConnector({ replay: { maxReplays: 2 } })]);
    const previous = JSON.stringify([{ code: 'INFERENCE_REJECTED', handledByJob: 'old-1' }, { code: 'INFERENCE_REJECTED', handledByJob: 'old-2' }]);
    s.deadLetter([
      { id: 'looping', code: 'INFERENCE_REJECTED', headers: { [DLQ_HEADERS.replayCount]: '2', [DLQ_HEADERS.replayJobId]: 'old-2', [DLQ_HEADERS.history]: previous } },
      { id: 'fresh', code: 'INFERENCE_REJECTED', headers: { [DLQ_HEADERS.replayCount]: '1' } },
    ]);
    expect((await s.service.dryRun({ from })).wouldPark).toBe(1);
    await s.service.start({ from, jobId: 'job-park' }, actor);
    expect((await s.service.wait('job-park')).progress).toMatchObject({ moved: 1, parked: 1 });
    expect(s.ids('dlq')).toEqual([]);
    expect(s.ids('in')).toEqual(['fresh']);
    expect(s.ids('dlq.parked')).toEqual(['looping']);
    const parked = s.broker.stream('dlq.parked').log[0]!;
    expect(parked.headers[DLQ_HEADERS.code]).toBe('INFERENCE_REJECTED');
    expect(parked.headers[DLQ_HEADERS.replayCount]).toBe('2');
    expect(parked.headers[DLQ_HEADERS.parkedByJob]).toBe('job-park');
    expect(historyOf(parked.headers).map((h) => h.handledByJob)).toEqual(['old-1', 'old-2', 'job-park']);
    expect(historyOf(parked.headers)[2]).toMatchObject({ replayJobId: 'old-2', code: 'INFERENCE_REJECTED' });
  });

  it('combines filters with AND: window, event ids, key, header equality and a JSONata predicate', async () => {
    const s = memorySetup();
    s.deadLetter([
      { id: 'e1', code: 'INFERENCE_REJECTED', key: 'k1', text: 'refund please', failedAt: Date.parse('2026-01-01T09:00:00Z') },
      { id: 'e2', code: 'INFERENCE_REJECTED', key: 'k2', text: 'refund now', failedAt: Date.parse('2026-01-01T11:00:00Z'), headers: { 'x-region': 'eu' } },
      { id: 'e3', code: 'INFERENCE_REJECTED', key: 'k3', text: 'hello', failedAt: Date.parse('2026-01-01T11:30:00Z'), headers: { 'x-region': 'eu' } },
      { id: 'e4', code: 'MALFORMED_PAYLOAD', key: 'k4', text: 'refund', failedAt: Date.parse('2026-01-01T12:00:00Z'), headers: { 'x-region': 'eu' } },
    ]);
    const matched = async (filter: object): Promise<(string | undefined)[]> =>
      (await s.service.dryRun({ from, filter, previewSize: 100 })).preview.map((v) => v.eventId);
    expect(await matched({ window: { since: '2026-01-01T10:00:00Z' } })).toEqual(['e2', 'e3', 'e4']);
    expect(await matched({ window: { field: 'first', since: '2026-01-01T10:00:00Z', until: '2026-01-01T11:30:00Z' } })).toEqual(['e2']);
    expect(await matched({ eventIds: ['e1', 'e4'] })).toEqual(['e1', 'e4']);
    expect(await matched({ key: 'k3' })).toEqual(['e3']);
    expect(await matched({ headers: { 'x-region': 'eu' }, codes: ['INFERENCE_REJECTED'] })).toEqual(['e2', 'e3']);
    expect(await matched({ predicate: '$contains(value.text, "refund")' })).toEqual(['e1', 'e2', 'e4']);
    expect(await matched({ predicate: '$contains(value.text, "refund")', headers: { 'x-region': 'eu' }, stages: ['infer'] })).toEqual(['e2']);
    expect(await matched({ predicate: 'headers."mb-dlq-code" = "MALFORMED_PAYLOAD"' })).toEqual(['e4']);
    await expect(s.service.dryRun({ from, filter: { predicate: '$contains(' } })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
  });

  it('refuses targets that are neither an origin nor allowed, and replays to an allowed one', async () => {
    const s = memorySetup([memoryConnector()]);
    s.deadLetter(mix());
    await expect(s.service.start({ from, to: { kind: 'kafka', topic: 'elsewhere' } }, actor)).rejects.toMatchObject({ code: 'TARGET_NOT_ALLOWED' });
    await expect(s.service.start({ from: { connector: 'nope' } }, actor)).rejects.toMatchObject({ code: 'UNKNOWN_CONNECTOR' });
    await expect(s.service.start({ from: { connector: CONNECTOR, name: 'some-other-stream' } }, actor)).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    await expect(s.service.start({ from, rate: -1 }, actor)).rejects.toBeInstanceOf(ReplayError);
    expect(s.ids('dlq')).toHaveLength(6);
  });

  it('skips a selected message whose origin is not a configured source, and it stays', async () => {
    const s = memorySetup();
    s.deadLetter([{ id: 'x1', code: 'INFERENCE_REJECTED' }]);
    s.broker.publish('dlq', { key: null, value: Buffer.from('{"id":"stray"}'), headers: { [DLQ_HEADERS.code]: 'INFERENCE_REJECTED', [DLQ_HEADERS.originTransport]: 'memory', [DLQ_HEADERS.originTopic]: 'unknown' }, contentType: undefined });
    await s.service.start({ from, jobId: 'j' }, actor);
    expect((await s.service.wait('j')).progress).toMatchObject({ matched: 2, moved: 1, skipped: 1 });
    expect(s.ids('dlq')).toEqual(['stray']);
  });

  it('stops at max, and counts messages by outcome in metrics without a job id label', async () => {
    const s = memorySetup();
    s.deadLetter(mix());
    await s.service.start({ from, filter: { codes: ['INFERENCE_REJECTED'] }, max: 2, jobId: 'j-max' }, actor);
    expect((await s.service.wait('j-max')).progress).toMatchObject({ moved: 2 });
    expect(s.ids('dlq')).toEqual(['b1', 'c1', 'a3', 'b2']);
    const metrics = await s.metrics.getMetricsAsJSON();
    const messages = metrics.find((m) => m.name === 'modelbridge_replay_messages_total')!;
    const byOutcome = Object.fromEntries(messages.values.map((v) => [v.labels.outcome, v.value]));
    // It stops reading once two are moved: a1 moved, b1 not matched, a2 moved.
    expect(byOutcome).toEqual({ moved: 2, not_matched: 1 });
    for (const value of messages.values) expect(Object.keys(value.labels).sort()).toEqual(['connector', 'outcome']);
    expect(metrics.find((m) => m.name === 'modelbridge_replay_jobs_active')!.values[0]!.value).toBe(0);
    expect(metrics.find((m) => m.name === 'modelbridge_replay_jobs_total')!.values).toEqual([expect.objectContaining({ labels: { state: 'succeeded' }, value: 1 })]);
  });

  it('tells listeners once when a job starts and once when it ends; a failing start listener refuses the job', async () => {
    const s = memorySetup();
    s.deadLetter(mix());
    const events: ReplayJobEvent[] = [];
    const off = s.service.onJobEvent((event) => void events.push(event));
    await s.service.start({ from, filter: { codes: ['MAPPING_FAILED'] }, jobId: 'audited' }, actor);
    await s.service.wait('audited');
    expect(events.map((e) => [e.type, e.job.id, e.job.state])).toEqual([
      ['started', 'audited', 'running'],
      ['finished', 'audited', 'succeeded'],
    ]);
    expect(events[1]!.job).toMatchObject({ actor, progress: { moved: 1 }, request: { filter: { codes: ['MAPPING_FAILED'] } } });
    off();
    s.service.onJobEvent(() => Promise.reject(new Error('audit log full')));
    await expect(s.service.start({ from, jobId: 'refused' }, actor)).rejects.toThrow('audit log full');
    expect(s.service.get('refused')).toBeUndefined();
    expect(s.ids('dlq')).toEqual(['a1', 'b1', 'a2', 'a3', 'b2']);
  });

  it('two starts of one job id at the same time: one runs, the other is JOB_CONFLICT, even while the start is being recorded', async () => {
    const s = memorySetup();
    s.deadLetter(Array.from({ length: 20 }, (_, i): Letter => ({ id: `r${i}`, code: 'INFERENCE_REJECTED' })));
    // A start listener that takes its time (an audit trail on a slow disk) keeps the first start awaiting.
    s.service.onJobEvent(async (event) => {
      if (event.type === 'started') await new Promise((resolve) => setTimeout(resolve, 20));
    });
    const results = await Promise.allSettled([s.service.start({ from, rate: 50, jobId: 'twice' }, actor), s.service.start({ from, rate: 50, jobId: 'twice' }, actor)]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { code: 'JOB_CONFLICT' } });
    await s.service.cancel('twice');
    // Once it has ended, the id may start again.
    await expect(s.service.start({ from, jobId: 'twice' }, actor)).resolves.toMatchObject({ id: 'twice' });
    await s.service.wait('twice');
  });

  it('cancels a rate-limited job: it ends cancelled and what it did not move stays', async () => {
    const s = memorySetup();
    s.deadLetter(Array.from({ length: 50 }, (_, i): Letter => ({ id: `m${i}`, code: 'INFERENCE_REJECTED' })));
    await s.service.start({ from, rate: 20, jobId: 'slow' }, actor);
    await expect(s.service.start({ from, jobId: 'slow' }, actor)).rejects.toMatchObject({ code: 'JOB_CONFLICT' });
    const cancelled = await s.service.cancel('slow');
    expect(cancelled?.state).toBe('cancelled');
    const { moved } = cancelled!.progress;
    expect(moved).toBeLessThan(50);
    expect(s.ids('in')).toHaveLength(moved);
    expect(s.ids('dlq')).toHaveLength(50 - moved);
    expect(s.service.list().map((j) => j.id)).toEqual(['slow']);
  });

  it('browses pages with a cursor, counts by code and connector, and consumes nothing', async () => {
    const s = memorySetup();
    s.deadLetter(mix());
    const first = await s.service.browse({ connector: CONNECTOR, limit: 2 });
    expect(first.items.map((v) => v.eventId)).toEqual(['a1', 'b1']);
    expect(first.counts.byCode).toEqual({ INFERENCE_REJECTED: 3, MALFORMED_PAYLOAD: 2, MAPPING_FAILED: 1 });
    expect(first.total).toBe(6);
    const second = await s.service.browse({ connector: CONNECTOR, limit: 2, cursor: first.nextCursor });
    expect(second.items.map((v) => v.eventId)).toEqual(['a2', 'c1']);
    const third = await s.service.browse({ connector: CONNECTOR, limit: 2, cursor: second.nextCursor });
    expect(third.items.map((v) => v.eventId)).toEqual(['a3', 'b2']);
    expect(third.nextCursor).toBeUndefined();
    const rejected = await s.service.browse({ connector: CONNECTOR, code: 'INFERENCE_REJECTED', limit: 10 });
    expect(rejected.items.map((v) => v.eventId)).toEqual(['a1', 'a2', 'a3']);
    expect(rejected.nextCursor).toBeUndefined();
    await expect(s.service.browse({ connector: CONNECTOR, cursor: 'not-a-cursor' })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    expect(s.ids('dlq')).toHaveLength(6);
  });
});
