/**
 * Metrics read at scrape time (prom-client `collect()`), never on the per-message path: connector
 * readiness, consumer lag, and what waits in the source as the broker reports it.
 *
 * Kafka offsets are exported under kafka_exporter's names and labels too, so that its community alert
 * rules and dashboards apply unchanged: `kafka_consumergroup_lag{consumergroup,topic,partition}` and
 * friends. Each worker reports only the partitions it owns, so sums across the replicas of a group are
 * right. As in kafka_exporter, a partition without a committed offset has a lag (and current offset) of -1.
 *
 * A RabbitMQ queue's ready messages are `modelbridge_source_queue_messages_ready{connector,queue}`: our
 * own name, since every competing consumer reports the same queue (aggregate with max, not sum) and
 * RabbitMQ's own exporter already owns `rabbitmq_queue_messages_ready`.
 */
import { Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import type { Logger } from 'pino';
import type { PartitionOffsets, Source, SourceBacklog } from '../../connectors/types.ts';

/** What the scrape reads of one connector. */
export interface ScrapeTarget {
  readonly connector: string;
  /** The Kafka consumer group, for the kafka_exporter-named series; undefined for other sources. */
  readonly group: string | undefined;
  readonly ready: () => boolean;
  readonly source: Pick<Source, 'status' | 'backlog' | 'offsets'>;
}

/** A broker look-up slower than this is left out of the scrape (Prometheus' default timeout is 10 s). */
const BROKER_TIMEOUT_MS = 3000;
/** The gauges of one scrape share one broker look-up per connector. */
const VIEW_MAX_AGE_MS = 1000;

interface BrokerView {
  readonly target: ScrapeTarget;
  readonly offsets: readonly PartitionOffsets[];
  readonly queue: { readonly name: string; readonly ready: number } | undefined;
}

export function registerScrapeMetrics(registry: Registry, targets: readonly ScrapeTarget[], logger: Logger): void {
  const registers = [registry];
  const pending = new Map<ScrapeTarget, Promise<BrokerView | undefined>>();
  let view: Promise<(BrokerView | undefined)[]> | undefined;
  let viewAt = 0;

  /** One target's broker look-up, bounded in time; one at a time per target, even past the bound. */
  function lookUp(target: ScrapeTarget): Promise<BrokerView | undefined> {
    let lookup = pending.get(target);
    if (!lookup) {
      const { source } = target;
      // Kafka sources tell their partitions' offsets; the others, where they can, their queue's depth.
      const read: Promise<Omit<BrokerView, 'target'>> = source.offsets
        ? source.offsets().then((offsets) => ({ offsets, queue: undefined }))
        : (source.backlog?.() ?? Promise.resolve<SourceBacklog>({})).then((backlog) => ({ offsets: [], queue: backlog.queue }));
      lookup = read
        .then((found): BrokerView => ({ target, ...found }))
        .catch((error: unknown) => {
          logger.debug({ err: error, connector: target.connector }, 'broker offsets not available for this scrape');
          return undefined;
        })
        .finally(() => pending.delete(target));
      pending.set(target, lookup);
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), BROKER_TIMEOUT_MS)));
    return Promise.race([lookup, timeout]).finally(() => clearTimeout(timer));
  }

  async function brokerView(): Promise<BrokerView[]> {
    if (!view || Date.now() - viewAt > VIEW_MAX_AGE_MS) {
      viewAt = Date.now();
      view = Promise.all(targets.map(lookUp));
    }
    return (await view).filter((entry) => entry !== undefined);
  }

  /** A gauge whose series are rebuilt from the broker view at every scrape. */
  function brokerGauge<L extends string>(name: string, help: string, labelNames: readonly L[], fill: (gauge: Gauge<L>, entry: BrokerView) => void): void {
    new Gauge<L>({
      name,
      help,
      labelNames,
      registers,
      async collect() {
        const entries = await brokerView();
        this.reset();
        for (const entry of entries) fill(this, entry);
      },
    });
  }

  new Gauge({
    name: 'modelbridge_connector_ready',
    help: 'Connector ready (1) or not (0): running with connected brokers and a closed breaker, as /readyz reports it.',
    labelNames: ['connector'],
    registers,
    collect() {
      for (const target of targets) this.set({ connector: target.connector }, target.ready() ? 1 : 0);
    },
  });

  new Gauge({
    name: 'modelbridge_consumer_lag',
    help: 'Messages waiting in the source for this worker, where the transport reports it (Kafka: behind the last fetch, plus in flight).',
    labelNames: ['connector'],
    registers,
    collect() {
      this.reset();
      for (const target of targets) {
        const lag = target.source.status().lag;
        if (lag !== undefined) this.set({ connector: target.connector }, lag);
      }
    },
  });

  const kafka = (entry: BrokerView): entry is BrokerView & { target: { group: string } } => entry.target.group !== undefined;
  const partitionLabels = (group: string, row: PartitionOffsets) => ({ consumergroup: group, topic: row.topic, partition: String(row.partition) });
  const lagOf = (row: PartitionOffsets): number => (row.committed < 0 ? -1 : Math.max(0, row.end - row.committed));

  brokerGauge('kafka_consumergroup_lag', 'Current approximate lag of a consumer group at topic/partition (kafka_exporter name; -1 without a committed offset).', ['consumergroup', 'topic', 'partition'], (gauge, entry) => {
    if (kafka(entry)) for (const row of entry.offsets) gauge.set(partitionLabels(entry.target.group, row), lagOf(row));
  });
  brokerGauge('kafka_consumergroup_lag_sum', 'Current approximate lag of a consumer group at topic for all partitions (kafka_exporter name).', ['consumergroup', 'topic'], (gauge, entry) => {
    if (!kafka(entry) || entry.offsets.length === 0) return;
    for (const row of entry.offsets) gauge.inc({ consumergroup: entry.target.group, topic: row.topic }, Math.max(0, lagOf(row)));
  });
  brokerGauge('kafka_consumergroup_current_offset', 'Current committed offset of a consumer group at topic/partition (kafka_exporter name; -1 without one).', ['consumergroup', 'topic', 'partition'], (gauge, entry) => {
    if (kafka(entry)) for (const row of entry.offsets) gauge.set(partitionLabels(entry.target.group, row), row.committed);
  });
  brokerGauge('kafka_topic_partition_current_offset', 'Current offset (high watermark) of a broker at topic/partition (kafka_exporter name).', ['topic', 'partition'], (gauge, entry) => {
    for (const row of entry.offsets) gauge.set({ topic: row.topic, partition: String(row.partition) }, row.end);
  });
  brokerGauge('kafka_topic_partition_oldest_offset', 'Oldest offset (low watermark) of a broker at topic/partition (kafka_exporter name).', ['topic', 'partition'], (gauge, entry) => {
    for (const row of entry.offsets) gauge.set({ topic: row.topic, partition: String(row.partition) }, row.start);
  });
  brokerGauge('modelbridge_source_queue_messages_ready', 'Messages ready in the source queue (RabbitMQ), as the broker reports it; every consumer of the queue reports the same value.', ['connector', 'queue'], (gauge, entry) => {
    if (entry.queue) gauge.set({ connector: entry.target.connector, queue: entry.queue.name }, entry.queue.ready);
  });
}
