import { describe, expect, it, onTestFinished } from 'vitest';
import { createRabbitmqSink } from '../../../../connectors/rabbitmq/index.ts';
import type { Sink } from '../../../../connectors/types.ts';
import { rabbitmqSinkSchema } from '../../../../schemas/connector-config.ts';
import type { RabbitmqSinkConfig } from '../../../../schemas/connector-config.ts';
import { amqpUrl, closeConnections, createQueue, drainQueue, queueDepth, withChannel } from '../../../support/rabbitmq.ts';
import { uniqueName, waitFor } from '../../../support/wait-for.ts';

const WAIT = { timeoutMs: 20_000 };

async function startSink(config: Partial<RabbitmqSinkConfig>): Promise<Sink> {
  const sink = createRabbitmqSink(rabbitmqSinkSchema.parse({ kind: 'rabbitmq', url: amqpUrl(), ...config }));
  onTestFinished(() => sink.close());
  await sink.start();
  return sink;
}

describe('rabbitmq sink', () => {
  it('publishes persistent messages with headers, content type and the key header', async () => {
    const queue = await createQueue();
    const sink = await startSink({ routingKey: queue });
    await sink.publish({ key: 'k-1', value: '{"a":1}', headers: { 'x-text': 'v', 'x-bytes': Buffer.from([1, 2]) }, contentType: 'application/json' });
    const [message] = await drainQueue(queue);
    expect(message).toMatchObject({
      key: Buffer.from('k-1'),
      value: Buffer.from('{"a":1}'),
      headers: { 'x-text': 'v', 'x-bytes': Buffer.from([1, 2]), cloudEvents_partitionkey: 'k-1' },
      contentType: 'application/json',
      deliveryMode: 2,
    });
    expect(message!.messageId).toBeTypeOf('string');
  });

  it('declares and binds its queue to the exchange, and routes by destination when given', async () => {
    const queue = uniqueName('mb-sink-bound');
    onTestFinished(() => withChannel((channel) => channel.deleteQueue(queue)).then(() => undefined));
    const other = await createQueue();
    const sink = await startSink({ exchange: 'amq.direct', routingKey: queue, queue });
    await sink.publish({ key: null, value: 'via binding', headers: {} });
    expect((await drainQueue(queue)).map((m) => m.value.toString())).toEqual(['via binding']);

    await withChannel((channel) => channel.bindQueue(other, 'amq.direct', other));
    await sink.publish({ key: null, value: 'via destination', headers: {}, destination: other });
    expect((await drainQueue(other)).map((m) => m.value.toString())).toEqual(['via destination']);
  });

  it('declares its exchange when exchangeType is given, then binds and publishes through it', async () => {
    const exchange = uniqueName('mb-sink-exchange');
    const queue = uniqueName('mb-sink-topic');
    onTestFinished(() => withChannel(async (channel) => {
      await channel.deleteQueue(queue);
      await channel.deleteExchange(exchange);
    }).then(() => undefined));
    const sink = await startSink({ exchange, exchangeType: 'topic', routingKey: 'orders.classified', queue });
    await sink.publish({ key: null, value: 'through a declared topic exchange', headers: {} });
    expect((await drainQueue(queue)).map((m) => m.value.toString())).toEqual(['through a declared topic exchange']);
  });

  it('rejects an unroutable message with a non-retryable PUBLISH_FAILED', async () => {
    const sink = await startSink({ exchange: 'amq.direct', routingKey: uniqueName('mb-nowhere') });
    await expect(sink.publish({ key: null, value: 'lost?', headers: {} })).rejects.toMatchObject({
      code: 'PUBLISH_FAILED',
      retryable: false,
      upstreamStatus: 312,
    });
    // The channel survives: a routable publish still works.
    const queue = await createQueue();
    await expect(sink.publish({ key: null, value: 'ok', headers: {}, destination: queue })).rejects.toMatchObject({ code: 'PUBLISH_FAILED' });
    await withChannel((channel) => channel.bindQueue(queue, 'amq.direct', queue));
    await sink.publish({ key: null, value: 'ok', headers: {}, destination: queue });
    expect(await queueDepth(queue)).toBe(1);
  });

  it('rejects with a retryable PUBLISH_FAILED when the broker nacks', async () => {
    const queue = uniqueName('mb-sink-full');
    await withChannel((channel) => channel.assertQueue(queue, { durable: true, maxLength: 0, overflow: 'reject-publish' }));
    onTestFinished(() => withChannel((channel) => channel.deleteQueue(queue)).then(() => undefined));
    const sink = await startSink({ routingKey: queue });
    await expect(sink.publish({ key: null, value: 'refused', headers: {} })).rejects.toMatchObject({ code: 'PUBLISH_FAILED', retryable: true });
  });

  it('rejects oversize bodies and header tables with PUBLISH_TOO_LARGE', async () => {
    const queue = await createQueue();
    const sink = await startSink({ routingKey: queue, maxMessageBytes: 1024 });
    await expect(sink.publish({ key: null, value: Buffer.alloc(1025), headers: {} })).rejects.toMatchObject({ code: 'PUBLISH_TOO_LARGE', retryable: false });
    await expect(sink.publish({ key: null, value: 'small', headers: { big: 'x'.repeat(70_000) } })).rejects.toMatchObject({ code: 'PUBLISH_TOO_LARGE' });
    await sink.publish({ key: null, value: Buffer.alloc(1024), headers: {} });
    expect(await queueDepth(queue)).toBe(1);
  });

  it('waits for drain under backpressure and confirms every message', async () => {
    const queue = await createQueue();
    const sink = await startSink({ routingKey: queue });
    const body = Buffer.alloc(512 * 1024, 7);
    await Promise.all(Array.from({ length: 40 }, () => sink.publish({ key: null, value: body, headers: {} })));
    expect(await queueDepth(queue)).toBe(40);
  });

  it('flushes unconfirmed publishes on close', async () => {
    const queue = await createQueue();
    const sink = await startSink({ routingKey: queue });
    const published = Array.from({ length: 30 }, (_, i) => sink.publish({ key: null, value: `m-${i}`, headers: {} }));
    await sink.close();
    const outcomes = await Promise.allSettled(published);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(30);
    expect(await queueDepth(queue)).toBe(30);
    await expect(sink.publish({ key: null, value: 'late', headers: {} })).rejects.toMatchObject({ code: 'ABORTED' });
  });

  it('reconnects after the broker drops its connection and publishes again', async () => {
    const queue = await createQueue();
    const sink = await startSink({ routingKey: queue });
    await sink.publish({ key: null, value: 'before', headers: {} });
    expect(await closeConnections(queue)).toBeGreaterThanOrEqual(1);
    // Publishes during the outage either wait for the new connection or fail retryable; none is lost silently.
    await waitFor(
      async () => {
        try {
          await sink.publish({ key: null, value: 'after', headers: {} });
          return true;
        } catch (error) {
          expect(error).toMatchObject({ code: 'PUBLISH_FAILED', retryable: true });
          return false;
        }
      },
      { ...WAIT, what: 'a confirmed publish after reconnect' },
    );
    expect(sink.status().connected).toBe(true);
    expect((await drainQueue(queue)).map((m) => m.value.toString())).toEqual(expect.arrayContaining(['before', 'after']));
  });
});
