import type { IncomingHttpHeaders, RequestListener } from 'node:http';
import { describe, expect, it } from 'vitest';
import { createRestClient } from '../../../connectors/rest/index.ts';
import type { RestClientDeps } from '../../../connectors/rest/index.ts';
import type { InferenceClient } from '../../../connectors/types.ts';
import { restBackendSchema } from '../../../schemas/backend-config.ts';
import type { RestBackendConfig } from '../../../schemas/backend-config.ts';
import * as kit from '../../support/http-test-kit.ts';
import { failure, live, useModelServer, withBody } from '../../support/http-test-kit.ts';
import type { RawServer } from '../../support/http-test-kit.ts';
import { waitFor } from '../../support/wait-for.ts';
import { authGate, GOOD_AUTHORIZATION } from '../auth-gate.ts';

const server = useModelServer();

function config(overrides: Partial<RestBackendConfig> = {}): RestBackendConfig {
  return restBackendSchema.parse({
    kind: 'rest',
    url: `${server.url}/rest/sentiment/predict`,
    readyUrl: `${server.url}/rest/sentiment/ready`,
    model: 'sentiment',
    ...overrides,
  });
}

const client = (overrides: Partial<RestBackendConfig> = {}, deps?: RestClientDeps): InferenceClient => createRestClient(config(overrides), deps);

/** The kit's raw servers and refused port, at the `/predict` path a rest backend is configured with. */
const rawServer = (handler: RequestListener): Promise<RawServer> => kit.rawServer(handler, '/predict');
const answering = (status: number, body: string | Buffer, headers: Record<string, string> = {}) => kit.answering(status, body, headers, '/predict');
const closedPortUrl = () => kit.closedPortUrl('/predict');

describe('rest client: happy paths against the reference server', () => {
  it('scores one text with the sentiment model; the body is the outputs', async () => {
    const c = client();
    expect(c).toMatchObject({ kind: 'rest', model: 'sentiment', version: undefined });
    const response = await c.infer({ id: 'evt-1', inputs: { TEXT: 'I love it' } }, live());
    expect(response).toEqual({ modelName: 'sentiment', modelVersion: undefined, outputs: { LABEL: 'positive', SCORE: expect.any(Number) } });
  });

  it('scores a batch of orders with order-risk, read as outputs.predictions[i]', async () => {
    const c = client({ url: `${server.url}/rest/order-risk/predict`, model: 'order-risk' });
    const inputs = {
      NET_AMOUNT: [1200, 1200],
      ITEM_COUNT: [2, 2],
      CREDIT_BLOCKED: [false, true],
      DAYS_SINCE_LAST_ORDER: [7, 7],
      PAYMENT_TERMS_DAYS: [14, 14],
      COUNTRY_RISK_TIER: [0, 0],
    };
    const { outputs } = await c.infer({ id: 'so-1', inputs }, live());
    const [clear, blocked] = outputs.predictions as { RISK_SCORE: number; RISK_CLASS: string }[];
    expect(clear).toEqual({ RISK_SCORE: expect.any(Number), RISK_CLASS: 'low' });
    expect(blocked!.RISK_SCORE).toBeGreaterThan(clear!.RISK_SCORE);
  });

  it('sends method, configured headers, x-request-id, traceparent and the wrapped inputs with parameters', async () => {
    let seen: { method?: string; headers?: IncomingHttpHeaders; body?: unknown } = {};
    const raw = await rawServer(
      withBody((req, res, body) => {
        seen = { method: req.method, headers: req.headers, body: JSON.parse(body) };
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"score":0.5}');
      }),
    );
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const c = createRestClient(restBackendSchema.parse({ kind: 'rest', url: raw.url, method: 'PUT', wrap: 'instances', headers: { 'X-Api-Key': 'k' } }));
    const response = await c.infer({ id: 'evt-7', inputs: { a: [1, 2] }, parameters: { threshold: 0.3 } }, { ...live(), traceparent });
    expect(response).toEqual({ modelName: 'rest', modelVersion: undefined, outputs: { score: 0.5 } });
    expect(seen.method).toBe('PUT');
    expect(seen.headers).toMatchObject({ 'x-request-id': 'evt-7', traceparent, 'x-api-key': 'k', 'content-type': 'application/json' });
    expect(seen.body).toEqual({ instances: { a: [1, 2] }, parameters: { threshold: 0.3 } });
  });

  it('sends the inputs object itself as the body when not wrapping, without traceparent when there is none', async () => {
    let seen: { headers?: IncomingHttpHeaders; body?: string } = {};
    const raw = await rawServer(
      withBody((req, res, body) => {
        seen = { headers: req.headers, body };
        res.writeHead(200).end('{}');
      }),
    );
    await createRestClient(restBackendSchema.parse({ kind: 'rest', url: raw.url })).infer({ id: 'e', inputs: { x: 1 }, parameters: { p: 1 } }, live());
    expect(seen.body).toBe('{"x":1}');
    expect(seen.headers?.traceparent).toBeUndefined();
  });

  it('reuses keep-alive connections for sequential calls', async () => {
    const raw = await rawServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(200).end('{"y":1}'));
    });
    const c = createRestClient(restBackendSchema.parse({ kind: 'rest', url: raw.url }));
    for (let i = 0; i < 20; i++) await c.infer({ id: String(i), inputs: { x: i } }, live());
    // fetch's pool may open a second socket while the first is being released; never one per call.
    expect(raw.connections()).toBeLessThanOrEqual(2);
  });
});

