import { describe, expect, it } from 'vitest';
import { encodeBinary } from '../../../connectors/cloudevents/encode.ts';
import { createSapEventDecoder } from '../../../connectors/sap/event-decoder.ts';
import { canonicalEventSchema } from '../../../schemas/event.ts';
import { S4_FIXTURES, sapFixture, sapJson } from '../../fixtures/sap/fixtures.ts';
import { AMQP_ORIGIN, expectFailure, message } from '../json/message-fixtures.ts';

const decoder = createSapEventDecoder({ format: 'sap-event', type: 'unused' });

describe('sap-event decoder', () => {
  it.each(S4_FIXTURES)('decodes %s as sent, labelled structured, JSON or not at all', (name) => {
    const json = sapJson(name);
    for (const contentType of ['application/cloudevents+json; charset=utf-8', 'application/json', undefined]) {
      const event = decoder.decode(message({ value: sapFixture(name), contentType }));
      expect(event).toMatchObject({ ...json, data: json.data });
      expect(canonicalEventSchema.safeParse(event).success).toBe(true);
    }
  });

  it('keeps the relative URI-reference source of S/4 (quirk §7.2)', () => {
    const event = decoder.decode(message({ value: sapFixture('salesorder-created-notification.json') }));
    expect(event.source).toBe('/default/sap.s4.beh/DEVCLNT001');
  });

  it('keys a key-only notification by its business object key (quirk §7.1)', () => {
    expect(decoder.decode(message({ value: sapFixture('salesorder-created-notification.json') })).partitionkey).toBe('1');
    expect(decoder.decode(message({ value: sapFixture('businesspartner-changed-notification.json') })).partitionkey).toBe('1000746');
  });

  it('keys RAP events by the object key, item events by the parent object, and keeps the extra header fields', () => {
    const created = decoder.decode(message({ value: sapFixture('salesorder-created-rap.json') }));
    expect(created.partitionkey).toBe('4800');
    expect(created.data).toMatchObject({ SoldToParty: '10100001', EventRaisedDateTime: '2025-03-15T10:30:00.1234567Z' });
    expect(decoder.decode(message({ value: sapFixture('salesorder-item-changed-rap.json') })).partitionkey).toBe('4800');
  });

  it('keeps SAP extensions such as sappassport and keys a single-field event of another SAP product', () => {
    const event = decoder.decode(message({ value: sapFixture('vehicle-changed-sappassport.json') }));
    expect(event.sappassport).toBe('2A54482A0300E60000756E6B6E6F776E20202020');
    expect(event.partitionkey).toBe('V-100');
  });

  it('prefers an explicit partitionkey attribute, then the business key, then the message key', () => {
    const json = sapJson('salesorder-created-notification.json');
    expect(decoder.decode(message({ json: { ...json, partitionkey: 'pk' }, key: Buffer.from('k') })).partitionkey).toBe('pk');
    expect(decoder.decode(message({ json, key: Buffer.from('k') })).partitionkey).toBe('1');
    const unknownShape = { ...json, data: { SalesOrder: { nested: true }, Other: 1 } };
    expect(decoder.decode(message({ json: unknownShape, key: Buffer.from('k') })).partitionkey).toBe('k');
    expect(decoder.decode(message({ json: { ...json, data: { A: '1', B: '2' } } }))).not.toHaveProperty('partitionkey');
  });

  it('reads binary mode (Kafka ce_* and AMQP cloudEvents_* headers) through the cloudevents decoder', () => {
    const json = sapJson('salesorder-created-rap.json');
    const kafka = encodeBinary(json as never, 'kafka');
    const fromKafka = decoder.decode(message({ value: kafka.value, headers: kafka.headers }));
    expect(fromKafka).toMatchObject({ id: json.id, partitionkey: '4800', data: json.data });
    const amqp = encodeBinary(json as never, 'amqp');
    const fromAmqp = decoder.decode(message({ value: amqp.value, headers: amqp.headers, contentType: amqp.contentType, origin: AMQP_ORIGIN }));
    expect(fromAmqp).toMatchObject({ id: json.id, source: json.source, partitionkey: '4800' });
  });

  it('reads the older cloudEvents: AMQP prefix and a binary-mode event without data (tombstone, quirks §7.5/§7.6)', () => {
    const headers = { 'cloudEvents:specversion': '1.0', 'cloudEvents:id': 'c-1', 'cloudEvents:source': '/default/sap.s4.beh/S4HCLNT100', 'cloudEvents:type': 'sap.s4.beh.salesorder.v1.SalesOrder.Deleted.v1' };
    const event = decoder.decode(message({ value: null, headers, key: Buffer.from('4800'), origin: AMQP_ORIGIN }));
    expect(event).toMatchObject({ id: 'c-1', partitionkey: '4800' });
    expect(event).not.toHaveProperty('data');
  });

  it.each([
    ['an empty message', message(), 'EMPTY_MESSAGE'],
    ['not JSON', message({ value: Buffer.from('{"type":') }), 'MALFORMED_PAYLOAD'],
    ['invalid UTF-8', message({ value: Buffer.from([0xff, 0xfe, 0x7b]) }), 'MALFORMED_PAYLOAD'],
    ['a JSON array', message({ json: [1] }), 'INVALID_EVENT'],
    ['no id', message({ json: { ...sapJson('salesorder-created-notification.json'), id: undefined } }), 'INVALID_EVENT'],
    ['specversion 0.3', message({ json: { ...sapJson('salesorder-created-notification.json'), specversion: '0.3' } }), 'INVALID_EVENT'],
    ['an XML body', message({ value: Buffer.from('<a/>'), contentType: 'application/xml' }), 'UNSUPPORTED_CONTENT_TYPE'],
  ] as const)('refuses %s', (_what, input, code) => {
    expectFailure(() => decoder.decode(input), code);
  });
});
