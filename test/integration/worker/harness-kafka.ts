import { Kafka, logLevel } from 'kafkajs';
import type { Headers } from '../../../connectors/types.ts';
import { inject } from 'vitest';
import { uniqueName } from '../../support/wait-for.ts';
import type { Collector, E2EHarness, Received } from './harness.ts';

function brokers(): string[] {
  return inject('kafkaBrokers');
}

/** Kafka: source, enriched and dead-letter topics with unique names; collectors are consumer groups. */
export const kafkaHarness: E2EHarness = {
  name: 'kafka',
  async setup(options = {}) {
    const kafka = new Kafka({ clientId: 'mb-e2e-harness', brokers: brokers(), logLevel: logLevel.NOTHING });
    const base = uniqueName('mb-e2e');
    const topics = { source: `${base}.in`, sink: `${base}.enriched`, dlq: `${base}.dlq` };
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic: topics.source, numPartitions: options.partitions ?? 1 },
        { topic: topics.sink, numPartitions: 1 },
        { topic: topics.dlq, numPartitions: 1 },
      ],
    });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();

    const consumers: ReturnType<Kafka['consumer']>[] = [];
    async function collect(topic: string): Promise<Collector> {
      const messages: Received[] = [];
      const consumer = kafka.consumer({ groupId: `${topic}.collector`, maxWaitTimeInMs: 100 });
      consumers.push(consumer);
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          const headers: Headers = {};
          for (const [name, value] of Object.entries(message.headers ?? {})) {
            if (value === undefined) continue;
            headers[name] = Array.isArray(value) ? Buffer.from(String(value[0])) : typeof value === 'string' ? value : value;
          }
          messages.push({ key: message.key === null ? null : message.key.toString('utf8'), value: message.value ?? Buffer.alloc(0), headers });
        },
      });
      return { messages };
    }

    const [enriched, deadLetters] = await Promise.all([collect(topics.sink), collect(topics.dlq)]);
    return {
      source: { kind: 'kafka', brokers: brokers(), topic: topics.source, group: `${base}.worker`, commitInterval: '200ms' },
      sink: { kind: 'kafka', brokers: brokers(), topic: topics.sink },
      deadLetter: { kind: 'kafka', brokers: brokers(), topic: topics.dlq },
      async produce(messages) {
        const batch = messages.map((m) => ({ key: m.key ?? null, value: m.value, headers: m.headers }));
        for (let i = 0; i < batch.length; i += 500) {
          await producer.send({ topic: topics.source, acks: -1, messages: batch.slice(i, i + 500) });
        }
      },
      enriched,
      deadLetters,
      async cleanup() {
        await Promise.allSettled(consumers.map((c) => c.disconnect()));
        await producer.disconnect();
        await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined);
        await admin.disconnect();
      },
    };
  },
};
