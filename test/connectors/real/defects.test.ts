/**
 * The nine ways realistic SAP and Salesforce deliveries used to fail or lose information, one block each,
 * built from the real payloads of test/fixtures/real. Where Salesforce publishes no sample of a delivery
 * (a platform event over the Pub/Sub API, a custom channel), the real CometD event is turned into that
 * delivery by the mapping Salesforce documents (no `EventUuid`, replay id beside the payload, epoch-ms
 * `CreatedDate`), in code, here.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { createRegistry } from '../../../connectors/registry.ts';
import type { Headers, InboundMessage } from '../../../connectors/types.ts';
import type { DecodeConfig } from '../../../schemas/connector-config.ts';
import { amqpOrigin, deliver, kafkaOrigin, plain, realPayload } from './deliveries.ts';

const registry = createRegistry();
const decoder = (decode: Partial<DecodeConfig> & Pick<DecodeConfig, 'format'>) => registry.createDecoder({ type: 'unused', ...decode } as DecodeConfig);

/** The Low_Ink__e event of the Streaming API guide as a Pub/Sub API client decodes it. */
function lowInkPubSub(): Record<string, unknown> {
  const cometd = JSON.parse(realPayload('pe-cometd-low-ink-streaming-docs.json').toString('utf8')) as { data: { payload: Record<string, unknown> } };
  const { CreatedDate, ...fields } = cometd.data.payload;
  return { CreatedDate: Date.parse(String(CreatedDate)), ...fields };
}

function json(value: unknown, origin: InboundMessage['origin'], headers: Headers = {}): InboundMessage {
  return { key: null, value: Buffer.from(JSON.stringify(value)), headers, contentType: 'application/json', timestamp: undefined, origin };
}

