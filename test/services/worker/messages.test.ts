import { describe, expect, it } from 'vitest';
import type { InboundMessage } from '../../../connectors/types.ts';
import { DLQ_HEADERS } from '../../../schemas/dead-letter.ts';
import { ModelbridgeError } from '../../../schemas/errors.ts';
import type { CanonicalEvent, Provenance } from '../../../schemas/event.ts';
import { CLOUDEVENTS_JSON, STRUCTURED_HEADERS, buildDeadLetter, buildEnrichedMessage } from '../../../services/worker/messages.ts';

const kafkaMessage: InboundMessage = {
  key: Buffer.from('K-1'),
  value: Buffer.from('{"not":"touched"}'),
  headers: { 'ce_type': Buffer.from('t'), [DLQ_HEADERS.code]: 'STALE', [DLQ_HEADERS.replayCount]: '2' },
  contentType: undefined,
  timestamp: 1_700_000_000_000,
  origin: { transport: 'kafka', topic: 'orders', partition: 3, offset: '42', timestamp: 1_700_000_000_000 },
};

const event: CanonicalEvent = {
  specversion: '1.0',
  id: 'e-1',
  source: '/sap',
  type: 'sap.order.created',
  subject: 'order/1',
  partitionkey: 'order-1',
  traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  data: { amount: 10 },
} as CanonicalEvent;

const provenance: Provenance = { connector: 'c', backend: 'kserve-http', model: 'm', modelVersion: '1', latencyMs: 1.5, attempts: 1 } as Provenance;
const context = { connector: 'c', backend: 'kserve-http', model: 'm', attempts: 4, firstFailureAt: 1000, lastFailureAt: 2000, eventId: 'e-1' };

describe('buildEnrichedMessage', () => {
  it('is a structured CloudEvent with the input id, data, output and provenance, under the original key', () => {
    const out = buildEnrichedMessage(event, kafkaMessage, { risk: 'high' }, provenance, { source: '/modelbridge/c', type: undefined });
    expect(out.key).toEqual(Buffer.from('K-1'));
    // The input carried a W3C context, so the headers carry it on (structuredHeaders); without one they are the shared frozen object.
    expect(out.headers).toEqual({ 'content-type': CLOUDEVENTS_JSON, traceparent: event.traceparent });
    const { traceparent: _traceparent, ...untraced } = event;
    expect(buildEnrichedMessage(untraced as CanonicalEvent, kafkaMessage, {}, provenance, { source: '/modelbridge/c', type: undefined }).headers).toBe(STRUCTURED_HEADERS);
    expect(out.contentType).toBe(CLOUDEVENTS_JSON);
    const body = JSON.parse(String(out.value)) as Record<string, unknown>;
    expect(body).toMatchObject({
      specversion: '1.0',
      id: 'e-1',
      source: '/modelbridge/c',
      type: 'sap.order.created.enriched',
      subject: 'order/1',
      partitionkey: 'order-1',
      traceparent: event.traceparent,
      datacontenttype: 'application/json',
      data: { input: { amount: 10 }, output: { risk: 'high' }, provenance },
    });
    expect(Number.isNaN(Date.parse(body.time as string))).toBe(false);
  });

  it('takes a configured type, and the partition key when the message has no key', () => {
    const keyless = { ...kafkaMessage, key: null };
    const out = buildEnrichedMessage(event, keyless, {}, provenance, { source: '/s', type: 'custom.type' });
    expect(out.key).toBe('order-1');
    expect(JSON.parse(String(out.value))).toMatchObject({ type: 'custom.type' });
  });
});

describe('buildDeadLetter', () => {
  it('keeps key, value and headers unchanged and adds the reason and origin, replacing stale mb-dlq-* headers', () => {
    const error = new ModelbridgeError('INFERENCE_REJECTED', 'bad row', { upstreamStatus: 400 });
    const letter = buildDeadLetter(kafkaMessage, error, context);
    expect(letter.key).toBe(kafkaMessage.key);
    expect(letter.value).toBe(kafkaMessage.value);
    expect(letter.headers).toMatchObject({
      ce_type: Buffer.from('t'),
      [DLQ_HEADERS.code]: 'INFERENCE_REJECTED',
      [DLQ_HEADERS.retryable]: 'false',
      [DLQ_HEADERS.message]: 'bad row',
      [DLQ_HEADERS.stage]: 'infer',
      [DLQ_HEADERS.attempts]: '4',
      [DLQ_HEADERS.firstFailureAt]: new Date(1000).toISOString(),
      [DLQ_HEADERS.lastFailureAt]: new Date(2000).toISOString(),
      [DLQ_HEADERS.connector]: 'c',
      [DLQ_HEADERS.upstreamStatus]: '400',
      [DLQ_HEADERS.eventId]: 'e-1',
      [DLQ_HEADERS.originTransport]: 'kafka',
      [DLQ_HEADERS.originTopic]: 'orders',
      [DLQ_HEADERS.originPartition]: '3',
      [DLQ_HEADERS.originOffset]: '42',
      // An earlier replay's count is kept: replay increments it.
      [DLQ_HEADERS.replayCount]: '2',
    });
  });

  it('starts the replay count at 0, records an AMQP origin and content type, and cuts a long reason', () => {
    const amqp: InboundMessage = {
      key: null,
      value: Buffer.from('x'),
      headers: {},
      contentType: 'application/json',
      timestamp: undefined,
      origin: { transport: 'amqp', exchange: 'sap', routingKey: 'orders', queue: 'orders.in' } as InboundMessage['origin'],
    };
    const letter = buildDeadLetter(amqp, new ModelbridgeError('MALFORMED_PAYLOAD', 'x'.repeat(5000)), { ...context, eventId: undefined });
    expect(letter.contentType).toBe('application/json');
    expect(letter.headers).toMatchObject({
      [DLQ_HEADERS.replayCount]: '0',
      [DLQ_HEADERS.originTransport]: 'amqp',
      [DLQ_HEADERS.originExchange]: 'sap',
      [DLQ_HEADERS.originRoutingKey]: 'orders',
      [DLQ_HEADERS.originQueue]: 'orders.in',
      [DLQ_HEADERS.originContentType]: 'application/json',
    });
    expect(letter.headers[DLQ_HEADERS.eventId]).toBeUndefined();
    expect(String(letter.headers[DLQ_HEADERS.message])).toHaveLength(1025);
  });
});
