import { describe, expect, it } from 'vitest';
import { createCloudEventsDecoder } from '../../../connectors/cloudevents/decoder.ts';
import { encodeBinary, encodeStructured, STRUCTURED_CONTENT_TYPE, type EncodedEvent } from '../../../connectors/cloudevents/encode.ts';
import type { InboundMessage } from '../../../connectors/types.ts';
import type { CanonicalEvent } from '../../../schemas/event.ts';
import { AMQP_ORIGIN, KAFKA_ORIGIN } from '../json/message-fixtures.ts';

const decoder = createCloudEventsDecoder({ format: 'cloudevents', type: 'unused' });

/** What a sink would publish and a source would then consume. */
function transport(encoded: EncodedEvent, binding: 'kafka' | 'amqp', key: string | undefined): InboundMessage {
  return {
    key: key === undefined ? null : Buffer.from(key),
    value: encoded.value,
    headers: binding === 'kafka' ? Object.fromEntries(Object.entries(encoded.headers).map(([k, v]) => [k, Buffer.from(v)])) : encoded.headers,
    contentType: binding === 'amqp' ? encoded.contentType : undefined,
    timestamp: undefined,
    origin: binding === 'kafka' ? KAFKA_ORIGIN : AMQP_ORIGIN,
  };
}

/** `CanonicalEvent`'s extension index signature rejects `data` in object literals; events here are valid by construction. */
const ce = (event: Record<string, unknown>): CanonicalEvent => event as CanonicalEvent;
const base: CanonicalEvent = { specversion: '1.0', id: 'e-1', source: '/default/sap.s4.beh/S4HCLNT100', type: 'sap.s4.beh.salesorder.v1.SalesOrder.Created.v1' };
const EVENTS: [string, CanonicalEvent][] = [
  ['minimal, no data', base],
  ['JSON data and every optional attribute', ce({ ...base, subject: 'order/1', time: '2024-03-01T10:15:00.123+01:00', datacontenttype: 'application/json', dataschema: 'https://example.com/s.json', partitionkey: '1', traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', sappassport: 'x1', data: { SalesOrder: '1', lines: [1, 2] } })],
  ['JSON data without datacontenttype', ce({ ...base, data: { a: [null, true, 'é'] } })],
  ['a JSON string as data', ce({ ...base, data: 'just a string' })],
  ['text data', ce({ ...base, datacontenttype: 'text/plain; charset=utf-8', data: 'hello ✓' })],
  ['binary data', ce({ ...base, datacontenttype: 'application/avro', data: Buffer.from([0, 255, 10, 13]) })],
  ['JSON null data', ce({ ...base, datacontenttype: 'application/json', data: null })],
];

describe('CloudEvents encode → decode round trip', () => {
  for (const [what, event] of EVENTS) {
    it(`structured, ${what}`, () => {
      for (const binding of ['kafka', 'amqp'] as const) {
        expect(decoder.decode(transport(encodeStructured(event), binding, event.partitionkey))).toEqual(event);
      }
    });
    for (const binding of ['kafka', 'amqp'] as const) {
      it(`binary ${binding}, ${what}`, () => {
        expect(decoder.decode(transport(encodeBinary(event, binding), binding, event.partitionkey))).toEqual(event);
      });
    }
  }

  it('binary mode gives Buffer data without datacontenttype an octet-stream type', () => {
    const event = ce({ ...base, data: Buffer.from([1, 2, 3]) });
    const encoded = encodeBinary(event, 'kafka');
    expect(encoded.headers['content-type']).toBe('application/octet-stream');
    expect(decoder.decode(transport(encoded, 'kafka', undefined))).toEqual({ ...event, datacontenttype: 'application/octet-stream' });
  });

  it('binary mode carries extension values as strings', () => {
    const encoded = encodeBinary(ce({ ...base, retries: 3, urgent: true }), 'amqp');
    expect(encoded.headers).toMatchObject({ cloudEvents_retries: '3', cloudEvents_urgent: 'true' });
  });
});

describe('encoded shapes', () => {
  it('structured: one JSON document with data_base64 for bytes', () => {
    const encoded = encodeStructured(ce({ ...base, data: Buffer.from('hi') }));
    expect(encoded.headers).toEqual({ 'content-type': STRUCTURED_CONTENT_TYPE });
    expect(JSON.parse(encoded.value!.toString())).toEqual({ ...base, data_base64: 'aGk=' });
  });

  it('binary kafka: ce_ headers, content-type header, data as value, no value without data', () => {
    const encoded = encodeBinary(ce({ ...base, datacontenttype: 'application/json', data: { a: 1 } }), 'kafka');
    expect(encoded.headers).toEqual({ ce_specversion: '1.0', ce_id: 'e-1', ce_source: base.source, ce_type: base.type, 'content-type': 'application/json' });
    expect(encoded.value!.toString()).toBe('{"a":1}');
    expect(encodeBinary(base, 'kafka').value).toBeNull();
  });

  it('binary amqp: cloudEvents_ headers and the content type as a property, not a header', () => {
    const encoded = encodeBinary(ce({ ...base, datacontenttype: 'application/json', data: {} }), 'amqp');
    expect(Object.keys(encoded.headers).sort()).toEqual(['cloudEvents_id', 'cloudEvents_source', 'cloudEvents_specversion', 'cloudEvents_type']);
    expect(encoded.contentType).toBe('application/json');
  });
});
