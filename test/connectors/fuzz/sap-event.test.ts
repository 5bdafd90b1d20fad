import { describe } from 'vitest';
import { createSapEventDecoder } from '../../../connectors/sap/event-decoder.ts';
import { S4_FIXTURES, sapFixture } from '../../fixtures/sap/fixtures.ts';
import { fuzzDecoder } from './fuzz-support.ts';

describe('fuzz: sap-event decoder', () => {
  fuzzDecoder({
    decoder: createSapEventDecoder({ format: 'sap-event', type: 'unused' }),
    syntax: 'json',
    seeds: [
      ...S4_FIXTURES.map((name) => ({ value: sapFixture(name) })),
      { value: sapFixture('salesorder-created-rap.json'), contentType: 'application/cloudevents+json' },
      { value: Buffer.from('{"SalesOrder":"4800"}'), headers: { ce_specversion: '1.0', ce_id: 'x', ce_source: '/default/sap.s4.beh/S4HCLNT100', ce_type: 'sap.s4.beh.salesorder.v1.SalesOrder.Changed.v1' } },
    ],
  });
});
