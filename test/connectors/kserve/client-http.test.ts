import type { IncomingHttpHeaders } from 'node:http';
import { describe, expect, it } from 'vitest';
import { createKserveHttpClient } from '../../../connectors/kserve/client-http.ts';
import type { KserveHttpClientDeps } from '../../../connectors/kserve/client-http.ts';
import type { InferenceClient, InferenceRequest } from '../../../connectors/types.ts';
import { kserveHttpBackendSchema } from '../../../schemas/connector-config.ts';
import type { KserveHttpBackendConfig } from '../../../schemas/connector-config.ts';
import { closedPortUrl, failure, live, rawServer, useModelServer, withBody } from '../../support/http-test-kit.ts';
import { authGate, GOOD_AUTHORIZATION } from '../auth-gate.ts';

const server = useModelServer();

function config(overrides: Partial<KserveHttpBackendConfig> = {}): KserveHttpBackendConfig {
  return kserveHttpBackendSchema.parse({ kind: 'kserve-http', url: server.url, model: 'sentiment', ...overrides });
}

function client(overrides: Partial<KserveHttpBackendConfig> = {}, deps?: KserveHttpClientDeps): InferenceClient {
  return createKserveHttpClient(config(overrides), deps);
}

const texts = (...data: string[]): InferenceRequest => ({ id: 'evt-1', inputs: { TEXT: data } });

describe('kserve-http client: happy path', () => {
  it('classifies a batch with the sentiment model', async () => {
    const response = await client().infer(texts('I love it', 'not good at all', 'order 42'), live());
    expect(response).toMatchObject({
      modelName: 'sentiment',
      modelVersion: '1',
      outputs: { LABEL: ['positive', 'negative', 'neutral'], SCORE: expect.any(Array) },
    });
    expect((response.outputs.SCORE as number[])[0]).toBeGreaterThan(0);
  });

  it('round-trips a batch of tensors through echo, nested inputs coming back flat', async () => {
    const echo = client({ model: 'echo', version: '1', datatypes: { F: 'FP32' } });
    const inputs = { M: [[1, 2], [3, 4]], S: ['a', 'b', 'c'], B: true, F: [1, 2] };
    const response = await echo.infer({ id: 'x', inputs }, live());
    expect(response).toMatchObject({ modelName: 'echo', modelVersion: '1' });
    expect({ ...response.outputs }).toEqual({ M: [1, 2, 3, 4], S: ['a', 'b', 'c'], B: [true], F: [1, 2] });
  });

  it('sends the request id, parameters, traceparent, configured headers and inferred tensors', async () => {
    let seen: { url?: string; headers?: IncomingHttpHeaders; body?: unknown } = {};
    const raw = await rawServer(
      withBody((req, res, body) => {
        seen = { url: req.url, headers: req.headers, body: JSON.parse(body) };
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"model_name":"m","outputs":[]}');
      }),
    );
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const c = createKserveHttpClient(config({ preflight: false, url: `${raw.url}/`, model: 'm', version: '2', headers: { 'X-Api-Key': 'k' } }));
    await c.infer({ id: 'evt-7', inputs: { A: 1.5 }, parameters: { priority: 1 } }, { ...live(), traceparent });
    expect(seen.url).toBe('/v2/models/m/versions/2/infer');
    expect(seen.headers).toMatchObject({ traceparent, 'x-api-key': 'k', 'content-type': 'application/json' });
    expect(seen.body).toEqual({
      id: 'evt-7',
      parameters: { priority: 1 },
      inputs: [{ name: 'A', datatype: 'FP64', shape: [1], data: [1.5] }],
    });
  });

  it('sends Triton priority and the remaining attempt time as timeout (µs) with the request parameters', async () => {
    let body: { parameters?: Record<string, number> } = {};
    const raw = await rawServer(
      withBody((_req, res, text) => {
        body = JSON.parse(text) as typeof body;
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"model_name":"m","outputs":[]}');
      }),
    );
    const c = createKserveHttpClient(config({ preflight: false, url: raw.url, model: 'm', triton: { priority: 3, sendTimeout: true } }), { now: () => 1_000 });
    await c.infer({ id: 'evt', inputs: { A: 1 }, parameters: { tag: 1 } }, { ...live(), deadline: 1_500 });
    expect(body.parameters).toEqual({ tag: 1, priority: 3, timeout: 500_000 });
  });

  it('reuses keep-alive connections for sequential calls', async () => {
    const raw = await rawServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(200).end('{"model_name":"m","outputs":[{"name":"Y","data":[1]}]}'));
    });
    const c = createKserveHttpClient(config({ preflight: false, url: raw.url, model: 'm' }));
    for (let i = 0; i < 20; i++) await c.infer({ id: String(i), inputs: { X: i } }, live());
    // fetch's pool may open a second socket while the first is being released; never one per call.
    expect(raw.connections()).toBeLessThanOrEqual(2);
  });
});

