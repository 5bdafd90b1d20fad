/**
 * Kafka plumbing of the fault suite: unique topics, a paced producer of numbered events (each key
 * pinned to one partition, so stalls can be measured per partition) and collectors that timestamp
 * every arrival in the sink and the dead-letter topic.
 */
import { Kafka, logLevel } from 'kafkajs';
import type { Consumer, Producer } from 'kafkajs';
import { DLQ_HEADERS } from '../../../schemas/dead-letter.ts';
import { uniqueName } from '../../support/wait-for.ts';
import { Ledger } from './ledger.ts';
import type { NumberedEvent } from './ledger.ts';

/** One enriched event or dead letter as it arrived. */
export interface Arrival {
  readonly id: string;
  readonly key: string;
  readonly seq: number;
  readonly at: number;
  /** Dead letters: the `mb-dlq-code` and message headers, for the report of an unexpected one. */
  readonly code?: string | undefined;
}

export interface KafkaFaultIo {
  readonly topics: { readonly source: string; readonly sink: string; readonly dlq: string };
  readonly ledger: Ledger;
  readonly sink: Arrival[];
  readonly deadLetters: Arrival[];
  /** The partition each key was produced to. */
  partitionOf(key: string): number;
  /** Produces `events` at `perSecond`, in ticks of 50 ms; resolves when all are acknowledged. */
  produce(events: readonly NumberedEvent[], perSecond: number, signal?: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

export function faultEventValue(event: NumberedEvent): string {
  return JSON.stringify({ id: event.id, key: event.key, seq: event.seq, text: `order ${event.seq} for ${event.key} arrived fine` });
}

export async function createKafkaFaultIo(brokers: string[], name: string, partitions: number): Promise<KafkaFaultIo> {
  const kafka = new Kafka({ clientId: 'mb-faults', brokers, logLevel: logLevel.NOTHING, retry: { retries: 30, maxRetryTime: 2000 } });
  const base = uniqueName(`mb-faults-${name}`);
  const topics = { source: `${base}.in`, sink: `${base}.enriched`, dlq: `${base}.dlq` };
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [{ topic: topics.source, numPartitions: partitions }, { topic: topics.sink, numPartitions: 1 }, { topic: topics.dlq, numPartitions: 1 }],
  });
  await admin.disconnect();
  const producer: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const ledger = new Ledger(name);
  const sink: Arrival[] = [];
  const deadLetters: Arrival[] = [];
  const keyPartition = new Map<string, number>();

  const consumers: Consumer[] = [];
  async function collect(topic: string, into: Arrival[], dead: boolean): Promise<void> {
    const consumer = kafka.consumer({ groupId: `${topic}.collector`, maxWaitTimeInMs: 50 });
    consumers.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const at = Date.now();
        const value = message.value?.toString('utf8') ?? '';
        const input = dead
          ? (JSON.parse(value) as { id: string; key: string; seq: number })
          : (JSON.parse(value) as { data: { input: { id: string; key: string; seq: number } } }).data.input;
        const id = dead ? (message.headers?.[DLQ_HEADERS.eventId]?.toString() ?? input.id) : input.id;
        const code = dead ? `${message.headers?.[DLQ_HEADERS.code]?.toString()}: ${message.headers?.[DLQ_HEADERS.message]?.toString()}` : undefined;
        into.push({ id, key: input.key, seq: input.seq, at, code });
        if (dead) ledger.deadLettered(id);
        else ledger.enriched(id);
      },
    });
  }
  await Promise.all([collect(topics.sink, sink, false), collect(topics.dlq, deadLetters, true)]);

  return {
    topics,
    ledger,
    sink,
    deadLetters,
    partitionOf: (key) => keyPartition.get(key) ?? -1,
    async produce(events, perSecond, signal) {
      const perTick = Math.max(1, Math.round(perSecond / 20));
      for (let i = 0; i < events.length && !signal?.aborted; i += perTick) {
        const tick = Date.now();
        const batch = events.slice(i, i + perTick);
        ledger.sent(batch);
        await producer.send({
          topic: topics.source,
          acks: -1,
          messages: batch.map((event) => {
            let partition = keyPartition.get(event.key);
            if (partition === undefined) keyPartition.set(event.key, (partition = Number(event.key.split('-key-')[1]) % partitions));
            return { key: event.key, partition, value: faultEventValue(event), headers: { 'content-type': 'application/json' } };
          }),
        });
        const wait = 50 - (Date.now() - tick);
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      }
    },
    async close() {
      await Promise.allSettled(consumers.map((c) => c.disconnect()));
      await producer.disconnect().catch(() => undefined);
      const cleanup = kafka.admin();
      await cleanup.connect().catch(() => undefined);
      await cleanup.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined);
      await cleanup.disconnect().catch(() => undefined);
    },
  };
}

/**
 * How long processing stalled around `at`, per source partition: the longest gap between two sink
 * arrivals of that partition's keys that spans `at` (or starts within `windowMs` after it).
 * Returns the largest such gap over all partitions and how many partitions stalled over `minGapMs`.
 */
export function stallAround(arrivals: readonly Arrival[], partitionOf: (key: string) => number, at: number, windowMs: number, minGapMs = 1000): { maxMs: number; partitions: number } {
  const byPartition = new Map<number, number[]>();
  for (const arrival of arrivals) {
    const partition = partitionOf(arrival.key);
    let times = byPartition.get(partition);
    if (!times) byPartition.set(partition, (times = []));
    times.push(arrival.at);
  }
  let maxMs = 0;
  let stalled = 0;
  for (const times of byPartition.values()) {
    times.sort((a, b) => a - b);
    let worst = 0;
    for (let i = 1; i < times.length; i++) {
      const [before, after] = [times[i - 1]!, times[i]!];
      if (after < at || before > at + windowMs) continue;
      worst = Math.max(worst, after - Math.max(before, at - 200));
    }
    if (worst > minGapMs) stalled++;
    maxMs = Math.max(maxMs, worst);
  }
  return { maxMs, partitions: stalled };
}
