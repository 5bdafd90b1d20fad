import { describe } from 'vitest';
import { createJsonDecoder } from '../../../connectors/json/decoder.ts';
import { fuzzDecoder } from './fuzz-support.ts';

const seeds = [
  { value: Buffer.from(JSON.stringify({ id: 'o-1', order: { id: 42, items: [{ sku: 'A', qty: 2 }] }, text: 'great service' })) },
  { value: Buffer.from(JSON.stringify({ customer: 'c-9', note: 'no id here' })), contentType: 'application/json' },
];

describe('fuzz: json decoder', () => {
  fuzzDecoder({ decoder: createJsonDecoder({ format: 'json', type: 'com.example.order', keyPath: 'order.id' }), seeds, syntax: 'json' });
});

describe('fuzz: json decoder without paths', () => {
  fuzzDecoder({ decoder: createJsonDecoder({ format: 'json', type: 'com.example.order' }), seeds, syntax: 'json' });
});
