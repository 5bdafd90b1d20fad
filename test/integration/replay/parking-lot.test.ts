/**
 * A message that keeps failing: replayed up to the cap (default 3), the worker dead-letters it again
 * each time keeping the replay count, and the next replay parks it with its full history.
 */
import { describe, expect, it } from 'vitest';
import { DLQ_HEADERS } from '../../../schemas/dead-letter.ts';
import type { DeadLetterHistoryEntry } from '../../../schemas/dead-letter.ts';
import { deadLetterName } from '../../../services/replay/plan.ts';
import { waitFor } from '../../support/wait-for.ts';
import { CONNECTOR, MARKER, testEvent, useReplayEnv } from './replay-env.ts';

const COUNT = 5;

for (const broker of ['kafka', 'rabbitmq'] as const) {
  describe(`parking lot over ${broker}`, () => {
    const ctx = useReplayEnv(broker);

    it('parks a message that keeps failing after the replay cap, with its history headers', async () => {
      const e = await ctx.create();
      const from = { connector: CONNECTOR };
      const events = Array.from({ length: COUNT }, (_, i) => testEvent(i, 'marker'));
      ctx.model.faults.set('sentiment', { rejectMarker: MARKER, rejectStatus: 400 });
      await e.startWorker();
      await e.produce(events);
      // The topic is a log: each round selects the dead letters of the last failure by their replay count.
      const round = (count: number) => ({ codes: ['INFERENCE_REJECTED'], headers: { [DLQ_HEADERS.replayCount]: String(count) } });
      const jobs: string[] = [];
      for (let count = 0; count <= 3; count++) {
        await waitFor(async () => (await e.service.dryRun({ from, filter: round(count) })).matched === COUNT, { timeoutMs: 60_000, intervalMs: 500, what: `${COUNT} dead letters replayed ${count} times` });
        const job = await e.service.start({ from, filter: round(count), jobId: `loop-${count}` }, { sub: 'test-operator' });
        jobs.push(job.id);
        const done = await e.service.wait(job.id);
        expect(done.progress).toMatchObject(count < 3 ? { moved: COUNT, parked: 0 } : { moved: 0, parked: COUNT });
      }
      const parked = await e.deadLetters(`${deadLetterName(e.config)}.parked`);
      expect(parked.map((v) => v.key).sort()).toEqual(events.map((x) => x.key).sort());
      for (const view of parked) {
        expect(view).toMatchObject({ code: 'INFERENCE_REJECTED', replayCount: 3, connector: CONNECTOR });
        expect(view.headers[DLQ_HEADERS.parkedByJob]).toBe('loop-3');
        expect(view.headers[DLQ_HEADERS.replayJobId]).toBe('loop-2');
        const history = JSON.parse(view.headers[DLQ_HEADERS.history]!) as DeadLetterHistoryEntry[];
        expect(history.map((h) => [h.code, h.handledByJob, h.replayJobId ?? null])).toEqual([
          ['INFERENCE_REJECTED', 'loop-0', null],
          ['INFERENCE_REJECTED', 'loop-1', 'loop-0'],
          ['INFERENCE_REJECTED', 'loop-2', 'loop-1'],
          ['INFERENCE_REJECTED', 'loop-3', 'loop-2'],
        ]);
        expect(view.value).toContain(MARKER);
      }
      const left = await e.deadLetters();
      if (broker === 'rabbitmq') expect(left).toEqual([]);
      else expect(left.filter((v) => v.replayCount === 3)).toHaveLength(COUNT);
    });
  });
}
