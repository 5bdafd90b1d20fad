import type { IncomingHttpHeaders } from 'node:http';
import { describe, expect, it } from 'vitest';
import { createOpenaiClient } from '../../../connectors/openai/client.ts';
import { closedPortUrl, failure, live, useModelServer, withBody } from '../../support/http-test-kit.ts';
import { authGate } from '../auth-gate.ts';
import { openaiConfig, rawOpenaiServer } from './helpers.ts';

const server = useModelServer();

const url = () => `${server.url}/v1`;
const client = (overrides: Record<string, unknown> = {}) => createOpenaiClient(openaiConfig(url(), overrides));

const TICKET = {
  name: 'ticket',
  schema: {
    type: 'object',
    properties: { category: { type: 'string', enum: ['billing', 'delivery', 'quality', 'other'] }, summary: { type: 'string' }, urgent: { type: 'boolean' } },
    required: ['category', 'summary', 'urgent'],
    additionalProperties: false,
  },
};

describe('openai client against the reference server', () => {
  it('chats: content, finish_reason, model name and usage', async () => {
    const response = await client({ system: 'Summarise.' }).infer({ id: 'e1', inputs: { user: 'The parcel never arrived. I am waiting since May.' } }, live());
    expect(response).toEqual({
      modelName: 'text-generator',
      modelVersion: undefined,
      outputs: { content: 'The parcel never arrived. I am waiting since May.', finish_reason: 'stop' },
      // "Summarise." is 2 tokens, the user text 11 (words and punctuation); the answer repeats those 11.
      usage: { promptTokens: 13, completionTokens: 11 },
    });
  });

  it('returns structured output parsed and validated as output json', async () => {
    const response = await client({ responseFormat: TICKET }).infer({ id: 'e1', inputs: { user: 'I was charged twice on my invoice, urgent!' } }, live());
    expect(response.outputs.json).toEqual({ category: 'billing', summary: 'I was charged twice on my invoice, urgent!', urgent: true });
    expect(JSON.parse(response.outputs.content as string)).toEqual(response.outputs.json);
  });

  it('fails structured output cut at max_tokens as a retryable INFERENCE_BAD_RESPONSE', async () => {
    const error = await failure(client({ responseFormat: TICKET, maxTokens: 4 }).infer({ id: 'e1', inputs: { user: 'Charged twice.' } }, live()));
    expect(error).toMatchObject({ code: 'INFERENCE_BAD_RESPONSE', retryable: true });
    expect(error.message).toMatch(/not JSON.*finish_reason length/);
  });

  it('fails structured output that breaks the schema as a retryable INFERENCE_BAD_RESPONSE', async () => {
    const answer = JSON.stringify({ model: 'm', choices: [{ message: { content: '{"category":"weather","summary":"x","urgent":true}' }, finish_reason: 'stop' }] });
    const rawUrl = await rawOpenaiServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(answer));
    const error = await failure(createOpenaiClient(openaiConfig(rawUrl, { responseFormat: TICKET })).infer({ id: 'e1', inputs: { user: 'x' } }, live()));
    expect(error).toMatchObject({ code: 'INFERENCE_BAD_RESPONSE', retryable: true, upstreamStatus: 200 });
    expect(error.message).toContain('category');
  });

  it('sends objects as JSON text and a system input over the configured one', async () => {
    let body: { messages?: unknown } = {};
    const rawUrl = await rawOpenaiServer(
      withBody((_req, res, text) => {
        body = JSON.parse(text) as typeof body;
        res.writeHead(200).end(JSON.stringify({ model: 'm', choices: [{ message: { content: 'ok' } }] }));
      }),
    );
    await createOpenaiClient(openaiConfig(rawUrl, { system: 'configured' })).infer({ id: 'e', inputs: { user: { a: 1 }, system: 'per event' } }, live());
    expect(body.messages).toEqual([{ role: 'system', content: 'per event' }, { role: 'user', content: '{"a":1}' }]);
  });

  it('completes a prompt into output text', async () => {
    const response = await client({ endpoint: 'completions' }).infer({ id: 'e1', inputs: { prompt: 'Order 42 shipped. More later.' } }, live());
    expect(response.outputs).toEqual({ text: 'Order 42 shipped. More later.', finish_reason: 'stop' });
    expect(response.usage).toEqual({ promptTokens: 7, completionTokens: 7 });
  });

  it('embeds a string into embedding and an array into embeddings', async () => {
    const embedder = client({ endpoint: 'embeddings', model: 'text-embedder' });
    const one = await embedder.infer({ id: 'e1', inputs: { input: 'late delivery' } }, live());
    expect(one.outputs.embedding).toHaveLength(64);
    expect(one.usage).toEqual({ promptTokens: 2, completionTokens: 0 });
    const many = await embedder.infer({ id: 'e2', inputs: { input: ['late delivery', 'invoice'] } }, live());
    const vectors = many.outputs.embeddings as number[][];
    expect(vectors).toHaveLength(2);
    expect(vectors[0]).toEqual(one.outputs.embedding);
  });

  it('fails a missing input as MAPPING_FAILED without calling', async () => {
    const error = await failure(client().infer({ id: 'e1', inputs: { text: 'wrong name' } }, live()));
    expect(error).toMatchObject({ code: 'MAPPING_FAILED', retryable: false });
    expect(server.stats.model('text-generator').requests).toBe(0);
  });

  it('sends the API key, custom headers, traceparent and the event id as x-request-id', async () => {
    let seen: IncomingHttpHeaders = {};
    const rawUrl = await rawOpenaiServer((req, res) => {
      seen = req.headers;
      req.resume().on('end', () => res.writeHead(200).end(JSON.stringify({ model: 'm', choices: [{ message: { content: 'ok' } }] })));
    });
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    await createOpenaiClient(openaiConfig(rawUrl, { apiKey: 'sk-test', headers: { 'X-Tenant': 't1' } })).infer(
      { id: 'evt-7', inputs: { user: 'x' } },
      { ...live(), traceparent },
    );
    expect(seen).toMatchObject({ authorization: 'Bearer sk-test', 'x-tenant': 't1', traceparent, 'x-request-id': 'evt-7', 'content-type': 'application/json' });
  });

});

