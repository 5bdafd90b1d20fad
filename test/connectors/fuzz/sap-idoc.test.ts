import { describe } from 'vitest';
import { createIdocDecoder } from '../../../connectors/sap/idoc-decoder.ts';
import { IDOC_FIXTURES, sapFixture } from '../../fixtures/sap/fixtures.ts';
import { fuzzDecoder } from './fuzz-support.ts';

describe('fuzz: sap-idoc decoder', () => {
  fuzzDecoder({
    decoder: createIdocDecoder({ format: 'sap-idoc', type: 'unused', idoc: { maxDepth: 12, maxElements: 2000, typedFields: { MENGE: 'number', DATUM: 'date', UZEIT: 'time', UMSAV: 'number' } } }, { maxElements: 2000 }),
    syntax: 'xml',
    seeds: [...IDOC_FIXTURES.map((name) => ({ value: sapFixture(name) })), { value: sapFixture('orders05.xml'), contentType: 'application/xml' }],
  });
});
