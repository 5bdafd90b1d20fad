/** Acceptance: the official `openai` npm client, as a real third-party client, against the reference server. */
import type { APIError } from 'openai';
import OpenAI, { NotFoundError, RateLimitError } from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createModelServer } from '../../../services/model-server/server.ts';
import type { ModelServer } from '../../../services/model-server/server.ts';

let server: ModelServer;
let openai: OpenAI;

beforeAll(async () => {
  server = createModelServer();
  await server.start();
  // maxRetries 0: every call in this file must reach the server exactly once.
  openai = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'test', maxRetries: 0 });
});
afterAll(() => server.close());
afterEach(() => {
  server.faults.clear();
  server.stats.reset();
});

const complaint = 'My parcel was delivered to the wrong address and nobody answers. Please call me urgently.';

describe('official openai client against the reference server', () => {
  it('parses chat structured output from a hand-written json_schema', async () => {
    const completion = await openai.chat.completions.parse({
      model: 'text-generator',
      messages: [
        { role: 'system', content: 'Classify the support ticket.' },
        { role: 'user', content: complaint },
      ],
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'ticket',
          strict: true,
          schema: {
            type: 'object',
            properties: {
              category: { type: 'string', enum: ['billing', 'delivery', 'quality', 'other'] },
              summary: { type: 'string' },
              urgent: { type: 'boolean' },
            },
            required: ['category', 'summary', 'urgent'],
            additionalProperties: false,
          },
        },
      },
    });
    expect(completion.choices[0]!.message.parsed).toEqual({
      category: 'delivery',
      summary: 'My parcel was delivered to the wrong address and nobody answers.',
      urgent: true,
    });
    expect(completion.usage).toMatchObject({ prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number) });
    expect(completion.usage!.total_tokens).toBe(completion.usage!.prompt_tokens + completion.usage!.completion_tokens);
  });

  it('parses structured output described with zod through zodResponseFormat', async () => {
    const Ticket = z.object({ category: z.enum(['billing', 'delivery', 'quality', 'other']), sentiment: z.number().min(0).max(1), refund: z.boolean() });
    const completion = await openai.chat.completions.parse({
      model: 'text-generator',
      messages: [{ role: 'user', content: 'I was charged twice on my invoice. I want a refund, this is unacceptable.' }],
      response_format: zodResponseFormat(Ticket, 'ticket'),
    });
    const parsed = completion.choices[0]!.message.parsed!;
    expect(parsed).toMatchObject({ category: 'billing', refund: true });
    expect(parsed.sentiment).toBeLessThan(0.5);
  });

  it('creates embeddings (the client asks for base64 and decodes it)', async () => {
    const response = await openai.embeddings.create({ model: 'text-embedder', input: ['late delivery', 'wrong invoice'] });
    expect(response.data).toHaveLength(2);
    const [a, b] = response.data.map((d) => Array.from(d.embedding));
    expect(a).toHaveLength(64);
    expect(Math.hypot(...a!)).toBeCloseTo(1, 5);
    expect(a).not.toEqual(b);
    expect(response.usage).toEqual({ prompt_tokens: 4, total_tokens: 4 });
  });

  it('lists the models', async () => {
    const ids: string[] = [];
    for await (const model of openai.models.list()) ids.push(model.id);
    expect(ids).toEqual(['text-generator', 'text-embedder']);
  });

  it('raises NotFoundError for an unknown model, with the nested error fields', async () => {
    const error = await openai.chat.completions.create({ model: 'gpt-9', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toMatchObject({ status: 404, type: 'NotFoundError', param: 'model' });
  });

  it('raises RateLimitError for an injected 429 and exposes Retry-After', async () => {
    server.faults.set('text-generator', { failNext: 1, errorStatus: 429, retryAfterSeconds: 7 });
    const error = await openai.completions.create({ model: 'text-generator', prompt: 'hi' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitError);
    expect((error as APIError).headers?.get('retry-after')).toBe('7');
    expect(server.stats.model('text-generator').byStatus).toEqual({ '429': 1 });
  });
});
