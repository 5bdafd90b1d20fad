import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { scoreSentiment } from '../../../services/model-server/models/sentiment.ts';
import { embed, EMBEDDING_DIMENSIONS } from '../../../services/model-server/models/text-embedding.ts';
import { fillSchema } from '../../../services/model-server/models/text-schema-fill.ts';
import type { FillContext } from '../../../services/model-server/models/text-schema-fill.ts';
import { summarize } from '../../../services/model-server/models/text-summary.ts';
import { countTokens, tokenize, words } from '../../../services/model-server/models/text-tokenizer.ts';

/** zod's converter, as the client uses it, to check answers independently of the server. */
const validator = (schema: object): z.ZodType => z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]);

function context(text: string): FillContext {
  return { words: words(text), summary: summarize(text).text, sentiment: scoreSentiment(text) };
}

const cosine = (a: number[], b: number[]) => a.reduce((sum, v, i) => sum + v * b[i]!, 0);

describe('text tokenizer and summary', () => {
  it('splits words and punctuation, keeping contractions and hyphenated words', () => {
    expect(tokenize("Don't ship the on-time order, please!")).toEqual(["Don't", 'ship', 'the', 'on-time', 'order', ',', 'please', '!']);
    expect(countTokens("Don't ship the on-time order, please!")).toBe(8);
    expect(countTokens('   ')).toBe(0);
  });

  it('takes the first sentence, and the second when the first is short', () => {
    expect(summarize('Late. The parcel came a week after the promised date. Nobody called.').text).toBe(
      'Late. The parcel came a week after the promised date.',
    );
    expect(summarize('One long first sentence that clearly holds more than twelve tokens in total. Second.').text).toBe(
      'One long first sentence that clearly holds more than twelve tokens in total.',
    );
    expect(summarize('no punctuation at all')).toEqual({ text: 'no punctuation at all', truncated: false });
  });
});

describe('schema filling', () => {
  const schema = {
    type: 'object',
    properties: {
      category: { type: 'string', enum: ['billing', 'delivery', 'quality', 'other'] },
      priority: { enum: ['low', 'medium', 'high'] },
      tone: { type: 'string', enum: ['positive', 'negative', 'neutral'] },
      title: { type: 'string', maxLength: 30 },
      score: { type: 'number', minimum: 0, maximum: 1 },
      polarity: { type: 'number', minimum: -1, maximum: 1 },
      confidence: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
      word_count: { type: 'integer', minimum: 0 },
      refund_requested: { type: 'boolean' },
      isUrgent: { type: 'boolean' },
      tags: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 2 },
      topics: { type: 'array', items: { enum: ['billing', 'delivery', 'quality'] }, minItems: 1 },
      customer: { type: 'object', properties: { language: { type: 'string' }, note: { type: ['string', 'null'] } }, required: ['language'] },
      version: { const: 2 },
    },
    required: ['category', 'priority', 'tone', 'title', 'score', 'refund_requested', 'isUrgent', 'tags', 'topics', 'customer', 'version'],
    additionalProperties: false,
  };
  const validate = validator(schema);

  it('answers a value the schema accepts, chosen from the text', () => {
    const text = 'The parcel was delivered late and the invoice charged me twice. I want a refund immediately, this is terrible!';
    const value = validate.parse(fillSchema(schema, context(text)));
    expect(value).toMatchObject({
      priority: 'high',
      tone: 'negative',
      refund_requested: true,
      isUrgent: true,
      version: 2,
      customer: { language: 'en' },
    });
    expect(['billing', 'delivery']).toContain((value as { category: string }).category);
    expect((value as { topics: string[] }).topics).toEqual(expect.arrayContaining(['billing', 'delivery']));
    expect((value as { score: number }).score).toBeLessThan(0.5);
    expect((value as { polarity: number }).polarity).toBeLessThan(0);
    expect((value as { word_count: number }).word_count).toBe(19);
  });

  it('falls back to other-like options and false when nothing matches', () => {
    const value = validate.parse(fillSchema(schema, context('Where can I see my profile?')));
    expect(value).toMatchObject({ category: 'other', tone: 'neutral', refund_requested: false, isUrgent: false });
    expect((value as { topics: string[] }).topics).toHaveLength(1);
  });

  it('fills nested arrays of objects and anyOf branches', () => {
    const nested = {
      type: 'object',
      properties: {
        items: { type: 'array', items: { type: 'object', properties: { summary: { type: 'string' } }, required: ['summary'] }, minItems: 2 },
        either: { anyOf: [{ type: 'null' }, { type: 'integer', minimum: 3 }] },
      },
      required: ['items', 'either'],
    };
    const value = validator(nested).parse(fillSchema(nested, context('Good. Fast.')));
    expect(value).toEqual({ items: [{ summary: 'Good. Fast.' }, { summary: 'Good. Fast.' }], either: 3 });
  });
});

describe('hashed bag-of-words embeddings', () => {
  it('are deterministic, unit length, and closer for texts sharing words', () => {
    const a = embed('the delivery was late');
    expect(a).toHaveLength(EMBEDDING_DIMENSIONS);
    expect(embed('the delivery was late')).toEqual(a);
    expect(Math.hypot(...a)).toBeCloseTo(1, 10);
    const near = embed('late delivery again');
    const far = embed('invoice payment question');
    expect(cosine(a, near)).toBeGreaterThan(cosine(a, far));
  });

  it('are all zeros for a text without words', () => {
    expect(embed('!!! ...')).toEqual(new Array(EMBEDDING_DIMENSIONS).fill(0));
  });
});
