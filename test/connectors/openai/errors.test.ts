import type { RequestListener } from 'node:http';
import { describe, expect, it } from 'vitest';
import { createOpenaiClient } from '../../../connectors/openai/client.ts';
import type { FaultSpecInput } from '../../../services/model-server/faults.ts';
import { closedPortUrl, failure, live, useModelServer } from '../../support/http-test-kit.ts';
import { waitFor } from '../../support/wait-for.ts';
import { openaiConfig, rawOpenaiServer } from './helpers.ts';

const server = useModelServer();

const ask = { id: 'evt-1', inputs: { user: 'Where is my order? POISON' } };

describe('openai client: reference server failures', () => {
  it.each<[string, FaultSpecInput | undefined, string, Record<string, unknown>]>([
    ['400 (reject marker)', { rejectMarker: 'POISON' }, 'text-generator', { code: 'INFERENCE_REJECTED', retryable: false, upstreamStatus: 400 }],
    ['422 (reject marker)', { rejectMarker: 'POISON', rejectStatus: 422 }, 'text-generator', { code: 'INFERENCE_REJECTED', retryable: false, upstreamStatus: 422 }],
    ['404 (unknown model)', undefined, 'gpt-9', { code: 'MODEL_NOT_FOUND', retryable: false, upstreamStatus: 404 }],
    ['429 with Retry-After', { failNext: 1, errorStatus: 429, retryAfterSeconds: 2 }, 'text-generator', { code: 'INFERENCE_RATE_LIMITED', retryable: true, retryAfterMs: 2000 }],
    ['500', { failNext: 1, errorStatus: 500 }, 'text-generator', { code: 'INFERENCE_FAILED', retryable: true, upstreamStatus: 500 }],
    ['503 with Retry-After', { failNext: 1, errorStatus: 503, retryAfterSeconds: 1 }, 'text-generator', { code: 'INFERENCE_UNAVAILABLE', retryable: true, retryAfterMs: 1000 }],
    ['503 (not ready)', { notReady: true }, 'text-generator', { code: 'INFERENCE_UNAVAILABLE', retryable: true, upstreamStatus: 503 }],
  ])('%s', async (_name, fault, model, expected) => {
    if (fault) server.faults.set('text-generator', fault);
    const error = await failure(createOpenaiClient(openaiConfig(`${server.url}/v1`, { model })).infer(ask, live()));
    expect(error).toMatchObject({ stage: 'infer', ...expected });
  });

  it('times out a hanging call when the signal aborts with TimeoutError', async () => {
    server.faults.set('text-generator', { hang: true });
    const error = await failure(createOpenaiClient(openaiConfig(`${server.url}/v1`)).infer(ask, { signal: AbortSignal.timeout(50) }));
    expect(error).toMatchObject({ code: 'INFERENCE_TIMEOUT', retryable: true });
    // The server sees the connection go; waiting for it keeps the counters of the next test clean.
    await waitFor(() => server.stats.model('text-generator').byStatus.aborted === 1, { what: 'the abort seen by the server' });
  });

  it('reports ABORTED when the signal aborts for another reason (shutdown)', async () => {
    server.faults.set('text-generator', { hang: true });
    const controller = new AbortController();
    const pending = failure(createOpenaiClient(openaiConfig(`${server.url}/v1`)).infer(ask, { signal: controller.signal }));
    await waitFor(() => server.stats.model('text-generator').inFlight === 1, { what: 'the call in flight' });
    controller.abort(new Error('shutdown'));
    expect(await pending).toMatchObject({ code: 'ABORTED', retryable: false });
    await waitFor(() => server.stats.model('text-generator').byStatus.aborted === 1, { what: 'the abort seen by the server' });
  });

  it('reports a refused connection as INFERENCE_UNAVAILABLE by its code', async () => {
    const error = await failure(createOpenaiClient(openaiConfig(await closedPortUrl('/v1'))).infer(ask, live()));
    expect(error).toMatchObject({ code: 'INFERENCE_UNAVAILABLE', retryable: true, upstreamStatus: 'ECONNREFUSED' });
  });
});

const json = (status: number, body: unknown, headers: Record<string, string> = {}): RequestListener => (_req, res) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(typeof body === 'string' ? body : JSON.stringify(body));
};