describe('rest client: every error class', () => {
  it.each([
    ['400 (one poisoned event)', { rejectMarker: 'POISON' }, 'INFERENCE_REJECTED', 400, false, undefined],
    ['429 with Retry-After', { failNext: 1, errorStatus: 429, retryAfterSeconds: 3 }, 'INFERENCE_RATE_LIMITED', 429, true, 3000],
    ['500', { failNext: 1, errorStatus: 500 }, 'INFERENCE_FAILED', 500, true, undefined],
    ['502', { failNext: 1, errorStatus: 502 }, 'INFERENCE_UNAVAILABLE', 502, true, undefined],
    ['503 with Retry-After', { failNext: 1, errorStatus: 503, retryAfterSeconds: 2 }, 'INFERENCE_UNAVAILABLE', 503, true, 2000],
    ['503 from a not-ready model', { notReady: true }, 'INFERENCE_UNAVAILABLE', 503, true, undefined],
    ['504', { failNext: 1, errorStatus: 504 }, 'INFERENCE_TIMEOUT', 504, true, undefined],
  ] as const)('HTTP %s from the reference server', async (_, fault, code, status, retryable, retryAfterMs) => {
    server.faults.set('sentiment', fault);
    const error = await failure(client().infer({ id: 'e', inputs: { TEXT: 'a POISON pill' } }, live()));
    expect(error).toMatchObject({ code, upstreamStatus: status, retryable, retryAfterMs, stage: 'infer' });
    expect(error.message).toMatch(new RegExp(`^rest sentiment: HTTP ${status}: .+`));
  });

  it('422 with a FastAPI validation detail → INFERENCE_REJECTED quoting where and what', async () => {
    const error = await failure(client().infer({ id: 'e', inputs: { TEXT: 42, LANG: 'en' } }, live()));
    expect(error).toMatchObject({ code: 'INFERENCE_REJECTED', upstreamStatus: 422, retryable: false });
    expect(error.message).toMatch(/^rest sentiment: HTTP 422: /);
    expect(error.message).toContain('body.TEXT: Input should be a valid string');
    expect(error.message).toContain('body.LANG: Extra inputs are not permitted');
  });

  it('404 for an unknown model → MODEL_NOT_FOUND with its detail', async () => {
    const error = await failure(client({ url: `${server.url}/rest/nope/predict` }).infer({ id: 'e', inputs: { TEXT: 'a' } }, live()));
    expect(error).toMatchObject({ code: 'MODEL_NOT_FOUND', upstreamStatus: 404, retryable: false });
    expect(error.message).toBe('rest sentiment: HTTP 404: Model nope not found');
  });

  it.each([
    [401, 'INFERENCE_UNAUTHORIZED', true],
    [403, 'INFERENCE_UNAUTHORIZED', true],
    [408, 'INFERENCE_TIMEOUT', true],
    [409, 'INFERENCE_REJECTED', false],
    [501, 'INFERENCE_FAILED', true],
  ] as const)('HTTP %i from another server → %s', async (status, code, retryable) => {
    const raw = await answering(status, '{"detail":"nope"}');
    const error = await failure(createRestClient(restBackendSchema.parse({ kind: 'rest', url: raw.url })).infer({ id: 'e', inputs: {} }, live()));
    expect(error).toMatchObject({ code, retryable, upstreamStatus: status });
    expect(error.message).toContain(': nope');
  });

  it('a hanging backend and the per-attempt timeout → INFERENCE_TIMEOUT', async () => {
    server.faults.set('sentiment', { hang: true });
    const error = await failure(client().infer({ id: 'e', inputs: { TEXT: 'a' } }, { signal: AbortSignal.timeout(100) }));
    expect(error).toMatchObject({ code: 'INFERENCE_TIMEOUT', retryable: true });
  });

  it('an abort by shutdown → ABORTED, not retryable', async () => {
    server.faults.set('sentiment', { hang: true });
    const lifecycle = new AbortController();
    const pending = failure(client().infer({ id: 'e', inputs: { TEXT: 'a' } }, { signal: lifecycle.signal }));
    await waitFor(() => server.stats.model('sentiment').requests === 1, { what: 'the call to reach the server' });
    lifecycle.abort(new Error('worker shutting down'));
    expect(await pending).toMatchObject({ code: 'ABORTED', retryable: false });
  });

  it('a refused connection → INFERENCE_UNAVAILABLE', async () => {
    const c = client({ url: await closedPortUrl() });
    expect(await failure(c.infer({ id: 'e', inputs: {} }, live()))).toMatchObject({
      code: 'INFERENCE_UNAVAILABLE',
      retryable: true,
      upstreamStatus: 'ECONNREFUSED',
    });
  });

  it('a connection closed mid-response → INFERENCE_UNAVAILABLE', async () => {
    const raw = await rawServer((req, res) => {
      res.writeHead(200, { 'content-length': '1000' });
      res.write('{"score":');
      setImmediate(() => req.socket.destroy());
    });
    const error = await failure(client({ url: raw.url }).infer({ id: 'e', inputs: {} }, live()));
    expect(error).toMatchObject({ code: 'INFERENCE_UNAVAILABLE', retryable: true });
  });

  it.each([
    ['a malformed body', 'not json at all', 'not JSON'],
    ['an empty body', '', 'not JSON'],
    ['a JSON array', '[{"score":1}]', 'an array'],
    ['a JSON string', '"positive"', 'string'],
    ['a JSON number', '0.9', 'number'],
    ['JSON null', 'null', 'null'],
  ])('a 200 with %s → INFERENCE_BAD_RESPONSE', async (_, body, what) => {
    const raw = await answering(200, body);
    const error = await failure(client({ url: raw.url }).infer({ id: 'e', inputs: {} }, live()));
    expect(error).toMatchObject({ code: 'INFERENCE_BAD_RESPONSE', retryable: false, upstreamStatus: 200 });
    expect(error.message).toContain(what);
  });

  it('a redirect is not followed (a redirected POST would become a GET) → INFERENCE_BAD_RESPONSE', async () => {
    const raw = await answering(307, '', { location: '/elsewhere' });
    expect(await failure(client({ url: raw.url }).infer({ id: 'e', inputs: {} }, live()))).toMatchObject({ code: 'INFERENCE_BAD_RESPONSE', upstreamStatus: 307 });
  });

  it('a body over the default 16 MiB, streamed without a length → INFERENCE_BAD_RESPONSE', async () => {
    const mib = Buffer.alloc(1024 * 1024, 0x20);
    const raw = await rawServer((req, res) => {
      req.resume();
      res.on('error', () => undefined);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"pad":"');
      for (let i = 0; i < 17; i++) res.write(mib);
      res.end('"}');
    });
    const error = await failure(client({ url: raw.url }).infer({ id: 'e', inputs: {} }, live()));
    expect(error).toMatchObject({ code: 'INFERENCE_BAD_RESPONSE', upstreamStatus: 200 });
    expect(error.message).toContain(`exceeds ${16 * 1024 * 1024} bytes`);
  });

  it('a body over the configured limit by content-length → INFERENCE_BAD_RESPONSE; an oversized error body keeps its status', async () => {
    const big = await answering(200, JSON.stringify({ pad: 'x'.repeat(2000) }));
    const deps = { maxResponseBytes: 1000 };
    expect(await failure(client({ url: big.url }, deps).infer({ id: 'e', inputs: {} }, live()))).toMatchObject({ code: 'INFERENCE_BAD_RESPONSE' });
    const bigError = await answering(503, 'x'.repeat(2000), { 'retry-after': '1' });
    expect(await failure(client({ url: bigError.url }, deps).infer({ id: 'e', inputs: {} }, live()))).toMatchObject({
      code: 'INFERENCE_UNAVAILABLE',
      upstreamStatus: 503,
      retryAfterMs: 1000,
    });
  });

  it('refuses calls after close() with ABORTED', async () => {
    const c = client();
    await c.close();
    expect((await failure(c.infer({ id: 'e', inputs: { TEXT: 'a' } }, live()))).code).toBe('ABORTED');
  });
});