describe('1. platform events read through the Pub/Sub API (no EventUuid)', () => {
  const pe = decoder({ format: 'salesforce-platform-event' });

  it('take the replay id a bridge puts in a header as id', () => {
    const event = pe.decode(json(lowInkPubSub(), kafkaOrigin('salesforce.Low_Ink__e'), { 'replay-id': Buffer.from('2112') }));
    expect({ id: event.id, replayid: event.replayid, time: event.time }).toEqual({ id: '2112', replayid: '2112', time: '2023-04-09T18:31:40.517Z' });
  });

  it('else the transport position, the same on every redelivery', () => {
    const kafka = () => pe.decode(json(lowInkPubSub(), kafkaOrigin('salesforce.Low_Ink__e', '918')));
    expect(kafka().id).toBe('salesforce.Low_Ink__e:2:918');
    const amqp = () => pe.decode(json(lowInkPubSub(), { ...amqpOrigin('Low_Ink__e'), redelivered: true, deliveryTag: Math.floor(Math.random() * 1000) }));
    expect(amqp().id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(amqp().id).toBe(amqp().id);
  });
});

describe('2. the platform event name on shared topics and custom channels', () => {
  const pe = decoder({ format: 'salesforce-platform-event' });

  it('comes from EventApiName on a custom channel that carries several __e types', () => {
    const cometd = JSON.parse(realPayload('pe-cometd-low-ink-streaming-docs.json').toString('utf8')) as { data: { payload: Record<string, unknown> }; channel: string };
    cometd.channel = '/event/Order_Channel__chn';
    cometd.data.payload.EventApiName = 'Order_NorthAmer__e';
    const event = pe.decode(json(cometd, kafkaOrigin('salesforce.orders')));
    expect([event.type, event.source, event.id]).toEqual(['com.salesforce.event.Order_NorthAmer__e', '/salesforce/default/event/Order_NorthAmer__e', '2ec0e371-1395-457f-9275-be1b527a72f7']);
  });

  it('comes from the schema name a bridge puts in a header, also as the Avro full name', () => {
    const shared = kafkaOrigin('salesforce.platform-events');
    expect(pe.decode(json(lowInkPubSub(), shared, { 'schema-name': Buffer.from('com.sforce.eventbus.Low_Ink__e') })).type).toBe('com.salesforce.event.Low_Ink__e');
    expect(pe.decode(json(lowInkPubSub(), amqpOrigin('sf-events'), { schema_name: 'Low_Ink__e' })).type).toBe('com.salesforce.event.Low_Ink__e');
  });
});

describe('3. a replay id at the top level, {"replayId": …, "payload": {…}}', () => {
  it('is the platform event id when there is no EventUuid', () => {
    const event = decoder({ format: 'salesforce-platform-event' }).decode(json({ replayId: 18098167, payload: lowInkPubSub() }, kafkaOrigin('salesforce.Low_Ink__e')));
    expect([event.id, event.replayid, (event.data as { ReplayId?: unknown }).ReplayId]).toEqual(['18098167', '18098167', '18098167']);
  });

  it('is the CDC event replayid (the real Node client output)', () => {
    const event = decoder({ format: 'salesforce-cdc' }).decode(deliver('cdc-pubsub-node-client-compound.json', 'kafka', 'salesforce.AccountChangeEvent'));
    expect(event.replayid).toBe('18098167');
  });
});

describe('4. 64-bit integers', () => {
  const header = JSON.parse(realPayload('cdc-pubsub-employee-create-trailhead.json').toString('utf8')) as Record<string, Record<string, unknown>>;
  const withCommit = Buffer.from(JSON.stringify(header).replace('"commitNumber":1722538034362728400', '"commitNumber":1725357365187780609'));

  it('keep every digit of a CDC commitNumber beyond 2^53, as a string', () => {
    const event = decoder({ format: 'salesforce-cdc' }).decode(plain(withCommit, 'kafka', 'application/json', 'salesforce.Employee__ChangeEvent'));
    const commitNumber = (event.data as { ChangeEventHeader: { commitNumber: unknown } }).ChangeEventHeader.commitNumber;
    expect(commitNumber).toBe('1725357365187780609');
    expect(JSON.stringify(event.data)).toContain('"commitNumber":"1725357365187780609"');
  });

  it('stay exact in the json and cloudevents decoders too', () => {
    const body = Buffer.from('{"id":"e-1","specversion":"1.0","type":"t","source":"/s","data":{"ledger":9223372036854775807,"small":42}}');
    const fromJson = decoder({ format: 'json' }).decode(plain(body, 'kafka', 'application/json', 'ledger'));
    const fromCe = decoder({ format: 'cloudevents' }).decode(plain(body, 'kafka', 'application/cloudevents+json', 'ledger'));
    expect((fromJson.data as { data: unknown }).data).toEqual({ ledger: '9223372036854775807', small: 42 });
    expect(fromCe.data).toEqual({ ledger: '9223372036854775807', small: 42 });
  });
});

describe('5. SAP business events outside the key-only pattern', () => {
  it('key a real S/4HANA Cloud FreightOrder event by its order number', () => {
    const event = decoder({ format: 'sap-event' }).decode(deliver('s4-freightorder-created-740207565.json', 'rabbitmq', 'freight-orders'));
    expect(event.partitionkey).toBe('6600000706');
  });

  it('find the object field whatever its casing, in both type namings', () => {
    const sap = decoder({ format: 'sap-event' });
    const event = (type: string, data: unknown) =>
      sap.decode(json({ specversion: '1.0', id: 'x-1', source: '/default/sap.s4.beh/S4HCLNT100', type, data: { ...(data as object), EventRaisedDateTime: '2025-03-15T10:30:00Z' } }, kafkaOrigin('s4')));
    expect(event('sap.s4.beh.Product.Changed.v1', { PRODUCT: 'TG11', ProductType: 'FERT' }).partitionkey).toBe('TG11');
    expect(event('sap.s4.beh.salesorder.v1.SalesOrder.Created.v1', { salesorder: '4800', SalesOrderType: 'OR' }).partitionkey).toBe('4800');
  });

  it('take decode.keyPath, a path or JSONata', () => {
    const byPath = decoder({ format: 'sap-event', keyPath: 'TransportationOrderUUID' }).decode(deliver('s4-freightorder-created-740623809.json', 'kafka', 'fo'));
    expect(byPath.partitionkey).toBe('dd841049-0b04-1edf-afb7-543a3c8e1473');
    const byExpression = decoder({ format: 'sap-event', keyPath: 'TransportationOrderType & ":" & TransportationOrder' }).decode(deliver('s4-freightorder-created-740623809.json', 'kafka-binary', 'fo'));
    expect(byExpression.partitionkey).toBe('SFO2:6600000900');
  });
});

describe('6. IDocs with a blank sender partner type', () => {
  const xml = realPayload('idoc-orders05-outbound-po.xml').toString('utf8').replace('<SNDPRT>LS</SNDPRT>', '<SNDPRT></SNDPRT>');

  it('decode, with a source built from port, partner and client', () => {
    const event = decoder({ format: 'sap-idoc' }).decode(plain(Buffer.from(xml), 'rabbitmq', 'application/xml', 'idocs'));
    expect([event.id, event.source, event.partitionkey]).toEqual(['0000000064132944', '/sap/idoc/port/SAPEQ2/partner/EQ2CLNT100/client/100', '4700000325']);
  });
});

describe('7. IDoc control values', () => {
  it('are trimmed in data.control as in the event type', () => {
    const xml = realPayload('idoc-invoic02-zinv-ardo-extension.xml').toString('utf8').replace('<IDOCTYP>INVOIC02</IDOCTYP>', '<IDOCTYP>INVOIC02      </IDOCTYP>').replace('<MESCOD>MM</MESCOD>', '<MESCOD>MM </MESCOD>');
    const event = decoder({ format: 'sap-idoc' }).decode(plain(Buffer.from(xml), 'kafka', 'application/xml', 'idocs'));
    const control = (event.data as { control: Record<string, string> }).control;
    expect([event.type, control.IDOCTYP, control.MESCOD]).toEqual(['sap.idoc.INVOIC02.INVOIC', 'INVOIC02', 'MM']);
  });
});

describe('8. custom Z IDoc types', () => {
  it('fall back to DOCNUM, and decode.keyPath (JSONata) keys them by business fields', () => {
    const fallback = decoder({ format: 'sap-idoc' }).decode(deliver('idoc-zmmstockrecon01-status51.xml', 'kafka', 'idocs'));
    expect(fallback.partitionkey).toBe(fallback.id);
    const keyed = decoder({ format: 'sap-idoc', keyPath: '$join([segments.Z1STOCK_RECON_01[0].WERKS, segments.Z1STOCK_RECON_01[0].LGORT], "/")' });
    expect(keyed.decode(deliver('idoc-zmmstockrecon01-status51.xml', 'kafka', 'idocs')).partitionkey).toBe('MY06/PKE01');
  });
});

describe('8. the README example for custom IDoc types', () => {
  it('is a decode section that keys the real Z IDoc as the comment says', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const block = /```yaml\n(decode:\n  format: sap-idoc\n[\s\S]*?)```/.exec(readme)?.[1];
    expect(block, 'README keyPath example for Z IDoc types').toBeDefined();
    const { decode } = parseYaml(block!) as { decode: DecodeConfig };
    const event = decoder(decode).decode(deliver('idoc-zmmstockrecon01-status51.xml', 'kafka', 'idocs'));
    expect(event.partitionkey).toBe(/# (\S+)/.exec(block!)![1]);
  });
});

describe('9. SAP example events whose time is not RFC 3339', () => {
  it('decode with lenientTime, normalised to RFC 3339 with the original kept; strict by default', () => {
    const event = decoder({ format: 'sap-event', lenientTime: true }).decode(deliver('dvh-vehicle-created.json', 'kafka', 'dvh'));
    expect([event.time, event.originaltime]).toEqual(['2018-04-08T08:31:00Z', '2018-04-08 08:31:00']);
    expect(() => decoder({ format: 'sap-event' }).decode(deliver('dvh-vehicle-created.json', 'kafka', 'dvh'))).toThrow(/RFC 3339/);
  });
});
