import { describe } from 'vitest';
import { createSalesforceCdcDecoder } from '../../../connectors/salesforce/cdc-decoder.ts';
import { CDC_FIXTURES, GAP_FIXTURES, salesforceFixture } from '../../fixtures/salesforce/fixtures.ts';
import { fuzzDecoder } from './fuzz-support.ts';

const seeds = [...CDC_FIXTURES, ...GAP_FIXTURES].map((name) => ({ value: salesforceFixture(name) }));

describe('fuzz: salesforce-cdc decoder (dead-letter gaps)', () => {
  fuzzDecoder({ decoder: createSalesforceCdcDecoder({ format: 'salesforce-cdc', type: 'unused' }), syntax: 'json', seeds });
});

describe('fuzz: salesforce-cdc decoder (pass-through gaps)', () => {
  const config = { format: 'salesforce-cdc', type: 'unused', salesforce: { gapEvents: 'pass-through', overflowEvents: 'pass-through' } } as const;
  fuzzDecoder({ decoder: createSalesforceCdcDecoder(config, { org: '00D000000000001' }), syntax: 'json', seeds });
});
