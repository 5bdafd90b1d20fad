import { afterEach, describe, expect, it } from 'vitest';
import { createModelServer } from '../../../services/model-server/server.ts';
import type { ModelServer, ModelServerOptions } from '../../../services/model-server/server.ts';
import { waitFor } from '../../support/wait-for.ts';

const servers: ModelServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(options: ModelServerOptions = {}): Promise<ModelServer> {
  const server = createModelServer(options);
  servers.push(server);
  await server.start();
  return server;
}

const sentimentBody = (...texts: string[]) =>
  JSON.stringify({ inputs: [{ name: 'TEXT', datatype: 'BYTES', shape: [texts.length], data: texts }] });

async function infer(server: ModelServer, body = sentimentBody('good'), signal?: AbortSignal) {
  const res = await fetch(`${server.url}/v2/models/sentiment/infer`, { method: 'POST', body, signal: signal ?? null });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as Record<string, unknown> };
}

async function ready(server: ModelServer): Promise<unknown> {
  return ((await (await fetch(`${server.url}/v2/models/sentiment/ready`)).json()) as { ready: unknown }).ready;
}

describe('fault injection', () => {
  it('adds fixed or uniform latency', async () => {
    const slept: number[] = [];
    const server = await start({ random: () => 0.25, sleep: async (ms) => void slept.push(ms) });
    server.faults.set('sentiment', { latencyMs: 40 });
    expect((await infer(server)).status).toBe(200);
    server.faults.set('sentiment', { latencyMs: { min: 100, max: 200 } });
    expect((await infer(server)).status).toBe(200);
    expect(slept).toEqual([40, 125]);
  });

  it('fails by error rate with the chosen status and Retry-After on 429 and 503', async () => {
    const server = await start({ random: () => 0.2 });
    server.faults.set('sentiment', { errorRate: 0.1, errorStatus: 503 });
    expect((await infer(server)).status).toBe(200);
    server.faults.set('sentiment', { errorRate: 0.3, errorStatus: 429, retryAfterSeconds: 7 });
    expect(await infer(server)).toMatchObject({ status: 429, retryAfter: '7', body: { error: expect.any(String) } });
    server.faults.set('sentiment', { errorRate: 1, errorStatus: 503, retryAfterSeconds: 2 });
    expect(await infer(server)).toMatchObject({ status: 503, retryAfter: '2' });
    server.faults.set('sentiment', { errorRate: 1, retryAfterSeconds: 2 });
    expect(await infer(server)).toMatchObject({ status: 500, retryAfter: null });
  });

  it('fails exactly the next N calls with failNext', async () => {
    const server = await start();
    server.faults.set('sentiment', { failNext: 2, errorStatus: 502 });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await infer(server)).status);
    expect(statuses).toEqual([502, 502, 200]);
  });

  it('makes the model not ready until cleared', async () => {
    const server = await start();
    server.faults.set('sentiment', { notReady: true });
    expect(await ready(server)).toBe(false);
    expect(await infer(server)).toMatchObject({ status: 503, retryAfter: null });
    server.faults.clear('sentiment');
    expect(await ready(server)).toBe(true);
    expect((await infer(server)).status).toBe(200);
  });

  it('makes the model not ready for a while, with a Retry-After for the rest of it', async () => {
    let now = 1_000_000;
    const server = await start({ now: () => now });
    server.faults.set('sentiment', { notReadyForMs: 4500 });
    expect(await ready(server)).toBe(false);
    expect(await infer(server)).toMatchObject({ status: 503, retryAfter: '5' });
    now += 4500;
    expect(await ready(server)).toBe(true);
    expect((await infer(server)).status).toBe(200);
  });

  it('rejects only the requests whose input holds the marker', async () => {
    const server = await start();
    server.faults.set('sentiment', { rejectMarker: 'POISON' });
    expect((await infer(server, sentimentBody('fine', 'also fine'))).status).toBe(200);
    const res = await infer(server, sentimentBody('fine', 'a POISON pill'));
    expect(res).toMatchObject({ status: 400, body: { error: expect.stringContaining('POISON') } });
  });

  it('hangs until the client aborts, and counts the call as aborted', async () => {
    const server = await start();
    server.faults.set('sentiment', { hang: true });
    const controller = new AbortController();
    const pending = infer(server, undefined, controller.signal);
    await waitFor(() => server.stats.model('sentiment').requests === 1, { what: 'the request to arrive' });
    controller.abort();
    await expect(pending).rejects.toThrow();
    await waitFor(() => server.stats.model('sentiment').byStatus.aborted === 1, { what: 'the abort to be counted' });
  });

  it.each([
    ['a hanging call', { hang: true }],
    ['a call in injected latency', { latencyMs: 600_000 }],
  ])('close() ends %s', async (_, fault) => {
    const server = await start();
    server.faults.set('sentiment', fault);
    const pending = infer(server);
    await waitFor(() => server.stats.model('sentiment').requests === 1, { what: 'the request to arrive' });
    await server.close();
    await expect(pending).rejects.toThrow();
  });

  it('refuses an invalid fault spec', async () => {
    const server = await start();
    expect(() => server.faults.set('sentiment', { errorRate: 2 })).toThrow();
    expect(() => server.faults.set('sentiment', { latencyMs: { min: 5, max: 1 } })).toThrow();
  });
});

