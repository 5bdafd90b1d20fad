import { describe, expect, it, onTestFinished } from 'vitest';
import { createRabbitmqSource } from '../../../../connectors/rabbitmq/index.ts';
import type { Delivery, Source } from '../../../../connectors/types.ts';
import { rabbitmqSourceSchema } from '../../../../schemas/connector-config.ts';
import { amqpUrl, closeConnections, createQueue, publishRaw, queueDepth, withChannel } from '../../../support/rabbitmq.ts';
import { waitFor } from '../../../support/wait-for.ts';

const WAIT = { timeoutMs: 20_000 };

async function startSource(queue: string, received: Delivery[], ack = true): Promise<Source> {
  const source = createRabbitmqSource(rabbitmqSourceSchema.parse({ kind: 'rabbitmq', url: amqpUrl(), queue, prefetch: 10, reconnectDelay: 50 }));
  onTestFinished(() => source.close());
  await source.start((delivery) => {
    received.push(delivery);
    if (ack) delivery.ack();
  });
  return source;
}

const values = (deliveries: Delivery[]): string[] => deliveries.map((d) => d.message.value!.toString());

describe('rabbitmq source', () => {
  it('maps AMQP properties and headers onto the inbound message', async () => {
    const queue = await createQueue();
    const received: Delivery[] = [];
    await startSource(queue, received);
    await publishRaw(queue, [
      {
        value: '{"id":"1"}',
        headers: { cloudEvents_partitionkey: 'order-1', 'x-count': 3, 'x-flag': false, 'x-bytes': Buffer.from([0, 255]) },
        properties: { contentType: 'application/json', timestamp: 1_700_000_000 },
      },
    ]);
    await waitFor(() => received.length === 1, { ...WAIT, what: 'one delivery' });
    const delivery = received[0]!;
    expect(delivery.lane).toBe(queue);
    expect(delivery.message).toMatchObject({
      key: Buffer.from('order-1'),
      value: Buffer.from('{"id":"1"}'),
      headers: { cloudEvents_partitionkey: 'order-1', 'x-count': '3', 'x-flag': 'false', 'x-bytes': Buffer.from([0, 255]) },
      contentType: 'application/json',
      timestamp: 1_700_000_000_000,
      origin: { transport: 'amqp', exchange: '', routingKey: queue, queue, redelivered: false },
    });
    expect(delivery.message.origin).toHaveProperty('deliveryTag', 1);
  });

  it('resumes consuming after the broker drops its connection, and never acks a stale delivery', async () => {
    const queue = await createQueue();
    const received: Delivery[] = [];
    const source = await startSource(queue, received, false);
    await publishRaw(queue, [{ value: 'held' }]);
    await waitFor(() => received.length === 1, { ...WAIT, what: 'first delivery' });
    const stale = received[0]!;

    expect(await closeConnections(queue)).toBeGreaterThanOrEqual(1);
    // The unacked message comes back on the new channel, flagged redelivered.
    await waitFor(() => received.find((d, i) => i > 0 && d.message.origin.transport === 'amqp' && d.message.origin.redelivered), {
      ...WAIT,
      what: 'redelivery after reconnect',
    });
    // Its tag belonged to the dead channel; acking it must not touch the new channel's delivery 1.
    stale.ack();
    await publishRaw(queue, [{ value: 'after' }]);
    await waitFor(() => values(received).includes('after'), { ...WAIT, what: 'a new message after reconnect' });
    expect(source.status()).toEqual({ connected: true, paused: false });

    await source.close();
    // Neither 'held' copy was acked on a live channel, so it is still in the queue.
    await waitFor(async () => (await queueDepth(queue)) === 2, { ...WAIT, what: 'held and after back in the queue' });
  });

  it('stays paused across a reconnect and consumes again on resume', async () => {
    const queue = await createQueue();
    const received: Delivery[] = [];
    const source = await startSource(queue, received);
    source.pause();
    expect(await closeConnections(queue)).toBeGreaterThanOrEqual(1);
    await waitFor(() => source.status().connected, { ...WAIT, what: 'reconnect' });
    await publishRaw(queue, [{ value: 'while-paused' }]);
    // Connected and paused: the message must wait in the queue.
    await waitFor(async () => (await queueDepth(queue)) === 1, { ...WAIT, what: 'message ready in the queue' });
    expect(received).toHaveLength(0);
    source.resume();
    await waitFor(() => values(received).includes('while-paused'), { ...WAIT, what: 'delivery after resume' });
  });

  it('re-declares its queue and consumes again when the queue is deleted under it', async () => {
    const queue = await createQueue();
    const received: Delivery[] = [];
    await startSource(queue, received);
    await withChannel((channel) => channel.deleteQueue(queue));
    await waitFor(() => withChannel((channel) => channel.checkQueue(queue)), { ...WAIT, what: 'queue re-declared' });
    await waitFor(
      async () => {
        await publishRaw(queue, [{ value: 'again' }]);
        return values(received).includes('again');
      },
      { ...WAIT, intervalMs: 200, what: 'consuming the re-declared queue' },
    );
  });

  it('fails start with ABORTED when closed before the broker is reachable', async () => {
    const source = createRabbitmqSource(rabbitmqSourceSchema.parse({ kind: 'rabbitmq', url: 'amqp://guest:guest@127.0.0.1:1', queue: 'unused', reconnectDelay: 50 }));
    const started = source.start(() => undefined);
    await waitFor(() => true);
    await source.close();
    await expect(started).rejects.toMatchObject({ code: 'ABORTED' });
  });

  it('coalesces acks without acking early: out-of-order completion around a held delivery leaves exactly it unacked', async () => {
    const queue = await createQueue();
    const received: Delivery[] = [];
    const source = await startSource(queue, received, false);
    await publishRaw(queue, Array.from({ length: 10 }, (_, i) => ({ value: `m${i}` })));
    await waitFor(() => received.length === 10, { ...WAIT, what: 'ten deliveries' });
    // m3 stays in flight; the rest complete in an order that crosses it, some in one turn, some later.
    for (const i of [9, 0, 2, 1]) received[i]!.ack();
    await new Promise((resolve) => setImmediate(resolve));
    for (const i of [4, 8, 6, 5, 7]) received[i]!.ack();
    await source.close();
    // Only m3 comes back: a multiple ack past it, or one on an unknown tag (the channel would close and
    // requeue everything), would leave 0 or 10.
    await waitFor(async () => (await queueDepth(queue)) === 1, { ...WAIT, what: 'exactly the held message back in the queue' });
    const again: Delivery[] = [];
    await startSource(queue, again);
    await waitFor(() => again.length === 1, { ...WAIT, what: 'the redelivery' });
    expect(values(again)).toEqual(['m3']);
  });
});