describe('openai client readiness', () => {
  const signal = () => AbortSignal.timeout(5_000);

  it('is ready when the model is listed, and not when it is not', async () => {
    expect(await client().ready(signal())).toBe(true);
    expect(await client({ model: 'gpt-9' }).ready(signal())).toBe(false);
    server.faults.set('text-generator', { notReady: true });
    expect(await client().ready(signal())).toBe(false);
  });

  it('is not ready, without throwing, when refused, erroring or answering garbage', async () => {
    expect(await createOpenaiClient(openaiConfig(await closedPortUrl('/v1'))).ready(signal())).toBe(false);
    const garbage = await rawOpenaiServer((_req, res) => res.writeHead(200).end('<html>'));
    expect(await createOpenaiClient(openaiConfig(garbage)).ready(signal())).toBe(false);
    const unauthorized = await rawOpenaiServer((_req, res) => res.writeHead(401).end('{"error":{"message":"bad key"}}'));
    expect(await createOpenaiClient(openaiConfig(unauthorized)).ready(signal())).toBe(false);
  });
});

describe('openai client: refused credentials are an outage, not a poison message', () => {
  const gated = async (apiKey: string | undefined) => {
    const url = await rawOpenaiServer(
      authGate((req, res) => {
        req.resume();
        const body = req.method === 'GET' ? { object: 'list', data: [{ id: 'text-generator', object: 'model' }] } : { model: 'text-generator', choices: [{ message: { content: 'ok' } }] };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      }),
    );
    return createOpenaiClient(openaiConfig(url, apiKey === undefined ? {} : { apiKey }));
  };

  it.each([
    ['no API key', undefined, 401],
    ['a key without the permission', 'other-key', 403],
  ] as const)('%s: infer → INFERENCE_UNAUTHORIZED (retryable) and ready() is false', async (_, apiKey, status) => {
    const c = await gated(apiKey);
    expect(await failure(c.infer({ id: 'e', inputs: { user: 'x' } }, live()))).toMatchObject({ code: 'INFERENCE_UNAUTHORIZED', retryable: true, upstreamStatus: status });
    expect(await c.ready(AbortSignal.timeout(5_000))).toBe(false);
  });

  it('with the accepted key, ready() is true and infer answers', async () => {
    const c = await gated('good-key');
    expect(await c.ready(AbortSignal.timeout(5_000))).toBe(true);
    expect((await c.infer({ id: 'e', inputs: { user: 'x' } }, live())).outputs).toMatchObject({ content: 'ok' });
  });
});