describe('admin HTTP API', () => {
  const admin = async (server: ModelServer, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${server.url}/admin/${path}`, { method, body: body === undefined ? null : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
  };

  it('sets, lists and clears faults', async () => {
    const server = await start();
    expect(await admin(server, 'POST', 'faults/sentiment', { errorRate: 1, errorStatus: 500 })).toMatchObject({
      status: 200,
      body: { errorRate: 1, errorStatus: 500 },
    });
    expect((await infer(server)).status).toBe(500);
    expect((await admin(server, 'GET', 'faults')).body).toMatchObject({ sentiment: { errorRate: 1 } });
    expect((await admin(server, 'DELETE', 'faults/sentiment')).status).toBe(204);
    expect(await admin(server, 'GET', 'faults/sentiment')).toEqual({ status: 200, body: null });
    expect((await infer(server)).status).toBe(200);
  });

  it.each([
    ['text-generator', '/v1/chat/completions', { model: 'text-generator', messages: [{ role: 'user', content: 'hi' }] }],
    ['text-embedder', '/v1/embeddings', { model: 'text-embedder', input: 'hi' }],
  ])('sets and clears faults of the OpenAI text model %s', async (model, path, request) => {
    const server = await start();
    const call = () => fetch(`${server.url}${path}`, { method: 'POST', body: JSON.stringify(request) }).then(async (r) => (await r.text(), r.status));
    expect(await admin(server, 'POST', `faults/${model}`, { failNext: 1, errorStatus: 401 })).toMatchObject({ status: 200, body: { failNext: 1, errorStatus: 401 } });
    expect(await call()).toBe(401);
    expect(await call()).toBe(200);
    expect(await admin(server, 'PUT', `faults/${model}`, { notReady: true })).toMatchObject({ status: 200 });
    expect((await admin(server, 'GET', `faults/${model}`)).body).toMatchObject({ notReady: true });
    expect(await call()).toBe(503);
    expect((await admin(server, 'DELETE', `faults/${model}`)).status).toBe(204);
    expect(await call()).toBe(200);
  });

  it('clears every fault at once', async () => {
    const server = await start();
    await admin(server, 'PUT', 'faults/sentiment', { notReady: true });
    await admin(server, 'PUT', 'faults/echo', { hang: true });
    expect((await admin(server, 'DELETE', 'faults')).status).toBe(204);
    expect(server.faults.list()).toEqual({});
  });

  it.each([
    ['an out-of-range value', 'faults/sentiment', { errorRate: 1.5 }, 400, /errorRate/],
    ['an unknown field', 'faults/sentiment', { explode: true }, 400, /explode/],
    ['an unknown model', 'faults/nope', { hang: true }, 404, /nope/],
  ])('refuses %s', async (_, path, body, status, message) => {
    const server = await start();
    const res = await admin(server, 'POST', path, body);
    expect(res.status).toBe(status);
    expect((res.body as { error: string }).error).toMatch(message);
    expect(server.faults.list()).toEqual({});
  });

  it('counts infer calls per model and status, and resets the counts', async () => {
    const server = await start();
    await infer(server);
    await infer(server, '{"inputs": []}');
    await fetch(`${server.url}/v2/models/sentiment/ready`).then((r) => r.text());
    expect(await admin(server, 'GET', 'stats')).toEqual({
      status: 200,
      body: { models: { sentiment: { requests: 2, byStatus: { 200: 1, 400: 1 }, inFlight: 0, maxConcurrent: 1, executions: 1 } } },
    });
    expect((await admin(server, 'DELETE', 'stats')).status).toBe(204);
    expect((await admin(server, 'GET', 'stats')).body).toEqual({ models: {} });
  });
});
