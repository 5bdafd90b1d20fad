/**
 * Kafka helpers for integration tests: unique topics that clean themselves up, a producer and a
 * reader that collects a topic from the beginning.
 */
import { Kafka, logLevel } from 'kafkajs';
import type { IHeaders, Message } from 'kafkajs';
import { afterAll, onTestFinished } from 'vitest';
import { uniqueName, waitFor } from './wait-for.ts';

export interface TopicOptions {
  partitions?: number;
  /** Topic-level configs, e.g. `{ 'max.message.bytes': '3000000' }`. */
  config?: Record<string, string>;
  prefix?: string;
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
 * test, after the file).
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
  const cleanup = async (): Promise<void> => {
    const cleaner = testKafka(brokers).admin();
    await cleaner.connect();
    try {
      await cleaner.deleteTopics({ topics: [topic] });
    } finally {
      await cleaner.disconnect();
    }
  };
  try {
    onTestFinished(cleanup);
  } catch {
    afterAll(cleanup);
  }
  return topic;
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

/**
 * Reads a topic from the beginning up to its current end (the high watermark of every partition at the
 * time of the call) and returns the records in partition, then offset order.
 */
export async function readAll(brokers: string[], topic: string, options: { timeoutMs?: number } = {}): Promise<ReadRecord[]> {
  const kafka = testKafka(brokers);
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map<number, number>();
  try {
    for (const { partition, high, low } of await admin.fetchTopicOffsets(topic)) {
      if (Number(high) > Number(low)) ends.set(partition, Number(high));
    }
  } finally {
    await admin.disconnect();
  }
  const records: ReadRecord[] = [];
  if (ends.size === 0) return records;
  const consumer = kafka.consumer({ groupId: uniqueName('mb-reader'), maxWaitTimeInMs: 100 });
  const reached = new Set<number>();
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        const end = ends.get(partition);
        if (end === undefined || Number(message.offset) >= end) return;
        records.push({ key: message.key, value: message.value, headers: message.headers ?? {}, partition, offset: message.offset });
        if (Number(message.offset) === end - 1) reached.add(partition);
      },
    });
    await waitFor(() => reached.size === ends.size, { timeoutMs: options.timeoutMs ?? 30_000, what: `reading ${topic} to its end` });
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
