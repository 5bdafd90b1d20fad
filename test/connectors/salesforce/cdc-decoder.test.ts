import { describe, expect, it } from 'vitest';
import { createSalesforceCdcDecoder } from '../../../connectors/salesforce/cdc-decoder.ts';
import type { DecodeConfig } from '../../../schemas/connector-config.ts';
import { canonicalEventSchema } from '../../../schemas/event.ts';
import { CDC_FIXTURES, salesforceFixture, salesforceJson } from '../../fixtures/salesforce/fixtures.ts';
import { expectFailure, message } from '../json/message-fixtures.ts';

const config = (salesforce?: DecodeConfig['salesforce']): DecodeConfig => ({ format: 'salesforce-cdc', type: 'unused', salesforce });
const decoder = createSalesforceCdcDecoder(config(), { org: '00D5f000000abcdEAA' });
const decode = (name: string) => decoder.decode(message({ value: salesforceFixture(name), contentType: 'application/json' }));
const header = (event: { data?: unknown }) => (event.data as { ChangeEventHeader: Record<string, unknown> }).ChangeEventHeader;

describe('salesforce-cdc decoder, delivery shapes', () => {
  it.each(CDC_FIXTURES)('decodes %s to a valid canonical event', (name) => {
    expect(canonicalEventSchema.safeParse(decode(name)).success).toBe(true);
  });

  it('maps a CometD CREATE: id from transactionKey + sequenceNumber, time from commitTimestamp, subject = record id', () => {
    expect(decode('cdc-cometd-create.json')).toMatchObject({
      id: '001b7375-0086-250e-e6ca-b99bc3a8b69f:1',
      type: 'com.salesforce.cdc.AccountChangeEvent',
      source: '/salesforce/00D5f000000abcdEAA/data/AccountChangeEvent',
      time: '2017-07-25T19:16:46.653Z',
      subject: '001b000000ICp6TAAT',
      partitionkey: '001b000000ICp6TAAT',
      changetype: 'CREATE',
      replayid: '6421',
      data: { Name: 'Acme', CreatedDate: '2017-07-25T19:16:44Z' },
    });
  });

  it('reads the unwrapped CometD form and keeps changedFields names (compound fields as Parent.Field)', () => {
    const event = decode('cdc-cometd-update-unwrapped.json');
    expect(event).toMatchObject({ id: '0002343d-9d90-e395-ed20-cf416ba652ad:17', replayid: '6422', changetype: 'UPDATE' });
    expect(header(event).changedFields).toEqual(['Description', 'LastModifiedDate', 'BillingAddress.City']);
  });

  it('decodes Pub/Sub bitmaps against the record field order; dates from epoch ms (quirk §7.3)', () => {
    const event = decode('cdc-pubsub-merged-update.json');
    expect(header(event)).toMatchObject({ changedFields: ['Industry', 'LastModifiedDate'], nulledFields: [], diffFields: [] });
    expect(event.data).toMatchObject({ Industry: 'Apparel', LastModifiedDate: '2024-04-26T22:21:42.000Z', Name: null });
    expect(event).not.toHaveProperty('replayid');
  });

  it('decodes compound-field bitmaps ("4-0x02" → BillingAddress.City) and nulledFields', () => {
    const h = header(decode('cdc-pubsub-compound-update.json'));
    expect(h.changedFields).toEqual(['BillingAddress', 'Phone', 'LastModifiedDate', 'BillingAddress.City']);
    expect(h.nulledFields).toEqual(['Phone']);
  });

  it('keeps bitmaps raw when the field order cannot be trusted', () => {
    const json = salesforceJson('cdc-pubsub-merged-update.json');
    const { ChangeEventHeader, ...fields } = json;
    const reordered = decoder.decode(message({ json: { ...fields, ChangeEventHeader } }));
    expect(header(reordered).changedFields).toEqual(['0x400800']);
    const beyond = decoder.decode(message({ json: { ChangeEventHeader: { ...(ChangeEventHeader as object), changedFields: ['0x80000000', '1-0x01'] }, Name: null } }));
    expect(header(beyond).changedFields).toEqual(['0x80000000', '1-0x01']);
  });

  it('unwraps Avro union wrappers of raw Avro-JSON', () => {
    const event = decode('cdc-pubsub-avro-unions.json');
    expect(event.data).toMatchObject({ BillingAddress: { City: 'San Francisco', PostalCode: '94105', Street: null }, LastModifiedDate: '2024-04-26T22:21:44.000Z' });
    expect(header(event).changedFields).toEqual(['BillingAddress', 'LastModifiedDate']);
  });

  it('reads Kafka Connect output (string ReplayId, _ObjectType, epoch dates), with and without the schema envelope', () => {
    const event = decode('cdc-connect-create.json');
    expect(event).toMatchObject({ id: '000162ba-13b5-6862-79f9-0805a616799d:1', type: 'com.salesforce.cdc.ContactChangeEvent', replayid: '1305887', partitionkey: '0032X00002QU10JQAT' });
    expect(event.data).toMatchObject({ Id: '0032X00002QU10JQAT', CreatedDate: '2020-07-30T13:33:45.000Z', FirstName: 'John_1241' });
    expect(event.data).not.toHaveProperty('ReplayId');
    expect(event.data).not.toHaveProperty('_ObjectType');
    expect(decode('cdc-connect-schemaless.json')).toMatchObject({ changetype: 'DELETE', replayid: '1305999' });
  });

  it('gives one change the same id in every shape', () => {
    const cometd = salesforceJson('cdc-cometd-create.json') as { data: { payload: Record<string, unknown> } };
    const pubsub = decoder.decode(message({ json: cometd.data.payload }));
    const connect = decoder.decode(message({ json: { ...cometd.data.payload, ReplayId: '99', _ObjectType: 'AccountChangeEvent' } }));
    expect(new Set([decode('cdc-cometd-create.json').id, pubsub.id, connect.id]).size).toBe(1);
  });

  it('keeps a merged change as one event keyed by its first record id, without a subject (quirk §7.4)', () => {
    const event = decode('cdc-pubsub-merged-update.json');
    expect(event.partitionkey).toBe('0015f00002JUZPDAA5');
    expect(event).not.toHaveProperty('subject');
    expect(header(event).recordIds).toHaveLength(3);
  });

  it('keys a wildcard change by the wildcard, names custom-object events like Salesforce', () => {
    expect(decode('cdc-wildcard.json')).toMatchObject({ partitionkey: '001*' });
    expect(decode('cdc-wildcard.json')).not.toHaveProperty('subject');
    expect(decode('cdc-custom-object.json')).toMatchObject({ type: 'com.salesforce.cdc.Employee__ChangeEvent', changetype: 'UNDELETE' });
  });
});

