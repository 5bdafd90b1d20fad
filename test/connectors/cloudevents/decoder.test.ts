import { describe, expect, it } from 'vitest';
import { createCloudEventsDecoder } from '../../../connectors/cloudevents/decoder.ts';
import type { Headers } from '../../../connectors/types.ts';
import { canonicalEventSchema } from '../../../schemas/event.ts';
import { AMQP_ORIGIN, expectFailure, message } from '../json/message-fixtures.ts';

const decoder = createCloudEventsDecoder({ format: 'cloudevents', type: 'unused' });
const STRUCTURED = 'application/cloudevents+json; charset=UTF-8';
const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

const SAP_EVENT = {
  specversion: '1.0',
  type: 'sap.s4.beh.salesorder.v1.SalesOrder.Created.v1',
  source: '/default/sap.s4.beh/S4HCLNT100',
  id: 'a823e884-5edc-4194-a81a-f3a3632417ee',
  time: '2024-03-01T10:15:00Z',
  datacontenttype: 'application/json',
  data: { SalesOrder: '1' },
};

const ceHeaders = (prefix: string, attributes: Record<string, string>, asBuffer = false): Headers =>
  Object.fromEntries(Object.entries(attributes).map(([name, value]) => [prefix + name, asBuffer ? Buffer.from(value) : value]));

const BINARY_ATTRIBUTES = { specversion: '1.0', id: '1234-1234-1234', source: '/mycontext/subcontext', type: 'com.example.someevent', time: '2018-04-05T03:56:24Z' };

describe('cloudevents decoder, structured mode', () => {
  it('decodes an SAP business event and keeps the message key as partition key', () => {
    const event = decoder.decode(message({ json: SAP_EVENT, contentType: STRUCTURED, key: Buffer.from('1') }));
    expect(event).toEqual({ ...SAP_EVENT, partitionkey: '1' });
    expect(canonicalEventSchema.safeParse(event).success).toBe(true);
  });

  it('detects structured mode case-insensitively from the content-type header', () => {
    const event = decoder.decode(message({ json: SAP_EVENT, headers: { 'content-type': Buffer.from('Application/CloudEvents+JSON') } }));
    expect(event.id).toBe(SAP_EVENT.id);
  });

  it('keeps extensions, prefers the partitionkey attribute, treats null attributes as unset', () => {
    const event = decoder.decode(
      message({ json: { ...SAP_EVENT, sappassport: 'abc', retries: 3, urgent: true, partitionkey: 'pk', subject: null }, contentType: STRUCTURED, key: Buffer.from('other') }),
    );
    expect(event).toMatchObject({ sappassport: 'abc', retries: 3, urgent: true, partitionkey: 'pk' });
    expect(event).not.toHaveProperty('subject');
  });

  it('decodes data_base64 into a Buffer', () => {
    const event = decoder.decode(message({ json: { ...SAP_EVENT, data: undefined, datacontenttype: 'application/avro', data_base64: 'AAEC/w==' }, contentType: STRUCTURED }));
    expect(event.data).toEqual(Buffer.from([0, 1, 2, 255]));
    expect(event).not.toHaveProperty('data_base64');
  });

  it.each([
    ['both data and data_base64', { ...SAP_EVENT, data_base64: 'AA==' }],
    ['bad base64', { ...SAP_EVENT, data: undefined, data_base64: 'not base64!' }],
    ['data_base64 as a number', { ...SAP_EVENT, data: undefined, data_base64: 5 }],
    ['an upper-case extension', { ...SAP_EVENT, myExt: 'x' }],
    ['an object extension', { ...SAP_EVENT, ext: { a: 1 } }],
  ])('rejects %s', (_what, json) => {
    expectFailure(() => decoder.decode(message({ json, contentType: STRUCTURED })), 'INVALID_EVENT');
  });

  it.each(['application/cloudevents-batch+json', 'application/cloudevents+avro', 'application/cloudevents'])('rejects the structured content type %s', (contentType) => {
    expectFailure(() => decoder.decode(message({ json: SAP_EVENT, contentType })), 'UNSUPPORTED_CONTENT_TYPE');
  });

  it('takes a traceparent attribute, else the traceparent header, and drops a malformed one', () => {
    const fromHeader = decoder.decode(message({ json: SAP_EVENT, contentType: STRUCTURED, headers: { traceparent: TRACEPARENT } }));
    expect(fromHeader.traceparent).toBe(TRACEPARENT);
    const malformed = decoder.decode(message({ json: { ...SAP_EVENT, traceparent: 'nonsense' }, contentType: STRUCTURED }));
    expect(malformed).not.toHaveProperty('traceparent');
    expect(canonicalEventSchema.safeParse(malformed).success).toBe(true);
  });
});

