/**
 * Kafka helpers for integration tests: unique topics that clean themselves up, a producer and a
 * reader that collects a topic from the beginning.
 */
import { Kafka, logLevel } from 'kafkajs';
import type { Admin, IHeaders, Message } from 'kafkajs';
import { afterAll, onTestFinished } from 'vitest';
import { uniqueName, waitFor } from './wait-for.ts';

export interface TopicOptions {
  partitions?: number;
  /** Topic-level configs, e.g. `{ 'max.message.bytes': '3000000' }`. */
  config?: Record<string, string>;
  prefix?: string;
  /** Delete the topic when the test (or file) finishes; default true. */
  cleanup?: boolean;
}

/** A record as read back: bytes as stored, headers as kafkajs decodes them. */
export interface ReadRecord {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: IHeaders;
  readonly partition: number;
  readonly offset: string;
}

/** A quiet kafkajs client for test plumbing. */
export function testKafka(brokers: string[]): Kafka {
  return new Kafka({ brokers, clientId: 'modelbridge-test', logLevel: logLevel.NOTHING });
}

/**
 * Creates a topic with a unique name and deletes it when the current test finishes (or, outside a
 * test, after the file), unless `cleanup: false`: then delete it with {@link deleteTopic}.
 */
export async function createTopic(brokers: string[], options: TopicOptions = {}): Promise<string> {
  const topic = uniqueName(options.prefix ?? 'mb-test');
  const admin = testKafka(brokers).admin();
  await admin.connect();
  try {
    const configEntries = Object.entries(options.config ?? {}).map(([name, value]) => ({ name, value }));
    await admin.createTopics({ topics: [{ topic, numPartitions: options.partitions ?? 1, configEntries }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
  const cleanup = (): Promise<void> => deleteTopic(brokers, topic);
  if (options.cleanup === false) return topic;
  try {
    onTestFinished(cleanup);
  } catch {
    afterAll(cleanup);
  }
  return topic;
}

/** Deletes a topic. */
export async function deleteTopic(brokers: string[], topic: string): Promise<void> {
  const admin = testKafka(brokers).admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics: [topic] });
  } finally {
    await admin.disconnect();
  }
}

/** Produces messages (acks -1) and returns once the broker acknowledged them all. */
export async function produce(brokers: string[], topic: string, messages: Message[]): Promise<void> {
  const producer = testKafka(brokers).producer();
  await producer.connect();
  try {
    await producer.send({ topic, messages, acks: -1 });
  } finally {
    await producer.disconnect();
  }
}

/** Messages `0..count-1` with keys `k<i>` and values `v<i>`. */
export function numbered(count: number, partition?: number): Message[] {
  return Array.from({ length: count }, (_, i) => ({ key: `k${i}`, value: `v${i}`, ...(partition === undefined ? {} : { partition }) }));
}

/** Per partition, the offset after the last record: the high watermark. */
export type TopicEnds = Map<number, number>;

/** The topic's current ends, through an admin client the caller keeps open (prompt, no connect). */
export async function topicEnds(admin: Admin, topic: string): Promise<TopicEnds> {
  const ends: TopicEnds = new Map();
  for (const { partition, high } of await admin.fetchTopicOffsets(topic)) ends.set(partition, Number(high));
  return ends;
}

/**
 * Reads a topic from the beginning up to its current end (the high watermark of every partition at the
 * time of the call) and returns the records in partition, then offset order.
 */
export async function readAll(brokers: string[], topic: string, options: { timeoutMs?: number } = {}): Promise<ReadRecord[]> {
  const admin = testKafka(brokers).admin();
  await admin.connect();
  let ends: TopicEnds;
  try {
    ends = await topicEnds(admin, topic);
  } finally {
    await admin.disconnect();
  }
  return await readRange(brokers, topic, new Map(), ends, options);
}

/** Reads the records with `from` (default 0) ≤ offset < `to` of every partition in `to`. */
export async function readRange(
  brokers: string[],
  topic: string,
  from: TopicEnds,
  to: TopicEnds,
  options: { timeoutMs?: number } = {},
): Promise<ReadRecord[]> {
  const wanted = new Map([...to].filter(([partition, end]) => end > (from.get(partition) ?? 0)));
  const records: ReadRecord[] = [];
  if (wanted.size === 0) return records;
  const consumer = testKafka(brokers).consumer({ groupId: uniqueName('mb-reader'), maxWaitTimeInMs: 100 });
  const reached = new Set<number>();
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        const end = wanted.get(partition);
        const offset = Number(message.offset);
        if (end === undefined || offset >= end) return;
        if (offset >= (from.get(partition) ?? 0)) {
          records.push({ key: message.key, value: message.value, headers: message.headers ?? {}, partition, offset: message.offset });
        }
        if (offset === end - 1) reached.add(partition);
      },
    });
    await waitFor(() => reached.size === wanted.size, { timeoutMs: options.timeoutMs ?? 30_000, what: `reading ${topic} to its end` });
  } finally {
    await consumer.disconnect();
  }
  return records.sort((a, b) => a.partition - b.partition || Number(a.offset) - Number(b.offset));
}

/** The group's committed offset of one partition, or undefined when it has none. */
export async function committedOffset(brokers: string[], group: string, topic: string, partition = 0): Promise<number | undefined> {
  const admin = testKafka(brokers).admin();
  await admin.connect();
  try {
    const [entry] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    const offset = entry?.partitions.find((p) => p.partition === partition)?.offset;
    return offset === undefined || Number(offset) < 0 ? undefined : Number(offset);
  } finally {
    await admin.disconnect();
  }
}
