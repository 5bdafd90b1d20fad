/**
 * The metrics read at scrape time, against the real brokers: Kafka offsets under kafka_exporter's
 * names and labels (each worker of a group reports the partitions it owns), RabbitMQ queue depth,
 * readiness, and the added-latency histogram.
 */
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { createRegistry } from '../../../connectors/registry.ts';
import { connectorConfigSchema } from '../../../schemas/connector-config.ts';
import { createWorker } from '../../../services/worker/worker.ts';
import type { Worker } from '../../../services/worker/worker.ts';
import { produce } from '../../support/kafka.ts';
import { waitFor } from '../../support/wait-for.ts';
import { connectorConfig, event, suiteModelServer } from './e2e-suite.ts';
import { kafkaHarness } from './harness-kafka.ts';
import type { E2EEnvironment } from './harness.ts';
import { rabbitmqHarness } from './harness-rabbitmq.ts';

interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

/** Every sample of the registry, as a scrape would see it (collect() runs). */
async function scrape(registry: Registry): Promise<Sample[]> {
  const metrics = await registry.getMetricsAsJSON();
  return metrics.flatMap((metric) =>
    metric.values.map((v) => ({
      name: (v as { metricName?: string }).metricName ?? metric.name,
      labels: Object.fromEntries(Object.entries(v.labels).map(([k, value]) => [k, String(value)])),
      value: v.value,
    })),
  );
}

const pick = (samples: Sample[], name: string, labels: Record<string, string> = {}): Sample[] =>
  samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
const byPartition = (samples: Sample[]): Record<string, number> => Object.fromEntries(samples.map((s) => [s.labels.partition!, s.value]));

describe('scrape-time metrics over real brokers', () => {
  const model = suiteModelServer();
  let env: E2EEnvironment | undefined;
  const workers: Worker[] = [];

  afterEach(async () => {
    await Promise.all(workers.splice(0).map((worker) => worker.close(2000)));
    await env?.cleanup();
    env = undefined;
  });

  async function startWorker(e: E2EEnvironment): Promise<{ worker: Worker; registry: Registry }> {
    const registry = new Registry();
    const worker = createWorker({
      connectors: [connectorConfigSchema.parse(connectorConfig(e, model.current.url))],
      registry: createRegistry(),
      logger: pino({ level: 'silent' }),
      metricsRegistry: registry,
    });
    workers.push(worker);
    await worker.start();
    return { worker, registry };
  }

  it('Kafka: kafka_exporter names and labels, -1 without a commit, partitions split between the members of a group', async () => {
    const e = (env = await kafkaHarness.setup({ partitions: 3 }));
    if (e.source.kind !== 'kafka') throw new Error('kafka harness');
    const { topic, group } = e.source;
    const { worker, registry } = await startWorker(e);
    const brokers = inject('kafkaBrokers');
    // 40 events, all to partition 0: partitions 1 and 2 never get a committed offset.
    await produce(brokers, topic, Array.from({ length: 40 }, (_, i) => ({ ...event(`evt-${i}`, `k${i % 4}`, 'fine'), partition: 0 })));
    await waitFor(() => e.enriched.messages.length >= 40, { timeoutMs: 30_000, what: '40 enriched events' });

    let samples: Sample[] = [];
    const labels = { consumergroup: group, topic };
    await waitFor(
      async () => {
        samples = await scrape(registry);
        return pick(samples, 'kafka_consumergroup_current_offset', { ...labels, partition: '0' })[0]?.value === 40;
      },
      { timeoutMs: 15_000, intervalMs: 200, what: 'offset 40 committed on partition 0' },
    );
    expect(byPartition(pick(samples, 'kafka_consumergroup_lag', labels))).toEqual({ '0': 0, '1': -1, '2': -1 });
    expect(byPartition(pick(samples, 'kafka_consumergroup_current_offset', labels))).toEqual({ '0': 40, '1': -1, '2': -1 });
    expect(byPartition(pick(samples, 'kafka_topic_partition_current_offset', { topic }))).toEqual({ '0': 40, '1': 0, '2': 0 });
    expect(byPartition(pick(samples, 'kafka_topic_partition_oldest_offset', { topic }))).toEqual({ '0': 0, '1': 0, '2': 0 });
    expect(pick(samples, 'kafka_consumergroup_lag_sum', labels).map((s) => s.value)).toEqual([0]);
    expect(pick(samples, 'modelbridge_connector_ready', { connector: 'e2e-sentiment' }).map((s) => s.value)).toEqual([1]);
    // The added latency: one observation per event, by outcome.
    expect(pick(samples, 'modelbridge_event_duration_seconds_count', { connector: 'e2e-sentiment', outcome: 'succeeded' }).map((s) => s.value)).toEqual([40]);

    // Paused by an operator, new events wait in the topic: the broker's view shows them as lag.
    expect(worker.connector('e2e-sentiment')!.pauseByOperator()).toBe(true);
    await produce(brokers, topic, Array.from({ length: 25 }, (_, i) => ({ ...event(`late-${i}`, `k${i}`, 'fine'), partition: 0 })));
    await waitFor(
      async () => {
        samples = await scrape(registry);
        return pick(samples, 'kafka_consumergroup_lag_sum', labels)[0]?.value === 25;
      },
      { timeoutMs: 15_000, intervalMs: 200, what: 'lag 25 on the paused group' },
    );
    expect(byPartition(pick(samples, 'kafka_consumergroup_lag', labels))).toMatchObject({ '0': 25 });
    worker.connector('e2e-sentiment')!.resumeByOperator();
    await waitFor(() => e.enriched.messages.length >= 65, { timeoutMs: 30_000, what: '65 enriched events' });

    // A second member of the group: each worker reports only the partitions it owns, together all of them.
    const second = await startWorker(e);
    await waitFor(
      async () => {
        const [a, b] = await Promise.all([scrape(registry), scrape(second.registry)]);
        const mine = Object.keys(byPartition(pick(a, 'kafka_consumergroup_lag', labels)));
        const theirs = Object.keys(byPartition(pick(b, 'kafka_consumergroup_lag', labels)));
        return mine.length > 0 && theirs.length > 0 && [...mine, ...theirs].sort().join() === '0,1,2';
      },
      { timeoutMs: 60_000, intervalMs: 500, what: 'partitions split between two members' },
    );
  });

  it('RabbitMQ: the source queue’s ready messages, no Kafka series', async () => {
    const e = (env = await rabbitmqHarness.setup());
    if (e.source.kind !== 'rabbitmq') throw new Error('rabbitmq harness');
    const queue = e.source.queue;
    const { worker, registry } = await startWorker(e);
    await e.produce([event('one', 'k1', 'fine')]);
    await waitFor(() => e.enriched.messages.length >= 1, { timeoutMs: 30_000, what: 'one enriched event' });
    expect(worker.connector('e2e-sentiment')!.pauseByOperator()).toBe(true);
    await e.produce(Array.from({ length: 7 }, (_, i) => event(`evt-${i}`, `k${i}`, 'fine')));
    let samples: Sample[] = [];
    await waitFor(
      async () => {
        samples = await scrape(registry);
        return pick(samples, 'modelbridge_source_queue_messages_ready', { connector: 'e2e-sentiment', queue })[0]?.value === 7;
      },
      { timeoutMs: 15_000, intervalMs: 200, what: '7 messages ready' },
    );
    expect(pick(samples, 'kafka_consumergroup_lag')).toEqual([]);
    expect(pick(samples, 'modelbridge_event_duration_seconds_count', { connector: 'e2e-sentiment', outcome: 'succeeded' }).map((s) => s.value)).toEqual([1]);
  });
});
