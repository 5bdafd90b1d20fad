import { describe, expect, it } from 'vitest';
import { findModelbridgeError } from '../../../schemas/errors.ts';
import { createOpenaiClient } from '../../../connectors/openai/client.ts';
import { createStructuredOutput } from '../../../connectors/openai/structured-output.ts';
import { openaiConfig } from './helpers.ts';

const format = {
  name: 'order',
  strict: true,
  schema: {
    type: 'object',
    properties: {
      priority: { type: 'string', enum: ['low', 'high'] },
      score: { type: 'number', minimum: 0, maximum: 1 },
      items: { type: 'integer' },
      gift: { type: 'boolean' },
      tags: { type: 'array', items: { type: 'string' } },
    },
    required: ['priority', 'score'],
    additionalProperties: false,
  },
};

const errorOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return findModelbridgeError(error);
  }
  throw new Error('expected a throw');
};

describe('structured output', () => {
  const output = createStructuredOutput(format);

  it('builds the json_schema response_format', () => {
    expect(output.responseFormat).toEqual({ type: 'json_schema', json_schema: { name: 'order', schema: format.schema, strict: true } });
  });

  it('parses a valid answer', () => {
    expect(output.parse('openai m', '{"priority":"high","score":0.5,"tags":["a"]}', 'stop')).toEqual({ priority: 'high', score: 0.5, tags: ['a'] });
  });

  it.each([
    ['not JSON', '{"priority":', /is not JSON/],
    ['wrong enum value', '{"priority":"urgent","score":0.5}', /priority: /],
    ['out of range', '{"priority":"low","score":2}', /score: /],
    ['not an integer', '{"priority":"low","score":0,"items":1.5}', /items: /],
    ['missing required', '{"score":0}', /priority: /],
    ['extra property', '{"priority":"low","score":0,"colour":"red"}', /colour/],
    ['wrong array item', '{"priority":"low","score":0,"tags":[1]}', /tags\.0: /],
    ['not an object', '"high"', /\(root\): /],
  ])('rejects %s as a retryable INFERENCE_BAD_RESPONSE', (_name, content, message) => {
    const error = errorOf(() => output.parse('openai m', content, 'stop'));
    expect(error).toMatchObject({ code: 'INFERENCE_BAD_RESPONSE', retryable: true });
    expect(error?.message).toMatch(message);
  });

  it('names a cut answer as such', () => {
    expect(errorOf(() => output.parse('openai m', '{"priority":"hi', 'length'))?.message).toMatch(/finish_reason length/);
  });

  it('refuses, at client creation, a schema the validator cannot read', () => {
    const config = openaiConfig('http://127.0.0.1:1/v1', { responseFormat: { name: 'x', schema: { type: 'object', properties: { a: { $ref: '#/$defs/missing' } } } } });
    expect(errorOf(() => createOpenaiClient(config))).toMatchObject({ code: 'CONFIG_INVALID' });
  });
});
