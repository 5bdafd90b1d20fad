import { describe, expect, inject, it, onTestFinished } from 'vitest';
import { createKafkaSink } from '../../../../connectors/kafka/index.ts';
import type { Sink } from '../../../../connectors/types.ts';
import { kafkaSinkSchema } from '../../../../schemas/connector-config.ts';
import { createTopic, readAll } from '../../../support/kafka.ts';

const brokers = inject('kafkaBrokers');

async function openSink(topic: string, extra: Record<string, unknown> = {}): Promise<Sink> {
  const sink = createKafkaSink(kafkaSinkSchema.parse({ kind: 'kafka', brokers, topic, ...extra }));
  onTestFinished(() => sink.close());
  await sink.start();
  return sink;
}

describe('kafka sink', () => {
  it('resolves publishes once acknowledged, and the records are readable with key, value and headers', async () => {
    const topic = await createTopic(brokers);
    const sink = await openSink(topic);
    expect(sink.status().connected).toBe(true);

    // Issued in one turn: they are coalesced into batches, and each promise settles with its batch.
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        sink.publish({ key: `k${i}`, value: Buffer.from(`v${i}`), headers: { 'x-index': String(i), 'x-bytes': Buffer.from([i]) }, contentType: 'application/json' }),
      ),
    );

    const records = await readAll(brokers, topic);
    expect(records.map((r) => r.value?.toString())).toEqual(Array.from({ length: 50 }, (_, i) => `v${i}`));
    const seventh = records[7]!;
    expect(seventh.key?.toString()).toBe('k7');
    expect(seventh.headers['x-index']?.toString()).toBe('7');
    expect(seventh.headers['x-bytes']).toEqual(Buffer.from([7]));
    expect(seventh.headers['content-type']?.toString()).toBe('application/json');
  });

  it('honours destination and partition overrides', async () => {
    const topic = await createTopic(brokers);
    const other = await createTopic(brokers, { partitions: 3 });
    const sink = await openSink(topic);

    await Promise.all([
      sink.publish({ key: 'a', value: 'to-default', headers: {} }),
      sink.publish({ key: 'b', value: 'to-other-p2', headers: {}, destination: other, partition: 2 }),
      sink.publish({ key: null, value: null, headers: {}, destination: other, partition: 1 }),
    ]);

    expect((await readAll(brokers, topic)).map((r) => r.value?.toString())).toEqual(['to-default']);
    const inOther = await readAll(brokers, other);
    expect(inOther.map((r) => [r.partition, r.key?.toString() ?? null, r.value?.toString() ?? null])).toEqual([
      [1, null, null],
      [2, 'b', 'to-other-p2'],
    ]);
  });

  it('rejects a message over maxMessageBytes with non-retryable PUBLISH_TOO_LARGE and still sends its neighbours', async () => {
    const topic = await createTopic(brokers);
    const sink = await openSink(topic, { maxMessageBytes: 10_000 });

    const results = await Promise.allSettled([
      sink.publish({ key: 'ok1', value: 'small', headers: {} }),
      sink.publish({ key: 'big', value: Buffer.alloc(20_000), headers: {} }),
      sink.publish({ key: 'ok2', value: 'small', headers: {} }),
    ]);

    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'PUBLISH_TOO_LARGE', retryable: false });
    expect((await readAll(brokers, topic)).map((r) => r.key?.toString())).toEqual(['ok1', 'ok2']);
  });

  it('maps a broker size rejection to PUBLISH_TOO_LARGE without failing the rest of the batch', async () => {
    // The topic accepts less than the sink believes: only the broker can refuse these.
    const topic = await createTopic(brokers, { config: { 'max.message.bytes': '5000' } });
    const sink = await openSink(topic);

    const results = await Promise.allSettled([
      sink.publish({ key: 'ok', value: 'small', headers: {} }),
      sink.publish({ key: 'big', value: Buffer.alloc(8_000), headers: {} }),
    ]);

    expect(results[0]!.status).toBe('fulfilled');
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'PUBLISH_TOO_LARGE', retryable: false });
    expect((await readAll(brokers, topic)).map((r) => r.key?.toString())).toEqual(['ok']);
  });

  it('rejects publishes after close, and close is idempotent', async () => {
    const topic = await createTopic(brokers);
    const sink = await openSink(topic);
    await sink.publish({ key: null, value: 'before', headers: {} });
    await Promise.all([sink.close(), sink.close()]);
    expect(sink.status().connected).toBe(false);
    await expect(sink.publish({ key: null, value: 'after', headers: {} })).rejects.toMatchObject({ code: 'ABORTED' });
  });
});
