/**
 * The transport conformance suite: one set of cases every transport (memory, Kafka, RabbitMQ) must pass,
 * so the worker can rely on the `Source`/`Sink`/`Delivery` contract rather than on a broker.
 *
 * Use: in a test file, `runTransportConformance('kafka', createFixture, options)`. It registers a
 * `describe` block; `createFixture` runs before every case and returns a {@link TransportFixture}:
 *
 * - one fresh, unique destination (topic, queue or stream) per fixture;
 * - `createSource()`: a new, not yet started source over it. Sources of one fixture **compete** for
 *   messages the way replicas of one connector do (same AMQP queue, same Kafka consumer group, same
 *   memory stream): a message acked by one is not delivered to the next, one left unacked is;
 * - `createSink()`: a sink that publishes into the same destination, so sink → source round-trips;
 * - `inject(messages)`: writes messages straight into the destination, bypassing the sink, in order;
 *   resolves once the broker holds them all;
 * - `readBack()`: everything the destination holds *right now* — it must not wait for more, and should
 *   use a client opened up front (not connect per call), or the "publish resolves only after the broker
 *   has it" case cannot catch a publish that resolves early. It may consume what it reads;
 * - `dispose()`: deletes the destination. The suite closes every source and sink first.
 *
 * Sources and sinks created through the fixture are closed by the suite after each case even when the
 * case fails, so fixtures need not track them. Every wait is a `waitFor` on a condition.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Delivery, Headers, OutboundMessage, Sink, Source } from '../../connectors/types.ts';
import { waitFor } from './wait-for.ts';

/** A message as the destination holds it, for `readBack()`. */
export interface ReadBackMessage {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Headers;
}

export interface TransportFixture {
  createSource(): Source;
  createSink(): Sink;
  inject(messages: readonly OutboundMessage[]): Promise<void>;
  readBack(): Promise<ReadBackMessage[]>;
  dispose(): Promise<void>;
}

export interface TransportConformanceOptions {
  /** Header values come back with their type (strings as strings). False where headers are bytes (Kafka). */
  readonly preservesHeaderTypes: boolean;
  /** The transport carries `contentType` as a first-class property (AMQP, memory). */
  readonly carriesContentType: boolean;
  /** Longest wait for any one condition, in ms. Default 15 000. */
  readonly timeoutMs?: number;
}

/** A started source and everything it delivered, with the deliveries not settled yet. */
interface Consumed {
  readonly source: Source;
  readonly values: string[];
  readonly held: Delivery[];
}

type Policy = (delivery: Delivery, value: string) => 'ack' | 'nack' | 'hold';

const text = (value: Buffer | string | null): string => (value === null ? '<null>' : Buffer.from(value).toString('utf8'));
const values = (prefix: string, count: number): string[] => Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
const plain = (value: string): OutboundMessage => ({ key: null, value, headers: {} });