describe('kserve-http client: error classes', () => {
  it.each([
    ['400 (one poisoned event)', { rejectMarker: 'POISON' }, 'INFERENCE_REJECTED', 400, false, undefined],
    ['422', { failNext: 1, errorStatus: 422 }, 'INFERENCE_REJECTED', 422, false, undefined],
    ['429 with Retry-After', { failNext: 1, errorStatus: 429, retryAfterSeconds: 3 }, 'INFERENCE_RATE_LIMITED', 429, true, 3000],
    ['500', { failNext: 1, errorStatus: 500 }, 'INFERENCE_FAILED', 500, true, undefined],
    ['502', { failNext: 1, errorStatus: 502 }, 'INFERENCE_UNAVAILABLE', 502, true, undefined],
    ['503 with Retry-After', { failNext: 1, errorStatus: 503, retryAfterSeconds: 2 }, 'INFERENCE_UNAVAILABLE', 503, true, 2000],
    ['503 from a not-ready model', { notReady: true }, 'INFERENCE_UNAVAILABLE', 503, true, undefined],
    ['504', { failNext: 1, errorStatus: 504 }, 'INFERENCE_TIMEOUT', 504, true, undefined],
  ] as const)('HTTP %s', async (_, fault, code, status, retryable, retryAfterMs) => {
    server.faults.set('sentiment', fault);
    const error = await failure(client().infer(texts('a POISON pill'), live()));
    expect(error).toMatchObject({ code, upstreamStatus: status, retryable, retryAfterMs, stage: 'infer' });
    expect(error.message).toMatch(new RegExp(`^kserve-http sentiment: HTTP ${status}: .+`));
  });

  it('fails only the poisoned event with INFERENCE_REJECTED', async () => {
    server.faults.set('sentiment', { rejectMarker: 'POISON' });
    await expect(client().infer(texts('fine'), live())).resolves.toBeDefined();
    const error = await failure(client().infer(texts('POISON'), live()));
    expect(error.message).toContain('reject marker POISON');
  });

  it('404 for an unknown model or version → MODEL_NOT_FOUND', async () => {
    expect(await failure(client({ model: 'nope' }).infer(texts('a'), live()))).toMatchObject({ code: 'MODEL_NOT_FOUND', upstreamStatus: 404 });
    expect((await failure(client({ version: '9' }).infer(texts('a'), live()))).code).toBe('MODEL_NOT_FOUND');
  });

  it('a connection closed mid-response → INFERENCE_UNAVAILABLE', async () => {
    const raw = await rawServer((req, res) => {
      res.writeHead(200, { 'content-length': '1000' });
      res.write('{"outputs":');
      setImmediate(() => req.socket.destroy());
    });
    const error = await failure(createKserveHttpClient(config({ preflight: false, url: raw.url })).infer(texts('a'), live()));
    expect(error).toMatchObject({ code: 'INFERENCE_UNAVAILABLE', retryable: true });
  });

  it.each([
    ['a body that is not JSON', 'not json at all'],
    ['JSON without outputs', '{"model_name":"sentiment"}'],
    ['an output without data', '{"outputs":[{"name":"LABEL"}]}'],
    ['a JSON array', '[]'],
  ])('a 200 with %s → INFERENCE_BAD_RESPONSE', async (_, body) => {
    const raw = await rawServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    });
    const error = await failure(createKserveHttpClient(config({ preflight: false, url: raw.url })).infer(texts('a'), live()));
    expect(error).toMatchObject({ code: 'INFERENCE_BAD_RESPONSE', retryable: false, upstreamStatus: 200 });
  });

  it('a redirect is not followed (a redirected POST would become a GET) → INFERENCE_BAD_RESPONSE', async () => {
    const raw = await rawServer((req, res) => {
      req.resume();
      res.writeHead(302, { location: '/elsewhere' }).end();
    });
    const error = await failure(createKserveHttpClient(config({ preflight: false, url: raw.url })).infer(texts('a'), live()));
    expect(error).toMatchObject({ code: 'INFERENCE_BAD_RESPONSE', retryable: false });
  });

  it('a ragged input → MAPPING_FAILED before any request is sent', async () => {
    const error = await failure(client().infer({ id: 'r', inputs: { TEXT: [['a', 'b'], ['c']] } }, live()));
    expect(error).toMatchObject({ code: 'MAPPING_FAILED', retryable: false });
    expect(server.stats.model('sentiment').requests).toBe(0);
  });

  it('refuses an unknown configured datatype with CONFIG_INVALID (the config schema already rejects it)', () => {
    expect(kserveHttpBackendSchema.safeParse({ kind: 'kserve-http', url: server.url, model: 'm', datatypes: { TEXT: 'STRING' } }).success).toBe(false);
    const unchecked = { ...config(), datatypes: { TEXT: 'STRING' } } as unknown as KserveHttpBackendConfig;
    expect(() => createKserveHttpClient(unchecked)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });

});

