import { connect } from 'amqplib';
import type { Channel } from 'amqplib';
import { fromAmqpHeaders, keyFromHeaders } from '../../../connectors/rabbitmq/headers.ts';
import { amqpUrl, publishRaw } from '../../support/rabbitmq.ts';
import { uniqueName } from '../../support/wait-for.ts';
import type { Collector, E2EHarness, Received } from './harness.ts';

/**
 * Consumes `queue` on `channel` (acking) into a collector; headers and key as the RabbitMQ source reads
 * them (connectors/rabbitmq/headers.ts).
 */
export async function collectQueue(channel: Channel, queue: string): Promise<Collector> {
  const messages: Received[] = [];
  await channel.consume(queue, (message) => {
    if (!message) return;
    const headers = fromAmqpHeaders(message.properties.headers as Record<string, unknown> | undefined);
    const key = keyFromHeaders(headers);
    messages.push({ key: key === null ? null : key.toString('utf8'), value: message.content, headers });
    channel.ack(message);
  });
  return { messages };
}

/** RabbitMQ: a source queue, and enriched / dead-letter queues the sinks publish to via the default exchange. */
export const rabbitmqHarness: E2EHarness = {
  name: 'rabbitmq',
  async setup() {
    const url = amqpUrl();
    const base = uniqueName('mb-e2e');
    const queues = { source: `${base}.in`, sink: `${base}.enriched`, dlq: `${base}.dlq` };
    const connection = await connect(url);
    connection.on('error', () => undefined);
    const channel = await connection.createChannel();
    channel.on('error', () => undefined);
    for (const queue of Object.values(queues)) await channel.assertQueue(queue, { durable: true });

    const enriched = await collectQueue(channel, queues.sink);
    const deadLetters = await collectQueue(channel, queues.dlq);
    return {
      source: { kind: 'rabbitmq', url, queue: queues.source, prefetch: 64 },
      sink: { kind: 'rabbitmq', url, exchange: '', routingKey: queues.sink, queue: queues.sink },
      deadLetter: { kind: 'rabbitmq', url, exchange: '', routingKey: queues.dlq, queue: queues.dlq },
      async produce(messages) {
        await publishRaw(
          queues.source,
          messages.map((m) => ({
            value: m.value,
            headers: { ...m.headers, ...(m.key === undefined ? {} : { cloudEvents_partitionkey: m.key }) },
            properties: { contentType: m.headers?.['content-type'] },
          })),
        );
      },
      enriched,
      deadLetters,
      async cleanup() {
        for (const queue of Object.values(queues)) await channel.deleteQueue(queue).catch(() => undefined);
        await connection.close().catch(() => undefined);
      },
    };
  },
};