describe('rest client: ready()', () => {
  const probe = () => AbortSignal.timeout(5000);

  it('follows the reference server readiness and its not-ready fault', async () => {
    const c = client();
    expect(await c.ready(probe())).toBe(true);
    server.faults.set('sentiment', { notReady: true });
    expect(await c.ready(probe())).toBe(false);
    server.faults.clear('sentiment');
    expect(await c.ready(probe())).toBe(true);
  });

  it('is true without a readyUrl, and false after close()', async () => {
    const c = client({ readyUrl: undefined, url: await closedPortUrl() });
    expect(await c.ready(probe())).toBe(true);
    await c.close();
    expect(await c.ready(probe())).toBe(false);
  });

  it('is false, never throwing, for a 404, a refused connection or an aborted signal', async () => {
    expect(await client({ readyUrl: `${server.url}/rest/nope/ready` }).ready(probe())).toBe(false);
    expect(await client({ readyUrl: await closedPortUrl() }).ready(probe())).toBe(false);
    expect(await client().ready(AbortSignal.abort())).toBe(false);
  });

  it('takes any 2xx as ready, whatever the body', async () => {
    const raw = await answering(204, '');
    expect(await client({ readyUrl: raw.url }).ready(probe())).toBe(true);
  });
});

describe('rest client: refused credentials are an outage, not a poison message', () => {
  const gated = async (headers: Record<string, string>) => {
    const raw = await rawServer(
      authGate((req, res) => {
        req.resume();
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"score":1}');
      }),
    );
    return client({ url: raw.url, readyUrl: raw.url.replace(/predict$/, 'ready'), headers });
  };

  it.each([
    ['no credentials', {}, 401],
    ['credentials without the permission', { authorization: 'Bearer other-key' }, 403],
  ] as const)('%s: infer → INFERENCE_UNAUTHORIZED (retryable) and ready() is false', async (_, headers, status) => {
    const c = await gated(headers);
    const error = await failure(c.infer({ id: 'e', inputs: {} }, live()));
    expect(error).toMatchObject({ code: 'INFERENCE_UNAUTHORIZED', retryable: true, upstreamStatus: status });
    expect(error.message).toContain('credentials refused');
    expect(await c.ready(AbortSignal.timeout(5000))).toBe(false);
  });

  it('with the accepted credentials, ready() is true and infer answers', async () => {
    const c = await gated({ authorization: GOOD_AUTHORIZATION });
    expect(await c.ready(AbortSignal.timeout(5000))).toBe(true);
    expect((await c.infer({ id: 'e', inputs: {} }, live())).outputs).toEqual({ score: 1 });
  });
});
