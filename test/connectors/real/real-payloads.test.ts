/**
 * Every payload of test/fixtures/real (see its SOURCES.md) through the delivery forms it meets in
 * practice, asserting what downstream relies on: id, type, partition key and the data fields that matter.
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createRegistry } from '../../../connectors/registry.ts';
import type { DecodeConfig } from '../../../schemas/connector-config.ts';
import { canonicalEventSchema } from '../../../schemas/event.ts';
import { deliver, type DeliveryForm } from './deliveries.ts';

interface Case {
  readonly file: string;
  readonly decode: Partial<DecodeConfig> & Pick<DecodeConfig, 'format'>;
  readonly forms: readonly DeliveryForm[];
  readonly where?: string;
  readonly id: string;
  readonly type: string;
  /** `undefined`: no key from the payload (the worker then uses the message key, else the id). */
  readonly key: string | undefined;
  readonly source?: string;
  readonly time?: string;
  /** Dotted paths into `data` → exact value. */
  readonly data: Readonly<Record<string, unknown>>;
  readonly extensions?: Readonly<Record<string, unknown>>;
}

const CE: readonly DeliveryForm[] = ['kafka', 'kafka-binary', 'rabbitmq', 'rabbitmq-binary'];
const BODY: readonly DeliveryForm[] = ['kafka', 'rabbitmq'];
const SAP = { format: 'sap-event' } as const;
const IDOC = { format: 'sap-idoc' } as const;
const CDC = { format: 'salesforce-cdc' } as const;
const PE = { format: 'salesforce-platform-event' } as const;
const PASS = { format: 'salesforce-cdc', salesforce: { gapEvents: 'pass-through', overflowEvents: 'pass-through' } } as const;

