import { describe, expect, it } from 'vitest';
import { createSalesforcePlatformEventDecoder } from '../../../connectors/salesforce/platform-event-decoder.ts';
import { canonicalEventSchema } from '../../../schemas/event.ts';
import { ConfigError } from '../../../schemas/config-error.ts';
import type { MessageOrigin } from '../../../connectors/types.ts';
import { PLATFORM_EVENT_FIXTURES, salesforceFixture, salesforceJson } from '../../fixtures/salesforce/fixtures.ts';
import { expectFailure, message } from '../json/message-fixtures.ts';

const decoder = createSalesforcePlatformEventDecoder({ format: 'salesforce-platform-event', type: 'unused' });
const ORDERS_TOPIC: MessageOrigin = { transport: 'kafka', topic: 'salesforce.Order_Shipped__e', partition: 0, offset: '1', timestamp: undefined };

describe('salesforce-platform-event decoder', () => {
  it.each(PLATFORM_EVENT_FIXTURES)('decodes %s to a valid canonical event', (name) => {
    const event = decoder.decode(message({ value: salesforceFixture(name), origin: ORDERS_TOPIC }));
    expect(canonicalEventSchema.safeParse(event).success).toBe(true);
  });

  it('maps CometD: EventUuid from data.event as id, channel name as type, CreatedDate as time, 18-char CreatedById', () => {
    const event = decoder.decode(message({ value: salesforceFixture('pe-cometd.json') }));
    expect(event).toMatchObject({
      id: '2ec0e371-1395-457f-9275-be1b527a72f7',
      type: 'com.salesforce.event.Low_Ink__e',
      source: '/salesforce/default/event/Low_Ink__e',
      time: '2023-04-09T18:31:40.517Z',
      replayid: '2112',
      data: { Printer_Model__c: 'XZO-5', Ink_Percentage__c: 0.2, EventUuid: '2ec0e371-1395-457f-9275-be1b527a72f7', ReplayId: '2112', CreatedById: '005D0000001cSZsIAM' },
    });
  });

  it('maps Connect output: _ObjectType as name, string ReplayId, epoch CreatedDate', () => {
    const event = decoder.decode(message({ value: salesforceFixture('pe-connect.json'), key: Buffer.from('k1') }));
    expect(event).toMatchObject({ id: 'a870010c-2fda-4057-b95d-e14db56a6af1', type: 'com.salesforce.event.MyPlatformEvent__e', time: '2022-02-08T18:43:29.665Z', replayid: '9004013', partitionkey: 'k1' });
    expect(event.data).toMatchObject({ ReplayId: '9004013', CreatedDate: '2022-02-08T18:43:29.665Z' });
    expect(event.data).not.toHaveProperty('_ObjectType');
  });

  it('names a Pub/Sub record after its topic, unwraps unions and keys by the obvious *Id__c field', () => {
    const event = decoder.decode(message({ value: salesforceFixture('pe-pubsub.json'), origin: ORDERS_TOPIC }));
    expect(event).toMatchObject({ type: 'com.salesforce.event.Order_Shipped__e', partitionkey: '8015f000001AbCdAAK', subject: '8015f000001AbCdAAK', data: { Status__c: 'Shipped', Amount__c: 129.5 } });
  });

  it('takes the key from decode.keyPath when configured', () => {
    const keyed = createSalesforcePlatformEventDecoder({ format: 'salesforce-platform-event', type: 'unused', keyPath: 'Serial_Number__c' });
    expect(keyed.decode(message({ value: salesforceFixture('pe-cometd.json') })).partitionkey).toBe('12345');
    expectFailure(() => keyed.decode(message({ value: salesforceFixture('pe-connect.json') })), 'INVALID_EVENT');
    expect(() => createSalesforcePlatformEventDecoder({ format: 'salesforce-platform-event', type: 'unused', keyPath: 'a[0' })).toThrow(ConfigError);
  });

  it('falls back to the replay id without EventUuid', () => {
    const json = salesforceJson('pe-connect.json');
    expect(decoder.decode(message({ json: { ...json, EventUuid: undefined } })).id).toBe('9004013');
  });

  it('without EventUuid or replay id, takes the transport position as id, the same on redelivery', () => {
    const delivery = (): ReturnType<typeof message> => message({ value: salesforceFixture('pe-pubsub.json'), origin: ORDERS_TOPIC });
    expect(decoder.decode(delivery()).id).toBe('salesforce.Order_Shipped__e:0:1');
    expect(decoder.decode(delivery()).id).toBe(decoder.decode(delivery()).id);
  });

  it.each([
    ['no event name anywhere', message({ value: salesforceFixture('pe-pubsub.json') })],
    ['a bad CreatedDate', message({ json: { ...salesforceJson('pe-connect.json'), CreatedDate: 'soon' } })],
    ['a CDC event', message({ value: salesforceFixture('cdc-connect-create.json') })],
    ['a non-__e object type', message({ json: { ...salesforceJson('pe-connect.json'), _ObjectType: 'Account' } })],
  ])('refuses %s as INVALID_EVENT', (_what, input) => {
    expectFailure(() => decoder.decode(input), 'INVALID_EVENT');
  });
});