describe('cloudevents decoder, required attributes', () => {
  it.each(['specversion', 'id', 'source', 'type'])('names the missing attribute %s, in both modes', (name) => {
    const { [name]: _dropped, ...rest } = SAP_EVENT as Record<string, unknown>;
    expect(expectFailure(() => decoder.decode(message({ json: rest, contentType: STRUCTURED })), 'INVALID_EVENT')).toContain(name);
    const { [name]: _gone, ...attributes } = BINARY_ATTRIBUTES as Record<string, string>;
    expect(expectFailure(() => decoder.decode(message({ json: { a: 1 }, headers: ceHeaders('ce_', attributes) })), 'INVALID_EVENT')).toContain(name);
  });

  it.each([
    ['specversion', '0.3'],
    ['specversion', 1],
    ['id', ''],
    ['source', 42],
    ['type', ''],
    ['subject', ''],
    ['time', '2018-04-05 03:56:24Z'],
    ['time', '2018-02-30T03:56:24Z'],
    ['time', 'yesterday'],
    ['time', 1_700_000_000],
    ['id', 'x'.repeat(1025)],
  ])('rejects %s = %j, naming it', (name, value) => {
    const text = expectFailure(() => decoder.decode(message({ json: { ...SAP_EVENT, [name]: value }, contentType: STRUCTURED })), 'INVALID_EVENT');
    expect(text).toContain(name);
  });
});

describe('cloudevents decoder, binary mode', () => {
  it.each([
    ['Kafka ce_ string headers', 'ce_', false],
    ['Kafka ce_ Buffer headers', 'ce_', true],
    ['AMQP cloudEvents_ headers', 'cloudEvents_', false],
    ['AMQP cloudEvents: headers', 'cloudEvents:', true],
  ])('reads %s', (_what, prefix, asBuffer) => {
    const headers = { ...ceHeaders(prefix, { ...BINARY_ATTRIBUTES, partitionkey: 'p-1', comexampleext: 'v' }, asBuffer), other: 'ignored' };
    const event = decoder.decode(message({ json: { total: 5 }, headers, contentType: 'application/json', origin: prefix === 'ce_' ? message().origin : AMQP_ORIGIN }));
    expect(event).toEqual({ ...BINARY_ATTRIBUTES, partitionkey: 'p-1', comexampleext: 'v', datacontenttype: 'application/json', data: { total: 5 } });
  });

  it('takes datacontenttype from the content-type header and parses JSON-ish data', () => {
    const value = Buffer.from('{"ok":true}');
    const event = decoder.decode(message({ value, headers: { ...ceHeaders('ce_', BINARY_ATTRIBUTES), 'content-type': Buffer.from('application/vnd.x+json') } }));
    expect([event.datacontenttype, event.data]).toEqual(['application/vnd.x+json', { ok: true }]);
  });

  it('parses data as JSON when there is no content type', () => {
    expect(decoder.decode(message({ value: Buffer.from('[1,2]'), headers: ceHeaders('ce_', BINARY_ATTRIBUTES) })).data).toEqual([1, 2]);
  });

  it('keeps text as a string and other bytes as a Buffer, even when they happen to be UTF-8', () => {
    const headers = ceHeaders('ce_', BINARY_ATTRIBUTES);
    expect(decoder.decode(message({ value: Buffer.from('<a>é</a>'), headers, contentType: 'application/xml' })).data).toBe('<a>é</a>');
    expect(decoder.decode(message({ value: Buffer.from('hi'), headers, contentType: 'text/plain' })).data).toBe('hi');
    const avro = decoder.decode(message({ value: Buffer.from('abc'), headers, contentType: 'application/avro' }));
    expect(avro.data).toEqual(Buffer.from('abc'));
    expectFailure(() => decoder.decode(message({ value: Buffer.from([0xff]), headers, contentType: 'text/plain' })), 'MALFORMED_PAYLOAD');
  });

  it('reads an event without a value as an event without data', () => {
    const event = decoder.decode(message({ value: null, headers: ceHeaders('ce_', BINARY_ATTRIBUTES) }));
    expect(event).toEqual(BINARY_ATTRIBUTES);
  });

  it('ignores headers whose attribute names are not lower-case a-z0-9', () => {
    const event = decoder.decode(message({ json: {}, headers: { ...ceHeaders('ce_', BINARY_ATTRIBUTES), ce_BadName: 'x', 'ce_with-dash': 'y', ce_data: 'z' } }));
    expect(Object.keys(event).sort()).toEqual(['data', 'id', 'source', 'specversion', 'time', 'type']);
  });

  it('rejects attribute header bytes that are not UTF-8', () => {
    const headers = { ...ceHeaders('ce_', BINARY_ATTRIBUTES), ce_id: Buffer.from([0xc3, 0x28]) };
    expectFailure(() => decoder.decode(message({ json: {}, headers })), 'MALFORMED_PAYLOAD');
  });
});