describe('openai client: answers of other servers', () => {
  it.each<[string, RequestListener, Record<string, unknown>, RegExp?]>([
    [
      'OpenAI nested envelope, context length exceeded',
      json(400, { error: { message: "This model's maximum context length is 8192 tokens.", type: 'invalid_request_error', param: 'messages', code: 'context_length_exceeded' } }),
      { code: 'INFERENCE_REJECTED', retryable: false, upstreamStatus: 400 },
      /HTTP 400 context_length_exceeded: This model's maximum context length/,
    ],
    [
      'vLLM >= 0.10.1 nested envelope with a numeric code',
      json(404, { error: { message: 'The model `x` does not exist.', type: 'NotFoundError', param: 'model', code: 404 } }),
      { code: 'MODEL_NOT_FOUND', retryable: false },
      /HTTP 404 NotFoundError: The model `x` does not exist\./,
    ],
    [
      'older vLLM flat envelope',
      json(400, { object: 'error', message: 'maximum context length is 2048 tokens', type: 'BadRequestError', param: null, code: 400 }),
      { code: 'INFERENCE_REJECTED', retryable: false },
      /HTTP 400 BadRequestError: maximum context length/,
    ],
    ['TGI overloaded', json(429, { error: 'Model is overloaded', error_type: 'overloaded' }), { code: 'INFERENCE_RATE_LIMITED', retryable: true }, /overloaded: Model is overloaded/],
    ['TGI validation', json(422, { error: 'Input validation error', error_type: 'validation' }), { code: 'INFERENCE_REJECTED', retryable: false }],
    ['TGI generation error (424)', json(424, { error: 'CUDA error', error_type: 'generation' }), { code: 'INFERENCE_FAILED', retryable: true }],
    ['flat {"error": string}', json(500, { error: 'boom' }), { code: 'INFERENCE_FAILED', retryable: true }, /HTTP 500: boom/],
    ['401 (bad API key): held like an outage', json(401, { error: { message: 'Incorrect API key', type: 'invalid_request_error', code: 'invalid_api_key' } }), { code: 'INFERENCE_UNAUTHORIZED', retryable: true, upstreamStatus: 401 }],
    ['403', json(403, {}), { code: 'INFERENCE_UNAUTHORIZED', retryable: true, upstreamStatus: 403 }],
    ['408', json(408, ''), { code: 'INFERENCE_TIMEOUT', retryable: true }],
    ['502 from a proxy, HTML body', json(502, '<html>Bad Gateway</html>'), { code: 'INFERENCE_UNAVAILABLE', retryable: true }, /HTTP 502: <html>Bad Gateway/],
    ['504', json(504, ''), { code: 'INFERENCE_TIMEOUT', retryable: true }],
    ['418: other 4xx by class', json(418, ''), { code: 'INFERENCE_REJECTED', retryable: false }],
    ['507: other 5xx by class', json(507, ''), { code: 'INFERENCE_FAILED', retryable: true }],
    ['retry-after-ms wins over Retry-After', json(429, {}, { 'retry-after-ms': '1500', 'retry-after': '9' }), { code: 'INFERENCE_RATE_LIMITED', retryAfterMs: 1500 }],
    ['Retry-After as an HTTP date', json(503, {}, { 'retry-after': 'Thu, 01 Jan 2026 00:00:30 GMT' }), { code: 'INFERENCE_UNAVAILABLE', retryAfterMs: 30_000 }],
    ['no Retry-After hint on a non-retryable answer', json(400, {}, { 'retry-after': '5' }), { code: 'INFERENCE_REJECTED', retryAfterMs: undefined }],
    ['malformed 200 body', json(200, '<html>'), { code: 'INFERENCE_BAD_RESPONSE', retryable: false, upstreamStatus: 200 }],
    ['200 without choices', json(200, { model: 'm', choices: [] }), { code: 'INFERENCE_BAD_RESPONSE', retryable: false }],
    ['200 with a non-string content', json(200, { model: 'm', choices: [{ message: { content: 42 } }] }), { code: 'INFERENCE_BAD_RESPONSE', retryable: false }],
    ['a refusal', json(200, { model: 'm', choices: [{ message: { content: null, refusal: 'I cannot help with that.' } }] }), { code: 'INFERENCE_REJECTED', retryable: false }],
    ['connection reset before an answer', (req) => req.socket.destroy(), { code: 'INFERENCE_UNAVAILABLE', retryable: true }],
  ])('%s', async (_name, handler, expected, message) => {
    const url = await rawOpenaiServer(handler);
    const now = () => Date.parse('2026-01-01T00:00:00Z');
    const error = await failure(createOpenaiClient(openaiConfig(url), { now }).infer(ask, live()));
    expect(error).toMatchObject(expected);
    if (message) expect(error.message).toMatch(message);
  });

  it('an answer over maxResponseBytes → INFERENCE_BAD_RESPONSE; an oversized error body keeps its status', async () => {
    const pad = 'x'.repeat(2000);
    const big = await rawOpenaiServer(json(200, { model: 'm', choices: [{ message: { content: pad } }] }));
    const error = await failure(createOpenaiClient(openaiConfig(big), { maxResponseBytes: 1000 }).infer(ask, live()));
    expect(error).toMatchObject({ code: 'INFERENCE_BAD_RESPONSE', upstreamStatus: 200, message: expect.stringContaining('exceeds 1000 bytes') });
    const bigError = await rawOpenaiServer(json(503, { error: { message: pad } }, { 'retry-after': '2' }));
    const unavailable = await failure(createOpenaiClient(openaiConfig(bigError), { maxResponseBytes: 1000, now: () => 0 }).infer(ask, live()));
    expect(unavailable).toMatchObject({ code: 'INFERENCE_UNAVAILABLE', upstreamStatus: 503, retryAfterMs: 2000 });
  });

  it('truncates long server messages', async () => {
    const url = await rawOpenaiServer(json(500, { error: { message: 'x'.repeat(5_000) } }));
    const error = await failure(createOpenaiClient(openaiConfig(url)).infer(ask, live()));
    expect(error.message.length).toBeLessThan(300);
  });

  it('reads embeddings out of index order, and fails a broken vector', async () => {
    const ordered = await rawOpenaiServer(json(200, { model: 'e', data: [{ index: 1, embedding: [2] }, { index: 0, embedding: [1] }] }));
    const embedder = createOpenaiClient(openaiConfig(ordered, { endpoint: 'embeddings' }));
    expect((await embedder.infer({ id: 'e', inputs: { input: ['a', 'b'] } }, live())).outputs).toEqual({ embeddings: [[1], [2]] });
    const broken = await rawOpenaiServer(json(200, { model: 'e', data: [{ index: 0, embedding: 'AAAA' }] }));
    const error = await failure(createOpenaiClient(openaiConfig(broken, { endpoint: 'embeddings' })).infer({ id: 'e', inputs: { input: 'a' } }, live()));
    expect(error).toMatchObject({ code: 'INFERENCE_BAD_RESPONSE' });
  });
});