const CASES: readonly Case[] = [
  { file: 's4-salesorder-created-eventmesh.json', decode: SAP, forms: CE, id: 'db13c94e-c20f-4b2e-8171-6970104721a0', type: 'sap.s4.beh.salesorder.v1.SalesOrder.Created.v1', key: '1', source: '/default/sap.s4.beh/DEVCLNT001', time: '2020-12-31T13:59:15Z', data: { SalesOrder: '1' } },
  { file: 's4-salesorder-created-cap-docs.json', decode: SAP, forms: CE, id: '0894ef45-7741-1eea-b7be-ce30f48e9a1d', type: 'sap.s4.beh.salesorder.v1.SalesOrder.Created.v1', key: '3016329', data: { SalesOrder: '3016329' } },
  { file: 's4-businesspartner-changed-aem.json', decode: SAP, forms: CE, id: '1fad4742-d03c-1edd-aeb8-c298b3dd8d4c', type: 'sap.s4.beh.businesspartner.v1.BusinessPartner.Changed.v1', key: '1000746', source: '/default/sap.s4.beh/730431274', data: { BusinessPartner: '1000746' } },
  { file: 's4-businesspartner-created-aem.json', decode: SAP, forms: CE, id: '1fad4742-d03c-1edd-aeb8-ebbdc1e74ef9', type: 'sap.s4.beh.businesspartner.v1.BusinessPartner.Created.v1', key: '1000992', data: { BusinessPartner: '1000992' } },
  { file: 's4-businesspartner-changed-codejam.json', decode: SAP, forms: CE, id: '194780e0-b5db-1ede-b58a-4550178dff9e', type: 'sap.s4.beh.businesspartner.v1.BusinessPartner.Changed.v1', key: '1000667', data: { BusinessPartner: '1000667' } },
  { file: 's4-freightorder-created-740207565.json', decode: SAP, forms: CE, id: 'fa163ea1-6a76-1fe0-9694-2dc3cb43d19f', type: 'sap.s4.beh.FreightOrder.Created.v1', key: '6600000706', source: '/default/sap.s4.beh/740207565', data: { TransportationOrder: '6600000706', TransportationOrderType: 'SFO2', Carrier: '17386001', TranspPurgOrgExtID: '1710' } },
  { file: 's4-freightorder-created-740623809.json', decode: SAP, forms: CE, id: 'dd841049-0b04-1edf-afb7-578bc54ed473', type: 'sap.s4.beh.FreightOrder.Created.v1', key: '6600000900', data: { TransportationOrderUUID: 'dd841049-0b04-1edf-afb7-543a3c8e1473', TranspPurgOrgExtID: '' } },
  {
    file: 'dvh-vehicle-created.json',
    decode: { format: 'sap-event', lenientTime: true },
    forms: CE,
    id: 'a823e884-5edc-4194-a81a-f3a3632417ee',
    type: 'sap.dmo.dvh.Vehicle.Created.v1',
    key: '808E6E30B65149978A443429B29FB300',
    time: '2018-04-08T08:31:00Z',
    data: { 'vehicle.vehicleIdentifyingElements.vin': '1234567898888888' },
    extensions: { originaltime: '2018-04-08 08:31:00', sappassport: 'string', subject: '808E6E30B65149978A443429B29FB300' },
  },

  { file: 'idoc-orders05-outbound-po.xml', decode: IDOC, forms: BODY, id: '0000000064132944', type: 'sap.idoc.ORDERS05./LUMBERL/VFI_ORDERS', key: '4700000325', source: '/sap/idoc/LS/EQ2CLNT100', data: { idocType: 'ORDERS05', 'control.SNDPOR': 'SAPEQ2', 'segments.E1EDP01.0.NETWR': '10365.18', 'segments.E1EDS01.0.SUMME': '40098.16' } },
  { file: 'idoc-debmas01-contact-broadcast.xml', decode: IDOC, forms: BODY, id: '0000000001086095', type: 'sap.idoc.DEBMAS01.DEBMAS', key: '0000099009', source: '/sap/idoc/LS/EH6CLNT800', data: { 'segments.E1KNA1M.0.NAME1': 'Janko Hrasko', 'segments.E1KNA1M.0.E1KNVKM.0.PARNR': '0000152955' } },
  { file: 'idoc-matmas05-cpi-event-message.xml', decode: IDOC, forms: BODY, id: '0000000000009022', type: 'sap.idoc.MATMAS05.MATMAS', key: '0000000000009022', source: '/sap/idoc/LS/ECCCLNT100', data: { 'segments.E1MARAM.0.E1MAKTM.0.MAKTX': 'EIPINCPI', 'control.RCVPRN': 'CPI' } },
  { file: 'idoc-invoic02-zinv-ardo-extension.xml', decode: IDOC, forms: BODY, id: '0000000000182520', type: 'sap.idoc.INVOIC02.INVOIC', key: '9000002067', source: '/sap/idoc/LS/PS4CLNT100', data: { idocType: 'ZINV_ARDO', 'control.CIMTYP': 'ZINV_ARDO', 'segments.E1EDKA1.0.ZINV_ARDO.0.BIOCERTIFICATE': 'BE-BIO-01', 'segments.E1EDKA1.0.STRAS': 'JÄRNVIKSVÄGEN 12' } },
  { file: 'idoc-delvry03-jco-listener-test.xml', decode: IDOC, forms: BODY, id: '0000000000000001', type: 'sap.idoc.DELVRY03.DESADV', key: 'TEST001', data: { 'segments.E1EDL20.0.INCO1': 'FOB' } },
  { file: 'idoc-zmmstockrecon01-status51.xml', decode: IDOC, forms: BODY, id: '0000000020884979', type: 'sap.idoc.ZMMSTOCKRECON_01.ZMMSTOCKRECON', key: '0000000020884979', source: '/sap/idoc/LI/0001120019', data: { 'control.STATUS': '51', 'control.OUTMOD': '', 'segments.Z1STOCK_RECON_01.6.GESME': '72' } },
  {
    file: 'idoc-zmmstockrecon01-status51.xml',
    decode: { format: 'sap-idoc', keyPath: 'control.SNDPRN & "/" & segments.Z1STOCK_RECON_01[0].WERKS' },
    forms: BODY,
    id: '0000000020884979',
    type: 'sap.idoc.ZMMSTOCKRECON_01.ZMMSTOCKRECON',
    key: '0001120019/MY06',
    data: {},
  },

  {
    file: 'cdc-cometd-account-create-streaming-docs.json',
    decode: CDC,
    forms: BODY,
    id: '001b7375-0086-250e-e6ca-b99bc3a8b69f:1',
    type: 'com.salesforce.cdc.AccountChangeEvent',
    key: '<record_ID>',
    time: '2017-07-25T19:16:46.653Z',
    data: { 'ChangeEventHeader.commitNumber': 92847272780, Name: 'Acme', CreatedDate: '2017-07-25T19:16:44Z' },
    extensions: { changetype: 'CREATE', replayid: '6421' },
  },
  {
    file: 'cdc-pubsub-merged-update-cdc-guide.json',
    decode: CDC,
    forms: BODY,
    id: '00065380-d1a9-a64a-9341-14f6f12f674c:1',
    type: 'com.salesforce.cdc.AccountChangeEvent',
    key: '0015f00002JUZPDAA5',
    // The published body is trimmed to a few fields, so bit 22 points past it: the bitmap stays raw.
    data: { 'ChangeEventHeader.recordIds.2': '0015f00002JUZPcAAP', 'ChangeEventHeader.commitNumber': 1100823480049, 'ChangeEventHeader.changedFields.0': '0x400800', Industry: 'Apparel', LastModifiedDate: '2024-04-26T22:21:42.000Z' },
  },
  {
    file: 'cdc-pubsub-gap-create-cdc-guide.json',
    decode: PASS,
    forms: BODY,
    id: '000a50de-05dd-07c4-22fb-44b7f9e72ab5:19',
    type: 'com.salesforce.cdc.AccountChangeEvent',
    key: '001ZM000001n4n5YAA',
    data: { 'ChangeEventHeader.changeType': 'GAP_CREATE', 'ChangeEventHeader.commitNumber': 72784468115 },
    extensions: { changetype: 'GAP_CREATE', subject: '001ZM000001n4n5YAA' },
  },
  {
    file: 'cdc-pubsub-overflow-cdc-guide.json',
    decode: PASS,
    forms: BODY,
    id: '000a5148-405c-21fe-86ce-03205d7404ad:6',
    type: 'com.salesforce.cdc.AccountChangeEvent',
    key: '000000000000000AAA',
    data: { 'ChangeEventHeader.commitNumber': 72784848482 },
    extensions: { changetype: 'GAP_OVERFLOW', subject: undefined },
  },
  {
    file: 'cdc-pubsub-node-client-compound.json',
    decode: CDC,
    forms: BODY,
    id: '000046c7-a642-11e2-c29b-229c6786473e:1',
    type: 'com.salesforce.cdc.AccountChangeEvent',
    key: '0014H00002LbR7QQAV',
    time: '2023-10-04T18:35:13.000Z',
    data: { 'ChangeEventHeader.commitNumber': 11657372702432, 'ChangeEventHeader.changedFields.1': 'BillingAddress.City', 'BillingAddress.City': 'San Francisco', 'BillingAddress.State': 'CA' },
    extensions: { replayid: '18098167' },
  },
  {
    file: 'cdc-pubsub-java-client-compound-bitmap.json',
    decode: CDC,
    forms: BODY,
    id: '0000c8a0-6766-3414-949f-de10519bee7d:1',
    type: 'com.salesforce.cdc.AccountChangeEvent',
    key: '0014H00002LbR7QQAV',
    data: { 'ChangeEventHeader.changedFields': ['LastModifiedDate', 'BillingAddress.Street'], 'BillingAddress.Street': '12 Main Street', 'ChangeEventHeader.commitNumber': 11334298542449 },
  },
  {
    file: 'cdc-pubsub-employee-create-trailhead.json',
    decode: CDC,
    forms: BODY,
    id: '0001b7b1-5ff1-499e-0b32-4b2aff2f6922:1',
    type: 'com.salesforce.cdc.Employee__ChangeEvent',
    key: 'a00ak00000FqAsJAAV',
    source: '/salesforce/default/data/Employee__ChangeEvent',
    // Beyond 2^53: kept as its exact decimal text.
    data: { 'ChangeEventHeader.commitNumber': '1722538034362728400', Last_Name__c: 'Smith', CreatedDate: '2024-08-01T18:47:14.000Z' },
  },
  {
    file: 'cdc-connect-contact-create-playground.json',
    decode: CDC,
    forms: BODY,
    id: '000162ba-13b5-6862-79f9-0805a616799d:1',
    type: 'com.salesforce.cdc.ContactChangeEvent',
    key: '0032X00002QU10JQAT',
    data: { 'ChangeEventHeader.commitNumber': 10832042834831, FirstName: 'John_1241', CreatedDate: '2020-07-30T13:33:45.000Z' },
    extensions: { replayid: '1305887' },
  },

  {
    file: 'pe-cometd-low-ink-streaming-docs.json',
    decode: PE,
    forms: BODY,
    id: '2ec0e371-1395-457f-9275-be1b527a72f7',
    type: 'com.salesforce.event.Low_Ink__e',
    key: undefined,
    time: '2023-04-09T18:31:40.517Z',
    data: { Printer_Model__c: 'XZO-5', Ink_Percentage__c: 0.2, ReplayId: '2112', CreatedById: '005D0000001cSZsIAM' },
    extensions: { replayid: '2112' },
  },
  {
    file: 'pe-connect-myplatformevent-playground.json',
    decode: PE,
    forms: BODY,
    id: 'a870010c-2fda-4057-b95d-e14db56a6af1',
    type: 'com.salesforce.event.MyPlatformEvent__e',
    key: undefined,
    data: { Message__c: '', ReplayId: '9004013', CreatedDate: '2022-02-08T18:43:29.665Z' },
  },
];

