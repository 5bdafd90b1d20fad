import { describe } from 'vitest';
import { createCloudEventsDecoder } from '../../../connectors/cloudevents/decoder.ts';
import { sapFixture } from '../../fixtures/sap/fixtures.ts';
import { fuzzDecoder } from './fuzz-support.ts';

const binaryHeaders = { ce_specversion: '1.0', ce_id: 'b-1', ce_source: '/fuzz', ce_type: 'com.example.fuzz', ce_time: '2024-03-01T10:15:00Z', 'content-type': 'application/json' };

describe('fuzz: cloudevents decoder', () => {
  fuzzDecoder({
    decoder: createCloudEventsDecoder({ format: 'cloudevents', type: 'unused' }),
    syntax: 'json',
    seeds: [
      { value: sapFixture('salesorder-created-rap.json'), contentType: 'application/cloudevents+json' },
      { value: sapFixture('vehicle-changed-sappassport.json'), contentType: 'application/cloudevents+json; charset=utf-8' },
      { value: Buffer.from(JSON.stringify({ text: 'hello', n: 1 })), headers: binaryHeaders },
    ],
  });
});
