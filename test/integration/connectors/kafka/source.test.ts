import { describe, expect, inject, it, onTestFinished } from 'vitest';
import { createKafkaSource } from '../../../../connectors/kafka/index.ts';
import type { Delivery, IntakeWindow, Source } from '../../../../connectors/types.ts';
import { kafkaSourceSchema } from '../../../../schemas/connector-config.ts';
import { committedOffset, createTopic, numbered, produce, readAll } from '../../../support/kafka.ts';
import { uniqueName, waitFor } from '../../../support/wait-for.ts';

const brokers = inject('kafkaBrokers');

interface Opened {
  source: Source;
  deliveries: Delivery[];
}

async function openSource(topic: string, group: string, extra: Record<string, unknown> = {}, intake?: IntakeWindow): Promise<Opened> {
  const source = createKafkaSource(kafkaSourceSchema.parse({ kind: 'kafka', brokers, topic, group, commitInterval: '50ms', ...extra }));
  onTestFinished(() => source.close());
  const deliveries: Delivery[] = [];
  await source.start((delivery) => deliveries.push(delivery), intake);
  return { source, deliveries };
}

const offsetOf = (delivery: Delivery): number => (delivery.message.origin.transport === 'kafka' ? Number(delivery.message.origin.offset) : -1);
const partitionOf = (delivery: Delivery): number => (delivery.message.origin.transport === 'kafka' ? delivery.message.origin.partition : -1);

const offsetsOf = (deliveries: Delivery[]): string[] =>
  deliveries.map((d) => (d.message.origin.transport === 'kafka' ? d.message.origin.offset : '?'));

