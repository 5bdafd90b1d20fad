import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createModelServer } from '../../../services/model-server/server.ts';
import type { ModelServer } from '../../../services/model-server/server.ts';
import { waitFor } from '../../support/wait-for.ts';

/** zod's converter, as the client uses it, to check answers independently of the server. */
const validator = (schema: object): z.ZodType => z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]);

let server: ModelServer;

beforeAll(async () => {
  server = createModelServer();
  await server.start();
});
afterAll(() => server.close());
afterEach(() => {
  server.faults.clear();
  server.stats.reset();
});

async function post(path: string, body: unknown, signal?: AbortSignal): Promise<{ status: number; headers: Headers; json: Record<string, unknown> }> {
  const response = await fetch(`${server.url}/v1${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal,
  });
  return { status: response.status, headers: response.headers, json: (await response.json()) as Record<string, unknown> };
}

const chat = (content: string, extra: Record<string, unknown> = {}) =>
  post('/chat/completions', { model: 'text-generator', messages: [{ role: 'system', content: 'Classify.' }, { role: 'user', content }], ...extra });

const TICKET_SCHEMA = {
  type: 'object',
  properties: {
    category: { type: 'string', enum: ['billing', 'delivery', 'quality', 'other'] },
    summary: { type: 'string', maxLength: 120 },
    sentiment: { type: 'number', minimum: 0, maximum: 1 },
    urgent: { type: 'boolean' },
  },
  required: ['category', 'summary', 'sentiment', 'urgent'],
  additionalProperties: false,
};

describe('OpenAI subset: chat completions', () => {
  it('answers with an extractive summary of the user text and counts tokens', async () => {
    const { status, json } = await chat('The parcel arrived two weeks late. The box was open. I want to know why.');
    expect(status).toBe(200);
    expect(json).toMatchObject({
      object: 'chat.completion',
      model: 'text-generator',
      choices: [{ index: 0, message: { role: 'assistant', content: 'The parcel arrived two weeks late. The box was open.' }, finish_reason: 'stop' }],
      // "Classify." = 2 tokens; the user text = 18; the answer = 12.
      usage: { prompt_tokens: 20, completion_tokens: 12, total_tokens: 32 },
    });
    expect(json.id).toMatch(/^chatcmpl-/);
  });

  it('cuts the answer at max_tokens and says so', async () => {
    const { json } = await chat('The parcel arrived two weeks late and the box was open.', { max_tokens: 3 });
    expect(json).toMatchObject({ choices: [{ message: { content: 'The parcel arrived' }, finish_reason: 'length' }], usage: { completion_tokens: 3 } });
  });

  it.each([
    ['I was charged twice on my invoice, please fix it immediately!', 'billing', true],
    ['The courier delivered the package to the wrong address.', 'delivery', false],
    ['The blender arrived broken and the lid is defective.', 'quality', false],
    ['Can I change my account name?', 'other', false],
  ])('fills a json_schema from the text: %s', async (text, category, urgent) => {
    const { json } = await chat(text, { response_format: { type: 'json_schema', json_schema: { name: 'ticket', schema: TICKET_SCHEMA, strict: true } } });
    const content = (json.choices as { message: { content: string } }[])[0]!.message.content;
    const answer = validator(TICKET_SCHEMA).parse(JSON.parse(content));
    expect(answer).toMatchObject({ category, urgent });
  });

  it('maps the lexicon sentiment into [0, 1]', async () => {
    const format = { type: 'json_schema', json_schema: { name: 't', schema: TICKET_SCHEMA } };
    const happy = await chat('Great service, thank you, I love it.', { response_format: format });
    const angry = await chat('Terrible service, the worst, I hate it.', { response_format: format });
    const score = (r: typeof happy) => (JSON.parse((r.json.choices as { message: { content: string } }[])[0]!.message.content) as { sentiment: number }).sentiment;
    expect(score(happy)).toBeGreaterThan(0.5);
    expect(score(angry)).toBeLessThan(0.5);
  });

  it('truncates structured output at max_tokens into invalid JSON, like a real model', async () => {
    const { json } = await chat('I was charged twice.', { max_tokens: 5, response_format: { type: 'json_schema', json_schema: { name: 't', schema: TICKET_SCHEMA } } });
    const choice = (json.choices as { message: { content: string }; finish_reason: string }[])[0]!;
    expect(choice.finish_reason).toBe('length');
    expect(() => JSON.parse(choice.message.content) as unknown).toThrow(SyntaxError);
  });

  it('accepts content as an array of text parts and json_object', async () => {
    const { status, json } = await post('/chat/completions', {
      model: 'text-generator',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Nice and quick delivery.' }] }],
      response_format: { type: 'json_object' },
    });
    expect(status).toBe(200);
    const content = (json.choices as { message: { content: string } }[])[0]!.message.content;
    expect(JSON.parse(content)).toMatchObject({ summary: 'Nice and quick delivery.', sentiment: 'positive' });
  });
});

describe('OpenAI subset: completions, embeddings, models', () => {
  it('completes one choice per prompt', async () => {
    const { json } = await post('/completions', { model: 'text-generator', prompt: ['First one. Second.', 'Other text here'] });
    expect(json).toMatchObject({
      object: 'text_completion',
      choices: [{ index: 0, text: 'First one. Second.' }, { index: 1, text: 'Other text here' }],
      usage: { prompt_tokens: 8, completion_tokens: 8 },
    });
  });

  it('embeds into normalised, deterministic 64-dimensional vectors, as floats or base64', async () => {
    const floats = await post('/embeddings', { model: 'text-embedder', input: ['late delivery', 'late delivery'] });
    const data = floats.json.data as { index: number; embedding: number[] }[];
    expect(data.map((d) => d.index)).toEqual([0, 1]);
    expect(data[0]!.embedding).toHaveLength(64);
    expect(data[0]!.embedding).toEqual(data[1]!.embedding);
    expect(Math.hypot(...data[0]!.embedding)).toBeCloseTo(1, 6);
    expect(floats.json.usage).toEqual({ prompt_tokens: 4, total_tokens: 4 });

    const base64 = await post('/embeddings', { model: 'text-embedder', input: 'late delivery', encoding_format: 'base64' });
    const bytes = Buffer.from((base64.json.data as { embedding: string }[])[0]!.embedding, 'base64');
    const decoded = Array.from({ length: 64 }, (_, i) => bytes.readFloatLE(i * 4));
    decoded.forEach((v, i) => expect(v).toBeCloseTo(data[0]!.embedding[i]!, 6));
  });

  it('lists the models, and only the ready ones', async () => {
    const list = async () => ((await (await fetch(`${server.url}/v1/models`)).json()) as { data: { id: string }[] }).data.map((m) => m.id);
    expect(await list()).toEqual(['text-generator', 'text-embedder']);
    server.faults.set('text-generator', { notReady: true });
    expect(await list()).toEqual(['text-embedder']);
    const one = await fetch(`${server.url}/v1/models/text-embedder`);
    expect(await one.json()).toMatchObject({ id: 'text-embedder', object: 'model' });
  });
});

describe('OpenAI subset: errors and faults', () => {
  it.each([
    ['unknown model', '/chat/completions', { model: 'gpt-9', messages: [{ role: 'user', content: 'x' }] }, 404, 'NotFoundError', 'model'],
    ['no messages', '/chat/completions', { model: 'text-generator', messages: [] }, 400, 'BadRequestError', 'messages'],
    ['bad max_tokens', '/chat/completions', { model: 'text-generator', messages: [{ role: 'user', content: 'x' }], max_tokens: 0 }, 400, 'BadRequestError', 'max_tokens'],
    ['streaming', '/completions', { model: 'text-generator', prompt: 'x', stream: true }, 400, 'BadRequestError', 'stream'],
    ['wrong endpoint for the model', '/embeddings', { model: 'text-generator', input: 'x' }, 400, 'BadRequestError', 'model'],
    ['token arrays', '/embeddings', { model: 'text-embedder', input: [[1, 2]] }, 400, 'BadRequestError', 'input'],
    ['not JSON', '/chat/completions', '{nope', 400, 'BadRequestError', null],
  ])('%s → nested envelope', async (_name, path, body, status, type, param) => {
    const response = await post(path, body);
    expect(response.status).toBe(status);
    expect(response.json).toEqual({ error: { message: expect.any(String), type, param, code: status } });
  });

  it('answers unknown paths and methods with the nested envelope', async () => {
    const missing = await fetch(`${server.url}/v1/responses`, { method: 'POST' });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { type: 'NotFoundError', code: 404 } });
    const get = await fetch(`${server.url}/v1/chat/completions`);
    expect(get.status).toBe(405);
  });

  it('injects errors with Retry-After for the model named in the body, and counts them', async () => {
    server.faults.set('text-generator', { failNext: 1, errorStatus: 429, retryAfterSeconds: 3 });
    const limited = await chat('hello');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('3');
    expect(limited.json).toMatchObject({ error: { type: 'RateLimitError', code: 429 } });
    expect((await chat('hello')).status).toBe(200);
    expect(server.stats.model('text-generator')).toMatchObject({ requests: 2, byStatus: { '429': 1, '200': 1 } });
    expect(server.stats.model('text-embedder').requests).toBe(0);
  });

  it('rejects inputs holding the reject marker, with the configured status', async () => {
    server.faults.set('text-embedder', { rejectMarker: 'POISON', rejectStatus: 422 });
    expect((await post('/embeddings', { model: 'text-embedder', input: ['fine', 'has POISON'] })).status).toBe(422);
    expect((await post('/embeddings', { model: 'text-embedder', input: 'fine' })).status).toBe(200);
  });

  it('answers 503 with Retry-After while not ready', async () => {
    server.faults.set('text-generator', { notReadyForMs: 5_000 });
    const response = await chat('hello');
    expect(response.status).toBe(503);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('hangs until the client gives up, counting the call as aborted', async () => {
    server.faults.set('text-generator', { hang: true });
    const controller = new AbortController();
    const aborted = post('/chat/completions', { model: 'text-generator', messages: [{ role: 'user', content: 'x' }] }, controller.signal);
    await waitFor(() => server.stats.model('text-generator').inFlight === 1, { what: 'the call in flight' });
    controller.abort();
    await expect(aborted).rejects.toThrow();
    await waitFor(() => server.stats.model('text-generator').byStatus.aborted === 1, { what: 'the aborted call counted' });
    server.faults.clear();
  });
});