function at(data: unknown, path: string): unknown {
  let current = data;
  for (const part of path.split('.')) current = (current as Record<string, unknown> | undefined)?.[part];
  return current;
}

describe('real payloads through their delivery forms', () => {
  const registry = createRegistry();
  const rows = CASES.flatMap((c) => c.forms.map((form) => [`${c.file} ${c.decode.keyPath === undefined ? '' : '(keyPath) '}via ${form}`, c, form] as const));

  it.each(rows)('%s', (_name, c, form) => {
    const decoder = registry.createDecoder({ type: 'com.modelbridge.json', ...c.decode } as DecodeConfig);
    const event = decoder.decode(deliver(c.file, form, c.where ?? 'enterprise-events'));
    expect(canonicalEventSchema.safeParse(event).success).toBe(true);
    expect({ id: event.id, type: event.type, partitionkey: event.partitionkey }).toEqual({ id: c.id, type: c.type, partitionkey: c.key });
    if (c.source !== undefined) expect(event.source).toBe(c.source);
    if (c.time !== undefined) expect(event.time).toBe(c.time);
    for (const [path, value] of Object.entries(c.data)) expect(at(event.data, path), path).toEqual(value);
    for (const [name, value] of Object.entries(c.extensions ?? {})) expect(event[name], name).toEqual(value);
  });

  it('covers every file of the corpus', () => {
    const files = readdirSync(new URL('../../fixtures/real/', import.meta.url)).filter((f) => f !== 'SOURCES.md');
    expect(files.length).toBeGreaterThanOrEqual(20);
    expect(new Set(CASES.map((c) => c.file))).toEqual(new Set(files));
  });

  it('dead-letters the real gap and overflow events by default, with their codes', () => {
    const decoder = registry.createDecoder({ format: 'salesforce-cdc', type: 'unused' });
    expect(() => decoder.decode(deliver('cdc-pubsub-gap-create-cdc-guide.json', 'kafka', 't'))).toThrow(expect.objectContaining({ code: 'GAP_EVENT' }));
    expect(() => decoder.decode(deliver('cdc-pubsub-overflow-cdc-guide.json', 'kafka', 't'))).toThrow(expect.objectContaining({ code: 'OVERFLOW_EVENT' }));
  });

  it('refuses the SAP vehicle event with a non-RFC 3339 time unless lenientTime is on', () => {
    const strict = registry.createDecoder({ format: 'sap-event', type: 'unused' });
    expect(() => strict.decode(deliver('dvh-vehicle-created.json', 'kafka', 't'))).toThrow(expect.objectContaining({ code: 'INVALID_EVENT' }));
  });
});