describe('kafka source', () => {
  it('delivers every message with bytes, headers, content type, origin and lane', async () => {
    const topic = await createTopic(brokers, { partitions: 2 });
    await produce(brokers, topic, [
      { key: 'a', value: '{"n":1}', partition: 1, headers: { 'content-type': 'application/json', 'x-multi': ['one', 'two'] } },
      ...numbered(5, 0),
    ]);
    const { source, deliveries } = await openSource(topic, uniqueName('mb-group'));

    await waitFor(() => deliveries.length === 6, { what: 'six deliveries' });
    expect(source.status()).toMatchObject({ connected: true, paused: false });
    const first = deliveries.find((d) => d.lane === `${topic}/1`)!;
    expect(first.message.key).toEqual(Buffer.from('a'));
    expect(first.message.value).toEqual(Buffer.from('{"n":1}'));
    expect(first.message.contentType).toBe('application/json');
    expect(first.message.headers['content-type']).toEqual(Buffer.from('application/json'));
    expect(first.message.headers['x-multi']).toEqual(Buffer.from('two'));
    expect(first.message.origin).toMatchObject({ transport: 'kafka', topic, partition: 1, offset: '0' });
    expect(first.message.timestamp).toEqual(expect.any(Number));
    const lane0 = deliveries.filter((d) => d.lane === `${topic}/0`);
    expect(lane0.map((d) => d.message.value?.toString())).toEqual(['v0', 'v1', 'v2', 'v3', 'v4']);
    expect(lane0[0]!.message.contentType).toBeUndefined();
  });

  it('commits acked offsets periodically while running', async () => {
    const topic = await createTopic(brokers);
    const group = uniqueName('mb-group');
    await produce(brokers, topic, numbered(3));
    const { deliveries } = await openSource(topic, group);
    await waitFor(() => deliveries.length === 3, { what: 'three deliveries' });

    deliveries[0]!.ack();
    deliveries[1]!.ack();
    await waitFor(async () => (await committedOffset(brokers, group, topic)) === 2, { what: 'commit of offset 2' });
  });

  it('commits only the highest contiguous acked offset + 1, and a new member redelivers from there', async () => {
    const topic = await createTopic(brokers);
    const group = uniqueName('mb-group');
    await produce(brokers, topic, numbered(4));

    const first = await openSource(topic, group);
    await waitFor(() => first.deliveries.length === 4, { what: 'four deliveries' });
    // Out of order, and 1 never: a "highest acked" commit would say 4.
    for (const i of [3, 2, 0]) first.deliveries[i]!.ack();
    first.deliveries[1]!.nack();
    await first.source.close();
    expect(await committedOffset(brokers, group, topic)).toBe(1);

    const second = await openSource(topic, group);
    await waitFor(() => second.deliveries.length === 3, { what: 'redelivery of offsets 1..3' });
    expect(offsetsOf(second.deliveries)).toEqual(['1', '2', '3']);
    second.deliveries[0]!.ack();
    await waitFor(async () => (await committedOffset(brokers, group, topic)) === 2, { what: 'commit of offset 2' });
    second.deliveries[2]!.ack();
    second.deliveries[1]!.ack();
    await second.source.close();
    expect(await committedOffset(brokers, group, topic)).toBe(4);
  });

  it('redelivers unacked messages to a new source in the same group after close', async () => {
    const topic = await createTopic(brokers);
    const group = uniqueName('mb-group');
    await produce(brokers, topic, numbered(5));

    const first = await openSource(topic, group);
    await waitFor(() => first.deliveries.length === 5, { what: 'five deliveries' });
    first.deliveries[0]!.ack();
    first.deliveries[1]!.ack();
    await first.source.close();
    await first.source.close();
    expect(first.source.status().connected).toBe(false);

    const second = await openSource(topic, group);
    await waitFor(() => second.deliveries.length === 3, { what: 'three redeliveries' });
    expect(second.deliveries.map((d) => d.message.value?.toString())).toEqual(['v2', 'v3', 'v4']);
  });

  it('delivers nothing while paused and everything after resume', async () => {
    const topic = await createTopic(brokers);
    await produce(brokers, topic, numbered(1));
    const { source, deliveries } = await openSource(topic, uniqueName('mb-group'));
    await waitFor(() => deliveries.length === 1, { what: 'the first delivery' });

    source.pause();
    expect(source.status().paused).toBe(true);
    await produce(brokers, topic, numbered(5));
    // By the time an independent reader has consumed them, an unpaused source would have too.
    expect(await readAll(brokers, topic)).toHaveLength(6);
    expect(deliveries).toHaveLength(1);

    source.resume();
    await waitFor(() => deliveries.length === 6, { what: 'deliveries after resume' });
    expect(offsetsOf(deliveries)).toEqual(['0', '1', '2', '3', '4', '5']);
  });

  it('stops within a batch when the handler pauses, and resumes exactly where it stopped', async () => {
    const topic = await createTopic(brokers);
    await produce(brokers, topic, numbered(10));
    const deliveries: Delivery[] = [];
    const source = createKafkaSource(kafkaSourceSchema.parse({ kind: 'kafka', brokers, topic, group: uniqueName('mb-group') }));
    onTestFinished(() => source.close());
    await source.start((delivery) => {
      deliveries.push(delivery);
      if (deliveries.length === 3) source.pause();
    });

    await waitFor(() => deliveries.length >= 3, { what: 'three deliveries' });
    expect(deliveries).toHaveLength(3);
    source.resume();
    await waitFor(() => deliveries.length === 10, { what: 'the rest after resume' });
    expect(offsetsOf(deliveries)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  });

  it('holds through a long pause (partitions with undelivered messages stop fetching), stays in the group, then resumes', async () => {
    const topic = await createTopic(brokers);
    await produce(brokers, topic, numbered(20));
    const deliveries: Delivery[] = [];
    // Heartbeats sent while paused, as the source logs them: the evidence that the pause outlived the session.
    const pausedHeartbeats: number[] = [];
    const logger = {
      error() {},
      warn() {},
      info() {},
      debug(fields: object, msg?: string) {
        if (msg === 'kafka consumer heartbeat' && (fields as { paused?: boolean }).paused) pausedHeartbeats.push(Date.now());
      },
    };
    const source = createKafkaSource(kafkaSourceSchema.parse({ kind: 'kafka', brokers, topic, group: uniqueName('mb-group'), sessionTimeout: '6s' }), { logger });
    onTestFinished(() => source.close());
    await source.start((delivery) => {
      deliveries.push(delivery);
      delivery.ack();
      if (deliveries.length === 5) source.pause();
    });
    await waitFor(() => deliveries.length >= 5, { what: 'five deliveries' });
    // Longer than the session timeout: kafkajs kept heartbeating with the partition paused (heartbeats
    // spanning more than the 6 s session), and nothing was delivered meanwhile.
    const pausedAt = Date.now();
    await waitFor(() => pausedHeartbeats.some((at) => at - pausedAt > 6000), { timeoutMs: 15_000, what: 'a heartbeat past the session timeout while paused' });
    expect(deliveries).toHaveLength(5);
    expect(source.status()).toMatchObject({ connected: true, paused: true });
    source.resume();
    await waitFor(() => deliveries.length === 20, { timeoutMs: 20_000, what: 'the rest after a long pause' });
    expect(offsetsOf(deliveries)).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
  });

  it('delivers a message larger than maxMessageBytes (size checks belong to the pipeline)', async () => {
    const topic = await createTopic(brokers, { config: { 'max.message.bytes': '3000000' } });
    const big = Buffer.alloc(2_000_000, 'x');
    await produce(brokers, topic, [{ key: 'big', value: big }]);
    const { deliveries } = await openSource(topic, uniqueName('mb-group'), { maxMessageBytes: 1000 });

    await waitFor(() => deliveries.length === 1, { what: 'the large message' });
    expect(deliveries[0]!.message.value?.length).toBe(big.length);
  });

  it('consumes partitions concurrently and shares the intake window among them', async () => {
    const topic = await createTopic(brokers, { partitions: 4 });
    await produce(brokers, topic, [0, 1, 2, 3].flatMap((p) => numbered(20, p)));
    const { deliveries } = await openSource(topic, uniqueName('mb-group'), {}, { maxEvents: 8 });
    // Nothing acked: every partition delivers its share of the window and holds.
    await waitFor(() => new Set(deliveries.map(partitionOf)).size === 4, { what: 'deliveries from all four partitions' });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(deliveries.length).toBeLessThan(40);
    let acked = 0;
    await waitFor(
      () => {
        for (; acked < deliveries.length; acked++) deliveries[acked]!.ack();
        return deliveries.length === 80;
      },
      { what: 'all 80 once acked', intervalMs: 20 },
    );
    for (const p of [0, 1, 2, 3]) {
      expect(deliveries.filter((d) => partitionOf(d) === p).map(offsetOf)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    }
  });

  it('on a rebalance commits what was acked before rejoining, and late acks of a revoked partition never commit', async () => {
    const topic = await createTopic(brokers, { partitions: 2 });
    const group = uniqueName('mb-group');
    await produce(brokers, topic, [...numbered(10, 0), ...numbered(10, 1)]);
    // No periodic commit within the test: only the commit on revocation can move the offsets.
    const first = await openSource(topic, group, { commitInterval: '10m' });
    await waitFor(() => first.deliveries.length === 20, { what: 'twenty deliveries' });
    for (const delivery of first.deliveries) if (offsetOf(delivery) < 5) delivery.ack();

    const second = await openSource(topic, group, { commitInterval: '10m' });
    await waitFor(() => second.deliveries.length >= 5, { what: 'the second member consuming its partition' });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const moved = partitionOf(second.deliveries[0]!);
    // It resumed from the offsets committed on revocation, not from the start.
    expect(second.deliveries.map(offsetOf)).toEqual([5, 6, 7, 8, 9]);
    expect(second.deliveries.every((d) => partitionOf(d) === moved)).toBe(true);

    // The first member still holds offsets 5..9 of both partitions; its late acks of the moved
    // partition must not commit over the new owner, those of the kept partition do.
    for (const delivery of first.deliveries) if (offsetOf(delivery) >= 5) delivery.ack();
    await first.source.close();
    expect(await committedOffset(brokers, group, topic, moved)).toBe(5);
    expect(await committedOffset(brokers, group, topic, 1 - moved)).toBe(10);
  });

  it('a partition it paused, gave away in a rebalance and got back is fetched again', async () => {
    const topic = await createTopic(brokers, { partitions: 2 });
    const group = uniqueName('mb-group');
    await produce(brokers, topic, [...numbered(10, 0), ...numbered(10, 1)]);
    // A window of 2 with nothing acked: both partitions hold undelivered messages. A second batch each,
    // fetched ahead while the first is undelivered, makes them stop fetching.
    const first = await openSource(topic, group, {}, { maxEvents: 2 });
    await waitFor(() => new Set(first.deliveries.map(partitionOf)).size === 2, { what: 'a delivery from each partition' });
    await produce(brokers, topic, [...numbered(10, 0), ...numbered(10, 1)]);
    // Time for the fetch ahead; the test holds either way, it only proves less when the fetch is late.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    // A second member takes one partition; the first keeps the other.
    const second = await openSource(topic, group);
    await waitFor(() => second.deliveries.length > 0, { what: 'the second member consuming its partition' });
    const moved = partitionOf(second.deliveries[0]!);
    // It leaves: the partition comes back to the first member, whose window is then freed by acks.
    await second.source.close();
    await waitFor(
      () => {
        for (const delivery of first.deliveries) delivery.ack();
        const offsets = new Set(first.deliveries.filter((d) => partitionOf(d) === moved).map(offsetOf));
        return offsets.size === 20;
      },
      { what: `every message of partition ${moved} delivered again to the first member`, timeoutMs: 30_000, intervalMs: 50 },
    );
  });
});