describe('kserve-http client: ready()', () => {
  it('follows the not-ready fault', async () => {
    const c = client();
    expect(await c.ready(AbortSignal.timeout(5000))).toBe(true);
    server.faults.set('sentiment', { notReady: true });
    expect(await c.ready(AbortSignal.timeout(5000))).toBe(false);
    server.faults.clear('sentiment');
    expect(await c.ready(AbortSignal.timeout(5000))).toBe(true);
  });

  it('is false, never throwing, for an unknown model, a refused connection or an aborted signal', async () => {
    expect(await client({ model: 'nope' }).ready(AbortSignal.timeout(5000))).toBe(false);
    expect(await createKserveHttpClient(config({ url: await closedPortUrl() })).ready(AbortSignal.timeout(5000))).toBe(false);
    expect(await client().ready(AbortSignal.abort())).toBe(false);
  });

  it.each([
    ['a Triton-style empty 200', 200, '', true],
    ['ready false', 200, '{"name":"m","ready":false}', false],
    ['a 400 with an error body', 400, '{"error":"Model version not ready"}', false],
    ['a 200 that is not JSON', 200, 'yes', false],
  ])('reads %s', async (_, status, body, expected) => {
    const raw = await rawServer((req, res) => res.writeHead(status).end(body));
    expect(await createKserveHttpClient(config({ preflight: false, url: raw.url })).ready(AbortSignal.timeout(5000))).toBe(expected);
  });
});

describe('kserve-http client: refused credentials are an outage, not a poison message', () => {
  const answer = JSON.stringify({ model_name: 'm', outputs: [{ name: 'Y', datatype: 'BOOL', shape: [1], data: [true] }] });
  const gated = async (headers: Record<string, string>) => {
    const raw = await rawServer(
      authGate((req, res) => {
        req.resume();
        res.writeHead(200, { 'content-type': 'application/json' }).end(req.method === 'GET' ? '{"name":"m","ready":true}' : answer);
      }),
    );
    return client({ url: raw.url, model: 'm', preflight: false, headers });
  };

  it.each([
    ['no credentials', {}, 401],
    ['credentials without the permission', { authorization: 'Bearer other-key' }, 403],
  ] as const)('%s: infer → INFERENCE_UNAUTHORIZED (retryable) and ready() is false', async (_, headers, status) => {
    const c = await gated(headers);
    expect(await failure(c.infer(texts('a'), live()))).toMatchObject({ code: 'INFERENCE_UNAUTHORIZED', retryable: true, upstreamStatus: status });
    expect(await c.ready(AbortSignal.timeout(5000))).toBe(false);
  });

  it('with the accepted credentials, ready() is true and infer answers', async () => {
    const c = await gated({ authorization: GOOD_AUTHORIZATION });
    expect(await c.ready(AbortSignal.timeout(5000))).toBe(true);
    expect((await c.infer(texts('a'), live())).outputs).toEqual({ Y: [true] });
  });
});

describe('kserve-http client: bounded response bodies', () => {
  const deps = { maxResponseBytes: 1000 };
  const pad = 'x'.repeat(2000);

  it.each([
    ['by content-length', true],
    ['streamed without a length', false],
  ])('an infer answer over the limit (%s) → INFERENCE_BAD_RESPONSE', async (_, withLength) => {
    const raw = await rawServer((req, res) => {
      req.resume();
      res.on('error', () => undefined);
      const body = JSON.stringify({ model_name: 'm', outputs: [], pad });
      res.writeHead(200, withLength ? { 'content-length': Buffer.byteLength(body) } : {});
      res.end(body);
    });
    const error = await failure(client({ url: raw.url, model: 'm', preflight: false }, deps).infer(texts('a'), live()));
    expect(error).toMatchObject({ code: 'INFERENCE_BAD_RESPONSE', upstreamStatus: 200, retryable: false });
    expect(error.message).toContain('exceeds 1000 bytes');
  });

  it('an oversized error body keeps its status and Retry-After; oversized metadata and readiness fail too', async () => {
    const raw = await rawServer((req, res) => {
      req.resume();
      if (req.method === 'POST') res.writeHead(503, { 'retry-after': '2' }).end(pad);
      else res.writeHead(200).end(JSON.stringify({ name: 'm', ready: true, inputs: [], pad }));
    });
    const bare = client({ url: raw.url, model: 'm', preflight: false }, deps);
    expect(await failure(bare.infer(texts('a'), live()))).toMatchObject({ code: 'INFERENCE_UNAVAILABLE', upstreamStatus: 503, retryAfterMs: 2000 });
    expect(await bare.ready(AbortSignal.timeout(5000))).toBe(false);
    const checked = client({ url: raw.url, model: 'm', preflight: true }, deps);
    expect(await failure(checked.infer(texts('a'), live()))).toMatchObject({ code: 'INFERENCE_BAD_RESPONSE', message: expect.stringContaining('model metadata exceeds 1000 bytes') });
  });
});
