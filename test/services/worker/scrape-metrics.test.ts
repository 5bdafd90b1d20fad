import { pino } from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it, vi } from 'vitest';
import type { PartitionOffsets } from '../../../connectors/types.ts';
import { registerScrapeMetrics } from '../../../services/worker/scrape-metrics.ts';
import type { ScrapeTarget } from '../../../services/worker/scrape-metrics.ts';

const logger = pino({ level: 'silent' });
const row = (partition: number, committed: number, end: number): PartitionOffsets => ({ topic: 't', partition, committed, start: 0, end });

function kafkaTarget(offsets: () => Promise<readonly PartitionOffsets[]>, ready = true): ScrapeTarget {
  return { connector: 'c', group: 'g', ready: () => ready, source: { status: () => ({ connected: true, paused: false, lag: 3 }), offsets } };
}

describe('scrape-time metrics', () => {
  it('maps offsets to kafka_exporter series, -1 lag without a commit, and reads readiness and lag at scrape', async () => {
    const registry = new Registry();
    registerScrapeMetrics(registry, [kafkaTarget(async () => [row(0, 10, 15), row(1, -1, 7)], false)], logger);
    const text = await registry.metrics();
    expect(text).toContain('kafka_consumergroup_lag{consumergroup="g",topic="t",partition="0"} 5');
    expect(text).toContain('kafka_consumergroup_lag{consumergroup="g",topic="t",partition="1"} -1');
    expect(text).toContain('kafka_consumergroup_lag_sum{consumergroup="g",topic="t"} 5');
    expect(text).toContain('kafka_consumergroup_current_offset{consumergroup="g",topic="t",partition="1"} -1');
    expect(text).toContain('kafka_topic_partition_current_offset{topic="t",partition="1"} 7');
    expect(text).toContain('modelbridge_connector_ready{connector="c"} 0');
    expect(text).toContain('modelbridge_consumer_lag{connector="c"} 3');
  });

  it('one broker look-up serves all gauges of a scrape', async () => {
    const offsets = vi.fn(async () => [row(0, 1, 2)]);
    const registry = new Registry();
    registerScrapeMetrics(registry, [kafkaTarget(offsets)], logger);
    await registry.metrics();
    expect(offsets).toHaveBeenCalledTimes(1);
  });

  it('a failing or hanging broker leaves its series out of the scrape, which still answers', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    try {
      const registry = new Registry();
      const hanging = vi.fn(() => new Promise<readonly PartitionOffsets[]>(() => undefined));
      registerScrapeMetrics(registry, [kafkaTarget(hanging), { ...kafkaTarget(async () => Promise.reject(new Error('broker down'))), connector: 'd' }], logger);
      const scrape = registry.metrics();
      await vi.advanceTimersByTimeAsync(3000);
      const text = await scrape;
      expect(text).not.toMatch(/^kafka_consumergroup_lag\{/m);
      expect(text).toContain('modelbridge_connector_ready{connector="d"} 1');
      // The hanging look-up is not started again while it is pending.
      await vi.advanceTimersByTimeAsync(2000);
      const next = registry.metrics();
      await vi.advanceTimersByTimeAsync(3000);
      await next;
      expect(hanging).toHaveBeenCalledTimes(1);
    } finally {
      vi.useRealTimers();
    }
  });
});
