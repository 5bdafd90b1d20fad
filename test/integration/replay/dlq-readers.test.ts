/**
 * The dead-letter readers on real brokers beyond the small cases: a destination larger than one Kafka
 * fetch (every message read once, none twice), and browsing it page by page with cursors.
 */
import { describe, expect, it } from 'vitest';
import { CONNECTOR, useReplayEnv } from './replay-env.ts';
import type { TestEvent } from './replay-env.ts';

const COUNT = 1500;
// ~1.5 KB each: well over kafkajs's 1 MiB per-partition fetch in all.
const padded = (i: number): TestEvent => ({ key: `k-${i}`, value: JSON.stringify({ id: `e-${i}`, key: `k-${i}`, text: `${i} ${'x'.repeat(1500)}` }) });

for (const broker of ['kafka', 'rabbitmq'] as const) {
  describe(`dead-letter readers over ${broker}`, () => {
    const ctx = useReplayEnv(broker);

    it('reads a destination larger than one fetch exactly once, and pages through it with cursors', async () => {
      const env = await ctx.create();
      const events = Array.from({ length: COUNT }, (_, i) => padded(i));
      await env.seed(events.slice(0, 1000), 'INFERENCE_REJECTED');
      await env.seed(events.slice(1000), 'MAPPING_FAILED');
      const dry = await env.service.dryRun({ from: { connector: CONNECTOR }, filter: { codes: ['MAPPING_FAILED'] } });
      expect(dry).toMatchObject({ scanned: COUNT, matched: 500, byCode: { MAPPING_FAILED: 500 } });

      const pages: string[][] = [];
      let cursor: string | undefined;
      do {
        const page = await env.service.browse({ connector: CONNECTOR, limit: 400, cursor });
        pages.push(page.items.map((v) => v.key!));
        cursor = page.nextCursor;
        if (pages.length === 1) expect(page.counts.byCode).toEqual({ INFERENCE_REJECTED: 1000, MAPPING_FAILED: 500 });
      } while (cursor !== undefined && pages.length < 10);
      expect(pages.map((p) => p.length)).toEqual([400, 400, 400, 300]);
      const keys = pages.flat();
      expect(new Set(keys).size).toBe(COUNT);
      expect(new Set(keys)).toEqual(new Set(events.map((e) => e.key)));
    });
  });
}
