import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { scoreSentiment } from '../../../services/model-server/models/sentiment.ts';
import { createModelServer } from '../../../services/model-server/server.ts';
import type { ModelServer } from '../../../services/model-server/server.ts';
import { waitFor } from '../../support/wait-for.ts';

let server: ModelServer;

beforeAll(async () => {
  server = createModelServer({ maxBodyBytes: 64 * 1024 });
  await server.start();
});
afterAll(() => server.close());
afterEach(() => {
  server.faults.clear();
  server.stats.reset();
});

async function call(path: string, body?: unknown, init: RequestInit = {}): Promise<{ status: number; headers: Headers; json: unknown }> {
  const response = await fetch(`${server.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
    ...init,
  });
  return { status: response.status, headers: response.headers, json: await response.json() };
}

const order = { NET_AMOUNT: 1200.5, ITEM_COUNT: 2, CREDIT_BLOCKED: false, DAYS_SINCE_LAST_ORDER: 7, PAYMENT_TERMS_DAYS: 14, COUNTRY_RISK_TIER: 0 };

describe('POST /rest/{model}/predict: shapes', () => {
  it('answers one instance of scalars with a flat object', async () => {
    const { status, json } = await call('/rest/sentiment/predict', { TEXT: 'I love it' });
    expect(status).toBe(200);
    expect(json).toEqual({ LABEL: 'positive', SCORE: expect.any(Number) });
  });

  it('answers columns (arrays of one length) with predictions, one per row', async () => {
    const { status, json } = await call('/rest/sentiment/predict', { TEXT: ['great', 'awful'] });
    expect(status).toBe(200);
    expect(json).toEqual({
      predictions: [
        { LABEL: 'positive', SCORE: expect.any(Number) },
        { LABEL: 'negative', SCORE: expect.any(Number) },
      ],
    });
  });

  it('answers instances with predictions in the same order', async () => {
    const blocked = { ...order, CREDIT_BLOCKED: true };
    const { status, json } = await call('/rest/order-risk/predict', { instances: [order, blocked] });
    expect(status).toBe(200);
    const [first, second] = (json as { predictions: { RISK_SCORE: number; RISK_CLASS: string }[] }).predictions;
    expect(first).toEqual({ RISK_SCORE: expect.any(Number), RISK_CLASS: 'low' });
    expect(second!.RISK_SCORE).toBeGreaterThan(first!.RISK_SCORE);
  });

  it('gives the same scores for one order however it is sent', async () => {
    const single = (await call('/rest/order-risk/predict', order)).json;
    const columns = Object.fromEntries(Object.entries(order).map(([k, v]) => [k, [v]]));
    const byColumns = (await call('/rest/order-risk/predict', columns)).json as { predictions: unknown[] };
    const byRows = (await call('/rest/order-risk/predict', { instances: [order] })).json as { predictions: unknown[] };
    expect(byColumns.predictions).toEqual([single]);
    expect(byRows.predictions).toEqual([single]);
  });

  it('serves models that take any inputs (echo), inferring datatypes', async () => {
    const { json } = await call('/rest/echo/predict', { A: 1, B: 'x', C: true, D: 1.5 });
    expect(json).toEqual({ A: 1, B: 'x', C: true, D: 1.5 });
  });
});

describe('POST /rest/{model}/predict: FastAPI-style errors', () => {
  it.each([
    ['a missing field', { TEXT: undefined }, [{ loc: ['body', 'TEXT'], type: 'missing' }]],
    ['an extra field', { TEXT: 'a', LANG: 'en' }, [{ loc: ['body', 'LANG'], type: 'extra_forbidden', input: 'en' }]],
    ['a wrong type', { TEXT: 42 }, [{ loc: ['body', 'TEXT'], type: 'string_type', input: 42 }]],
    ['a wrong element in a column', { TEXT: ['a', null] }, [{ loc: ['body', 'TEXT', 1], type: 'string_type', input: null }]],
    ['an empty column', { TEXT: [] }, [{ loc: ['body', 'TEXT'], type: 'list_type' }]],
    ['a body that is not an object', [1, 2], [{ loc: ['body'], type: 'dict_type' }]],
    ['instances that are not a list', { instances: { TEXT: 'a' } }, [{ loc: ['body', 'instances'], type: 'list_type' }]],
    ['an instance that is not an object', { instances: [{ TEXT: 'a' }, 'b'] }, [{ loc: ['body', 'instances', 1], type: 'dict_type' }]],
  ])('422 for %s', async (_, body, detail) => {
    const { status, json } = await call('/rest/sentiment/predict', body);
    expect(status).toBe(422);
    expect(json).toEqual({ detail: detail.map((d) => expect.objectContaining({ ...d, msg: expect.any(String) })) });
  });

  it('reports every problem of a request at once, with its location', async () => {
    const { status, json } = await call('/rest/order-risk/predict', { instances: [order, { ...order, ITEM_COUNT: 2.5, CREDIT_BLOCKED: 'no', COUNTRY_RISK_TIER: undefined }] });
    expect(status).toBe(422);
    const detail = (json as { detail: { loc: unknown[]; type: string }[] }).detail;
    expect(detail.map((d) => [d.loc.join('.'), d.type]).sort()).toEqual([
      ['body.instances.1.COUNTRY_RISK_TIER', 'missing'],
      ['body.instances.1.CREDIT_BLOCKED', 'bool_type'],
      ['body.instances.1.ITEM_COUNT', 'int_type'],
    ]);
  });

  it("400 with the model's own message for a value it refuses (out of range)", async () => {
    const { status, json } = await call('/rest/order-risk/predict', { ...order, COUNTRY_RISK_TIER: 9 });
    expect(status).toBe(400);
    expect(json).toEqual({ detail: expect.stringContaining('COUNTRY_RISK_TIER') });
  });

  it('422 json_invalid for a body that is not JSON', async () => {
    const { status, json } = await call('/rest/sentiment/predict', '{"TEXT": ');
    expect(status).toBe(422);
    expect(json).toEqual({ detail: [expect.objectContaining({ loc: ['body'], type: 'json_invalid' })] });
  });

  it('404 with a detail for an unknown model or path, 405 for a wrong method', async () => {
    expect(await call('/rest/nope/predict', { TEXT: 'a' })).toMatchObject({ status: 404, json: { detail: 'Model nope not found' } });
    expect(await call('/rest/sentiment/explain', { TEXT: 'a' })).toMatchObject({ status: 404, json: { detail: 'Not Found' } });
    const wrong = await call('/rest/sentiment/predict');
    expect(wrong).toMatchObject({ status: 405, json: { detail: 'Method Not Allowed' } });
    expect(wrong.headers.get('allow')).toBe('POST');
  });

  it('413 for a body over the limit', async () => {
    const { status, json } = await call('/rest/sentiment/predict', { TEXT: 'x'.repeat(100 * 1024) });
    expect(status).toBe(413);
    expect(json).toEqual({ detail: expect.stringContaining('exceeds') });
  });
});

describe('/rest faults, readiness and stats', () => {
  it('GET ready follows the not-ready fault, with Retry-After while it lasts', async () => {
    expect(await call('/rest/sentiment/ready')).toMatchObject({ status: 200, json: { name: 'sentiment', ready: true } });
    server.faults.set('sentiment', { notReadyForMs: 5000 });
    const notReady = await call('/rest/sentiment/ready');
    expect(notReady).toMatchObject({ status: 503, json: { detail: 'model sentiment is not ready' } });
    expect(Number(notReady.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await call('/rest/sentiment/predict', { TEXT: 'a' })).toMatchObject({ status: 503 });
    expect(await call('/rest/nope/ready')).toMatchObject({ status: 404 });
  });

  it('applies injected errors with Retry-After, then answers again', async () => {
    server.faults.set('sentiment', { failNext: 1, errorStatus: 429, retryAfterSeconds: 4 });
    const limited = await call('/rest/sentiment/predict', { TEXT: 'a' });
    expect(limited).toMatchObject({ status: 429, json: { detail: 'injected fault: HTTP 429' } });
    expect(limited.headers.get('retry-after')).toBe('4');
    expect((await call('/rest/sentiment/predict', { TEXT: 'a' })).status).toBe(200);
  });

  it('rejects only requests holding the reject marker', async () => {
    server.faults.set('sentiment', { rejectMarker: 'POISON', rejectStatus: 400 });
    expect((await call('/rest/sentiment/predict', { TEXT: ['fine', 'also fine'] })).status).toBe(200);
    expect(await call('/rest/sentiment/predict', { instances: [{ TEXT: 'ok' }, { TEXT: 'a POISON pill' }] })).toMatchObject({
      status: 400,
      json: { detail: expect.stringContaining('reject marker POISON') },
    });
  });

  it('hangs when told to, counting the call, until the client gives up', async () => {
    server.faults.set('sentiment', { hang: true });
    const client = new AbortController();
    const pending = call('/rest/sentiment/predict', { TEXT: 'a' }, { signal: client.signal }).catch((e: unknown) => e);
    await waitFor(() => server.stats.model('sentiment').requests === 1, { what: 'the call to reach the server' });
    client.abort();
    expect(await pending).toBeInstanceOf(Error);
    await waitFor(() => server.stats.model('sentiment').byStatus.aborted === 1, { what: 'the aborted outcome' });
  });

  it("runs through the model's scheduler: four single calls become one dynamic batch", async () => {
    const batching = createModelServer({ scheduling: { sentiment: { maxBatchSize: 4, batchDelayMs: 60_000 } } });
    await batching.start();
    try {
      const texts = ['great', 'awful', 'order 42', 'not good'];
      const answers = await Promise.all(
        texts.map(async (TEXT) => {
          const response = await fetch(`${batching.url}/rest/sentiment/predict`, { method: 'POST', body: JSON.stringify({ TEXT }), signal: AbortSignal.timeout(10_000) });
          return response.json() as Promise<{ LABEL: string }>;
        }),
      );
      // Each caller gets its own element of the batch back.
      expect(answers.map((a) => a.LABEL)).toEqual(texts.map((text) => scoreSentiment(text).label));
      expect(batching.stats.model('sentiment')).toMatchObject({ requests: 4, executions: 1 });
    } finally {
      await batching.close();
    }
  });

  it('counts calls by status in the shared stats', async () => {
    await call('/rest/sentiment/predict', { TEXT: 'a' });
    await call('/rest/sentiment/predict', { TEXT: 1 });
    await waitFor(() => server.stats.model('sentiment').inFlight === 0, { what: 'both outcomes' });
    expect(server.stats.model('sentiment')).toMatchObject({ requests: 2, byStatus: { 200: 1, 422: 1 }, inFlight: 0, executions: 1 });
  });
});
