/**
 * The load generator's Kafka side: unique topics, producers (as fast as possible, at a fixed rate, or a
 * backlog before the candidate starts) and the collector's consumer of the output topic.
 */
import { randomBytes } from 'node:crypto';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import type { Admin, Message, Producer } from 'kafkajs';
import type { Collector } from './collector.ts';
import { eventBody, eventKey } from './events.ts';
import type { KeySpec } from './events.ts';
import { nowMs } from './stats.ts';
import type { BenchTransport, Destinations } from './transport.ts';

/** The topics of one run. */
export interface RunTopics {
  readonly input: string;
  readonly output: string;
  readonly deadLetter: string;
}

/** A quiet kafkajs client for the load generator. */
export function benchKafka(brokers: readonly string[]): Kafka {
  return new Kafka({ brokers: [...brokers], clientId: 'modelbridge-bench', logLevel: logLevel.NOTHING });
}

/** Creates the input, output and dead-letter topics of a run, each with `partitions` partitions. */
export async function createRunTopics(kafka: Kafka, prefix: string, partitions: number): Promise<RunTopics> {
  const base = `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const topics = { input: `${base}.in`, output: `${base}.out`, deadLetter: `${base}.dlq` };
  const admin = kafka.admin();
  await admin.connect();
  try {
    try {
      await admin.createTopics({
        waitForLeaders: true,
        topics: [
          { topic: topics.input, numPartitions: partitions },
          { topic: topics.output, numPartitions: partitions },
          { topic: topics.deadLetter, numPartitions: 1 },
        ],
      });
    } catch (error) {
      // kafkajs's own wait for leaders gives up on a transient UNKNOWN_TOPIC_OR_PARTITION: ours retries.
      if ((error as { type?: string }).type !== 'UNKNOWN_TOPIC_OR_PARTITION') throw error;
    }
    await waitForLeaders(admin, Object.values(topics), partitions);
  } finally {
    await admin.disconnect();
  }
  return topics;
}

/**
 * `createTopics` returns once the controller has leaders; the broker may still answer a metadata
 * request with UNKNOWN_TOPIC_OR_PARTITION for a moment, which kafkajs's producer does not retry.
 */
async function waitForLeaders(admin: Admin, topics: string[], partitions: number): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    try {
      const { topics: metadata } = await admin.fetchTopicMetadata({ topics });
      const ready = metadata.every((t) => t.partitions.length >= (t.name.endsWith('.dlq') ? 1 : partitions) && t.partitions.every((p) => p.leader >= 0));
      if (ready) return;
    } catch {
      // Not known yet: try again.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`topics ${topics.join(', ')} got no leaders within 10 s`);
}

/** Deletes a run's topics (best effort: the broker is discarded at the end anyway). */
export async function deleteRunTopics(kafka: Kafka, topics: RunTopics): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics: [topics.input, topics.output, topics.deadLetter] }).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
}

/** A connected producer for the load generator. */
export async function benchProducer(kafka: Kafka): Promise<Producer> {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
  await producer.connect();
  return producer;
}

export interface ProduceOptions {
  readonly topic: string;
  readonly runId: string;
  readonly events: number;
  readonly keys: KeySpec;
  /** Events per send request. */
  readonly batch?: number;
  /** Send requests in flight at once. */
  readonly inFlight?: number;
}

/**
 * Produces `events` as fast as the broker takes them (acks -1), stamping each batch when it is built.
 * Returns the epoch ms of the first stamp.
 */
export async function produceFast(producer: Producer, options: ProduceOptions): Promise<number> {
  const batch = options.batch ?? 500;
  const inFlight = options.inFlight ?? 4;
  const first = nowMs();
  let next = 0;
  async function lane(): Promise<void> {
    while (next < options.events) {
      const start = next;
      const end = Math.min(options.events, start + batch);
      next = end;
      const ts = nowMs();
      const messages: Message[] = [];
      for (let i = start; i < end; i++) messages.push({ key: eventKey(i, options.keys), value: eventBody(options.runId, i, options.keys, ts) });
      await producer.send({ topic: options.topic, acks: -1, messages });
    }
  }
  await Promise.all(Array.from({ length: inFlight }, () => lane()));
  return first;
}

export interface RateOptions {
  readonly topic: string;
  readonly runId: string;
  readonly keys: KeySpec;
  readonly perSecond: number;
  readonly durationMs: number;
}

/**
 * Produces at a fixed arrival rate: every 5 ms the events due so far go out in one send, each stamped
 * when sent (so a lagging generator lowers the rate, never inflates latency). Returns the events sent
 * and the epoch ms of the first.
 */
export async function produceAtRate(producer: Producer, options: RateOptions): Promise<{ sent: number; firstAt: number }> {
  const started = nowMs();
  const sends = new Set<Promise<unknown>>();
  let sent = 0;
  const maxInFlight = 64;
  while (nowMs() - started < options.durationMs) {
    const due = Math.floor(((nowMs() - started) / 1000) * options.perSecond) - sent;
    if (due > 0 && sends.size < maxInFlight) {
      const ts = nowMs();
      const messages: Message[] = [];
      for (let i = sent; i < sent + due; i++) messages.push({ key: eventKey(i, options.keys), value: eventBody(options.runId, i, options.keys, ts) });
      sent += due;
      const send = producer.send({ topic: options.topic, acks: -1, messages }).finally(() => sends.delete(send));
      sends.add(send);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await Promise.all(sends);
  return { sent, firstAt: started };
}

/** Subscribes a fresh group to `topic` from the beginning and feeds every message to `collector`. */
export async function startKafkaCollector(kafka: Kafka, topic: string, partitions: number, collector: Collector): Promise<() => Promise<void>> {
  const consumer = kafka.consumer({ groupId: `${topic}.collector`, maxWaitTimeInMs: 50, maxBytesPerPartition: 4 * 1024 * 1024 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    partitionsConsumedConcurrently: partitions,
    eachBatch: async ({ batch }) => {
      const at = nowMs();
      for (const message of batch.messages) collector.record(message.value, at);
    },
  });
  return () => consumer.disconnect();
}

/** The Kafka side of the load generator as a {@link BenchTransport}. */
export async function createKafkaTransport(brokers: readonly string[]): Promise<BenchTransport> {
  const kafka = benchKafka(brokers);
  // One producer per run: a kafkajs producer keeps refreshing metadata of every topic it ever sent to,
  // and fails once an earlier run's topic is deleted.
  const producers = new Map<string, Producer>();
  const topicsOf = (d: Destinations): RunTopics => ({ input: d.input, output: d.output, deadLetter: d.deadLetter });
  return {
    kind: 'kafka',
    async prepare(prefix, partitions) {
      const topics = await createRunTopics(kafka, prefix, partitions);
      producers.set(topics.input, await benchProducer(kafka));
      return { ...topics, partitions };
    },
    collect: (d, collector) => startKafkaCollector(kafka, d.output, d.partitions, collector),
    async produce(d, spec) {
      const producer = producers.get(d.input);
      if (!producer) throw new Error(`no producer for ${d.input}`);
      if (spec.mode === 'rate') return produceAtRate(producer, { topic: d.input, ...spec });
      const firstAt = await produceFast(producer, { topic: d.input, ...spec });
      return { sent: spec.events, firstAt };
    },
    async cleanup(d) {
      await producers.get(d.input)?.disconnect();
      producers.delete(d.input);
      await deleteRunTopics(kafka, topicsOf(d));
    },
    async close() {
      await Promise.allSettled([...producers.values()].map((p) => p.disconnect()));
    },
  };
}