/** Registers the conformance cases for one transport. */
export function runTransportConformance(name: string, createFixture: () => Promise<TransportFixture>, options: TransportConformanceOptions): void {
  const timeoutMs = options.timeoutMs ?? 15_000;

  describe(`${name} transport conformance`, () => {
    let fixture: TransportFixture;
    let closables: (Source | Sink)[] = [];

    beforeEach(async () => {
      fixture = await createFixture();
      closables = [];
    });

    afterEach(async () => {
      const results = await Promise.allSettled(closables.map((closable) => closable.close()));
      await fixture.dispose();
      const failures = results.filter((result) => result.status === 'rejected');
      if (failures.length > 0) throw new AggregateError(failures.map((failure) => failure.reason), 'closing sources/sinks failed');
    });

    function newSource(): Source {
      const source = fixture.createSource();
      closables.push(source);
      return source;
    }

    function newSink(): Sink {
      const sink = fixture.createSink();
      closables.push(sink);
      return sink;
    }

    async function consume(policy: Policy = () => 'ack'): Promise<Consumed> {
      const source = newSource();
      const consumed: Consumed = { source, values: [], held: [] };
      await source.start((delivery) => {
        const value = text(delivery.message.value);
        consumed.values.push(value);
        const decision = policy(delivery, value);
        if (decision === 'ack') delivery.ack();
        else if (decision === 'nack') delivery.nack();
        else consumed.held.push(delivery);
      });
      return consumed;
    }

    const until = (condition: () => boolean, what: string): Promise<true> =>
      waitFor(() => condition() || undefined, { timeoutMs, what });
    const hasAll = (seen: readonly string[], expected: readonly string[]): boolean => expected.every((value) => seen.includes(value));

    it('starts, reports connected, and closes idempotently', async () => {
      const source = newSource();
      await source.start(() => undefined);
      expect(source.status()).toMatchObject({ connected: true, paused: false });
      const sink = newSink();
      await sink.start();
      expect(sink.status().connected).toBe(true);

      await Promise.all([source.close(), source.close(), sink.close(), sink.close()]);
      await source.close();
      await sink.close();
      expect(source.status().connected).toBe(false);
      expect(sink.status().connected).toBe(false);
      await expect(newSource().close()).resolves.toBeUndefined();
    });

    it('delivers every message once, and a second ack or a late nack is harmless', async () => {
      const expected = values('once', 50);
      const first = await consume((delivery) => {
        delivery.ack();
        delivery.ack();
        delivery.nack();
        return 'hold';
      });
      await fixture.inject(expected.map(plain));
      await until(() => hasAll(first.values, expected), 'all 50 messages');
      expect([...first.values].sort()).toEqual([...expected].sort());

      // The source still works after the duplicate settles (an AMQP double ack would kill the channel).
      await fixture.inject([plain('after')]);
      await until(() => first.values.includes('after'), 'a message after the duplicate acks');
      await first.source.close();

      // Acks took effect: a fresh source sees only what was injected after.
      const second = await consume();
      await fixture.inject([plain('sentinel')]);
      await until(() => second.values.includes('sentinel'), 'the sentinel');
      expect(second.values).toEqual(['sentinel']);
    });

    it('round-trips key, value, headers and content type from sink to source', async () => {
      const binary = Buffer.from([0x00, 0xff, 0x10, 0x80]);
      const sent: OutboundMessage[] = [
        {
          key: 'order-4711',
          value: binary,
          headers: { 'x-text': 'grüße ✓', 'x-bytes': Buffer.from([0x00, 0x01, 0xfe, 0xff]), 'x-empty': '' },
          contentType: 'application/octet-stream',
        },
        { key: Buffer.from('key-bytes'), value: '{"id":"2"}', headers: { 'x-text': 'second' }, contentType: 'application/json' },
        { key: null, value: 'no key', headers: {} },
      ];
      const sink = newSink();
      await sink.start();
      for (const message of sent) await sink.publish(message);

      const received: Delivery[] = [];
      const source = newSource();
      await source.start((delivery) => {
        received.push(delivery);
        delivery.ack();
      });
      await until(() => received.length >= sent.length, 'three round-tripped messages');

      for (const message of sent) {
        const delivery = received.find((d) => d.message.value !== null && Buffer.from(d.message.value).equals(Buffer.from(message.value!)));
        expect(delivery, `message ${text(message.value)}`).toBeDefined();
        const got = delivery!.message;
        expect(got.key === null ? null : Buffer.from(got.key).toString('hex')).toBe(message.key === null ? null : Buffer.from(message.key).toString('hex'));
        for (const [header, value] of Object.entries(message.headers)) {
          expect(got.headers[header], `header ${header}`).toBeDefined();
          expect(Buffer.from(got.headers[header]!).equals(Buffer.from(value)), `header ${header} bytes`).toBe(true);
          if (options.preservesHeaderTypes) expect(Buffer.isBuffer(got.headers[header])).toBe(Buffer.isBuffer(value));
        }
        if (options.carriesContentType) expect(got.contentType).toBe(message.contentType);
        expect(got.origin.transport).toBeTypeOf('string');
        expect(delivery!.lane).not.toBe('');
      }
    });

    it('makes a nacked message available again to a fresh source', async () => {
      const expected = values('nack', 3);
      const seenOnce = new Set<string>();
      const first = await consume((_delivery, value) => {
        if (seenOnce.has(value)) return 'hold';
        seenOnce.add(value);
        return 'nack';
      });
      await fixture.inject(expected.map(plain));
      await until(() => hasAll(first.values, expected), 'first deliveries');
      await first.source.close();

      const second = await consume();
      await until(() => hasAll(second.values, expected), 'redeliveries to a fresh source');
    });

    it('redelivers what was in flight when a source closed (at-least-once)', async () => {
      const expected = values('inflight', 20);
      const unacked = expected.filter((_, i) => i % 2 === 1);
      const first = await consume((_delivery, value) => (unacked.includes(value) ? 'hold' : 'ack'));
      await fixture.inject(expected.map(plain));
      await until(() => hasAll(first.values, expected), 'all 20 messages');
      expect(first.held).toHaveLength(unacked.length);
      await first.source.close();

      // Settling after close must neither throw nor count: the broker owns these messages again.
      for (const delivery of first.held) expect(() => delivery.ack()).not.toThrow();

      const second = await consume();
      await until(() => hasAll(second.values, unacked), 'the unacked messages to come back');
    });

    it('pause stops intake (a competing source gets the messages) and resume continues', async () => {
      const paused = await consume();
      paused.source.pause();
      expect(paused.source.status().paused).toBe(true);

      const whilePaused = values('paused', 10);
      await fixture.inject(whilePaused.map(plain));
      // Were the paused source still consuming it would take (some of) these before the witness starts.
      const witness = await consume();
      await until(() => hasAll(witness.values, whilePaused), 'the witness to get every message');
      expect(paused.values).toEqual([]);
      await witness.source.close();

      const afterResume = values('resumed', 5);
      await fixture.inject(afterResume.map(plain));
      paused.source.resume();
      expect(paused.source.status().paused).toBe(false);
      await until(() => hasAll(paused.values, afterResume), 'deliveries after resume');
    });

    it('resolves publish only once the broker holds the message', async () => {
      const sink = newSink();
      await sink.start();
      // One large message alone first: a publish that resolved before the broker had its bytes would
      // leave it still in flight when we read (kept under Kafka's default 1 MB message limit).
      await sink.publish({ key: null, value: `large|${'x'.repeat(900_000)}`, headers: {} });
      const large = await fixture.readBack();
      expect(large.map((message) => text(message.value).split('|')[0])).toEqual(['large']);

      const expected = values('confirmed', 20);
      await Promise.all(expected.map((value) => sink.publish({ key: value, value, headers: { 'x-n': value } })));
      const held = await fixture.readBack();
      expect(held.map((message) => text(message.value)).sort()).toEqual([...expected].sort());
    });
  });
}