describe('cloudevents decoder, hostile input', () => {
  it('rejects a message with neither value nor CloudEvents headers as EMPTY_MESSAGE', () => {
    expectFailure(() => decoder.decode(message({ value: null })), 'EMPTY_MESSAGE');
    expectFailure(() => decoder.decode(message({ value: Buffer.alloc(0) })), 'EMPTY_MESSAGE');
    expectFailure(() => decoder.decode(message({ value: null, contentType: STRUCTURED })), 'EMPTY_MESSAGE');
  });

  it('rejects a plain JSON message (no CloudEvents headers) as INVALID_EVENT', () => {
    expectFailure(() => decoder.decode(message({ json: SAP_EVENT, contentType: 'application/json' })), 'INVALID_EVENT');
  });

  it.each([
    ['invalid UTF-8', Buffer.from([0x7b, 0xc3, 0x28, 0x7d])],
    ['truncated JSON', Buffer.from('{"specversion":"1.0","id":')],
  ])('rejects %s in structured mode as MALFORMED_PAYLOAD', (_what, value) => {
    expectFailure(() => decoder.decode(message({ value, contentType: STRUCTURED })), 'MALFORMED_PAYLOAD');
  });

  it('rejects truncated JSON data in binary mode as MALFORMED_PAYLOAD', () => {
    expectFailure(() => decoder.decode(message({ value: Buffer.from('{"a":'), headers: ceHeaders('ce_', BINARY_ATTRIBUTES) })), 'MALFORMED_PAYLOAD');
  });

  it.each([
    ['an array', [SAP_EVENT]],
    ['a number', 1],
    ['a string', 'event'],
    ['null', null],
  ])('rejects %s as a structured event', (_what, json) => {
    expectFailure(() => decoder.decode(message({ value: Buffer.from(JSON.stringify(json)), contentType: STRUCTURED })), 'INVALID_EVENT');
  });

  it('survives huge nesting in data', () => {
    const depth = 200_000;
    const value = Buffer.from(`${'['.repeat(depth)}${']'.repeat(depth)}`);
    const event = decoder.decode(message({ value, headers: ceHeaders('ce_', BINARY_ATTRIBUTES) }));
    expect(Array.isArray(event.data)).toBe(true);
  });
});
