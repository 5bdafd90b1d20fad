/**
 * The operator's loop on each real broker: a running worker dead-letters the events the model rejects
 * (among other failures), the fault is cleared, a dry run selects exactly the rejected ones, the replay
 * moves them back to the source, the still-running worker enriches every one, and the ledger over
 * sink ∪ dead letters accounts for every event.
 */
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../support/wait-for.ts';
import { CONNECTOR, MARKER, keysOf, testEvent, useReplayEnv } from './replay-env.ts';

const N = 60;
const kindOf = (i: number): 'ok' | 'marker' | 'malformed' => (i % 5 === 0 ? 'marker' : i % 7 === 3 ? 'malformed' : 'ok');
const keysOfKind = (kind: string): string[] => Array.from({ length: N }, (_, i) => i).filter((i) => kindOf(i) === kind).map((i) => `k-${i}`);

for (const broker of ['kafka', 'rabbitmq'] as const) {
  describe(`operator's replay loop over ${broker}`, () => {
    const ctx = useReplayEnv(broker);

    it('dead-letters rejected events, replays exactly them after the fix, and loses none', async () => {
      const e = await ctx.create();
      const rejected = keysOfKind('marker');
      const malformed = keysOfKind('malformed');
      const ok = keysOfKind('ok');
      ctx.model.faults.set('sentiment', { rejectMarker: MARKER, rejectStatus: 400 });
      await e.startWorker();
      await e.produce(Array.from({ length: N }, (_, i) => testEvent(i, kindOf(i))));

      // 1. The worker dead-letters the rejected and the malformed events (a mix of codes).
      await waitFor(async () => e.enriched.messages.length >= ok.length && (await e.deadLetters()).length >= rejected.length + malformed.length, {
        timeoutMs: 60_000,
        intervalMs: 1000,
        what: 'enriched events and dead letters',
      });
      const before = await e.deadLetters();
      const codes = new Map(before.map((v) => [v.key, v.code]));
      expect(new Set(before.map((v) => v.code))).toEqual(new Set(['INFERENCE_REJECTED', 'MALFORMED_PAYLOAD']));
      expect(before.filter((v) => v.code === 'INFERENCE_REJECTED').map((v) => v.key).sort()).toEqual([...rejected].sort());

      // 2. The fault is cleared. 3. The dry run reports exactly the events of the chosen code, and changes nothing.
      ctx.model.faults.clear();
      const from = { connector: CONNECTOR };
      const dry = await e.service.dryRun({ from, filter: { codes: ['INFERENCE_REJECTED'] }, previewSize: 100 });
      expect(dry).toMatchObject({ scanned: before.length, matched: rejected.length, byCode: { INFERENCE_REJECTED: rejected.length }, byConnector: { [CONNECTOR]: rejected.length } });
      expect(dry.preview.map((v) => v.key).sort()).toEqual([...rejected].sort());
      const afterDryRun = await e.deadLetters();
      // Same messages at the same positions (Kafka interleaves partitions in any order; a queue keeps its order).
      const placed = (views: typeof before): string[] => views.map((v) => `${v.position}=${v.key}`);
      expect(broker === 'kafka' ? placed(afterDryRun).sort() : placed(afterDryRun)).toEqual(broker === 'kafka' ? placed(before).sort() : placed(before));

      // 4. The replay moves them to the source; the running worker enriches every one.
      const job = await e.service.start({ from, filter: { codes: ['INFERENCE_REJECTED'] } }, { sub: 'test-operator' });
      const done = await e.service.wait(job.id);
      expect(done).toMatchObject({ state: 'succeeded', progress: { matched: rejected.length, moved: rejected.length, failed: 0, parked: 0, skipped: 0 } });
      await waitFor(() => new Set(keysOf(e.enriched.messages)).size >= ok.length + rejected.length, { timeoutMs: 60_000, what: 'replayed events enriched' });

      // 5. The ledger: every id in sink ∪ dead letters, none lost; the other codes are still dead letters.
      const enrichedKeys = keysOf(e.enriched.messages);
      const after = await e.deadLetters();
      const seen = new Set([...enrichedKeys, ...after.map((v) => v.key)]);
      const lost = Array.from({ length: N }, (_, i) => `k-${i}`).filter((key) => !seen.has(key));
      const duplicates = enrichedKeys.length - new Set(enrichedKeys).size;
      console.info(`[${broker}] ledger: ${N} events, ${new Set(enrichedKeys).size} enriched, ${after.length} dead letters, lost ${lost.length}, duplicates ${duplicates}`);
      expect(lost).toEqual([]);
      expect(duplicates).toBe(0);
      expect(new Set(enrichedKeys)).toEqual(new Set([...ok, ...rejected]));
      expect(after.filter((v) => v.code === 'MALFORMED_PAYLOAD').map((v) => v.key).sort()).toEqual([...malformed].sort());
      if (broker === 'rabbitmq') {
        // A queue: the replayed ones are gone and the rest kept their order.
        expect(after.map((v) => v.key)).toEqual(before.map((v) => v.key).filter((key) => codes.get(key) !== 'INFERENCE_REJECTED'));
      } else {
        // A log: the replayed dead letters stay in the topic; the job's group has passed them.
        expect(after.map((v) => v.key).sort()).toEqual(before.map((v) => v.key).sort());
      }
      const metrics = await e.metrics.getMetricsAsJSON();
      const moved = metrics.find((m) => m.name === 'modelbridge_replay_messages_total')!.values.find((v) => v.labels.outcome === 'moved');
      expect(moved?.value).toBe(rejected.length);
      expect(metrics.find((m) => m.name === 'modelbridge_replay_jobs_active')!.values[0]!.value).toBe(0);
    });
  });
}
