import { describe } from 'vitest';
import { createSalesforcePlatformEventDecoder } from '../../../connectors/salesforce/platform-event-decoder.ts';
import { PLATFORM_EVENT_FIXTURES, salesforceFixture } from '../../fixtures/salesforce/fixtures.ts';
import { fuzzDecoder } from './fuzz-support.ts';

describe('fuzz: salesforce-platform-event decoder', () => {
  fuzzDecoder({
    decoder: createSalesforcePlatformEventDecoder({ format: 'salesforce-platform-event', type: 'unused' }),
    syntax: 'json',
    seeds: PLATFORM_EVENT_FIXTURES.map((name) => ({ value: salesforceFixture(name) })),
  });
});