describe('salesforce-cdc decoder, gap and overflow events', () => {
  it('dead-letters gap and overflow events by default', () => {
    expect(expectFailure(() => decode('cdc-gap.json'), 'GAP_EVENT')).toMatch(/GAP_CREATE.*Account/);
    expect(expectFailure(() => decode('cdc-overflow.json'), 'OVERFLOW_EVENT')).toMatch(/overflow/);
  });

  it('passes them through when configured, and says so in passThrough', () => {
    const passing = createSalesforceCdcDecoder(config({ gapEvents: 'pass-through', overflowEvents: 'pass-through' }));
    const gap = passing.decode(message({ value: salesforceFixture('cdc-gap.json') }));
    const overflow = passing.decode(message({ value: salesforceFixture('cdc-overflow.json') }));
    expect(gap.changetype).toBe('GAP_CREATE');
    expect(overflow).toMatchObject({ partitionkey: '000000000000000AAA', changetype: 'GAP_OVERFLOW' });
    expect(overflow).not.toHaveProperty('subject');
    expect(passing.passThrough!(gap)).toBe(true);
    expect(passing.passThrough!(overflow)).toBe(true);
    expect(passing.passThrough!(decode('cdc-cometd-create.json'))).toBe(false);
  });

  it('treats the two settings independently', () => {
    const gapsOnly = createSalesforceCdcDecoder(config({ gapEvents: 'pass-through', overflowEvents: 'dead-letter' }));
    expect(gapsOnly.passThrough!(gapsOnly.decode(message({ value: salesforceFixture('cdc-gap.json') })))).toBe(true);
    expectFailure(() => gapsOnly.decode(message({ value: salesforceFixture('cdc-overflow.json') })), 'OVERFLOW_EVENT');
    const overflowsOnly = createSalesforceCdcDecoder(config({ gapEvents: 'dead-letter', overflowEvents: 'pass-through' }));
    expectFailure(() => overflowsOnly.decode(message({ value: salesforceFixture('cdc-gap.json') })), 'GAP_EVENT');
  });
});

describe('salesforce-cdc decoder, bad input', () => {
  const good = salesforceJson('cdc-gap.json') as { ChangeEventHeader: Record<string, unknown> };
  const withHeader = (patch: Record<string, unknown>) => message({ json: { ChangeEventHeader: { ...good.ChangeEventHeader, changeType: 'UPDATE', ...patch } } });

  it.each([
    ['no header', message({ json: { Name: 'x' } })],
    ['empty recordIds', withHeader({ recordIds: [] })],
    ['a numeric record id', withHeader({ recordIds: [1] })],
    ['a lower-case changeType', withHeader({ changeType: 'update' })],
    ['no transactionKey', withHeader({ transactionKey: undefined })],
    ['a negative sequenceNumber', withHeader({ sequenceNumber: -1 })],
    ['an ISO commitTimestamp-less header', withHeader({ commitTimestamp: 'yesterday' })],
    ['an entity name with a slash', withHeader({ entityName: 'Acc/ount' })],
    ['changedFields as a string', withHeader({ changedFields: 'Name' })],
    ['a JSON array', message({ json: [] })],
  ])('refuses %s as INVALID_EVENT', (_what, input) => {
    expectFailure(() => decoder.decode(input), 'INVALID_EVENT');
  });

  it('refuses empty, non-JSON and Avro-typed messages', () => {
    expectFailure(() => decoder.decode(message()), 'EMPTY_MESSAGE');
    expectFailure(() => decoder.decode(message({ value: Buffer.from('{"a"') })), 'MALFORMED_PAYLOAD');
    expectFailure(() => decoder.decode(message({ value: Buffer.from([0, 0, 0, 0, 1]), contentType: 'application/avro' })), 'UNSUPPORTED_CONTENT_TYPE');
  });

  it('does not let a __proto__ field reach the prototype', () => {
    const text = salesforceFixture('cdc-pubsub-merged-update.json').toString().replace('"Name": null', '"__proto__": {"polluted": true}');
    const event = decoder.decode(message({ value: Buffer.from(text) }));
    expect(Object.getPrototypeOf(event.data)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
