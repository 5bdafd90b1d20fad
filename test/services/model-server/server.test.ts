import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModelServer } from '../../../services/model-server/server.ts';
import type { ModelServer } from '../../../services/model-server/server.ts';

let server: ModelServer;

beforeAll(async () => {
  server = createModelServer({ maxBodyBytes: 4096 });
  await server.start();
});
afterAll(() => server.close());

async function call(path: string, init?: RequestInit): Promise<{ status: number; body: unknown; headers: Headers }> {
  const res = await fetch(`${server.url}${path}`, init);
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text), headers: res.headers };
}

function infer(model: string, body: unknown): Promise<{ status: number; body: unknown; headers: Headers }> {
  return call(`/v2/models/${model}/infer`, { method: 'POST', body: JSON.stringify(body) });
}

const text = (data: unknown[], shape = [data.length], datatype = 'BYTES') => ({ inputs: [{ name: 'TEXT', datatype, shape, data }] });

describe('model server: health and metadata', () => {
  it.each([
    ['/v2/health/live', { live: true }],
    ['/v2/health/ready', { ready: true }],
    ['/v2/models/sentiment/ready', { name: 'sentiment', ready: true }],
    ['/v2/models/echo/versions/1/ready', { name: 'echo', ready: true }],
  ])('GET %s', async (path, expected) => {
    expect(await call(path)).toMatchObject({ status: 200, body: expected });
  });

  it('reports server metadata', async () => {
    expect((await call('/v2')).body).toMatchObject({ name: 'modelbridge-model-server', extensions: [] });
  });

  it('reports model metadata with inputs and outputs, with or without the version', async () => {
    const expected = {
      name: 'sentiment',
      versions: ['1'],
      inputs: [{ name: 'TEXT', datatype: 'BYTES', shape: [-1] }],
      outputs: [
        { name: 'LABEL', datatype: 'BYTES', shape: [-1] },
        { name: 'SCORE', datatype: 'FP32', shape: [-1] },
      ],
    };
    expect(await call('/v2/models/sentiment')).toMatchObject({ status: 200, body: expected });
    expect(await call('/v2/models/sentiment/versions/1')).toMatchObject({ status: 200, body: expected });
  });

  it.each(['/v2/models/nope', '/v2/models/nope/ready', '/v2/models/sentiment/versions/9', '/v2/nothing', '/elsewhere'])(
    'answers 404 with an error body for %s',
    async (path) => {
      const { status, body } = await call(path);
      expect(status).toBe(404);
      expect(body).toEqual({ error: expect.any(String) });
    },
  );

  it('answers 405 to the wrong method', async () => {
    const res = await call('/v2/models/sentiment/infer');
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
  });
});

describe('model server: infer', () => {
  it('classifies a batch of texts with sentiment', async () => {
    const { status, body } = await infer('sentiment', { id: 'req-1', ...text(['I love it', 'this is not good', 'order 42']) });
    expect(status).toBe(200);
    expect(body).toMatchObject({
      model_name: 'sentiment',
      model_version: '1',
      id: 'req-1',
      outputs: [
        { name: 'LABEL', datatype: 'BYTES', shape: [3], data: ['positive', 'negative', 'neutral'] },
        { name: 'SCORE', datatype: 'FP32', shape: [3] },
      ],
    });
  });

  it('returns only the requested outputs', async () => {
    const { body } = await infer('sentiment', { ...text(['good']), outputs: [{ name: 'SCORE' }] });
    expect((body as { outputs: { name: string }[] }).outputs.map((o) => o.name)).toEqual(['SCORE']);
  });

  it('echoes every input of any datatype and batch size, flattening nested data', async () => {
    const inputs = [
      { name: 'A', datatype: 'INT64', shape: [2, 2], data: [[1, 2], [3, 4]] },
      { name: 'B', datatype: 'BYTES', shape: [3], data: ['x', 'y', 'z'] },
      { name: 'C', datatype: 'BOOL', shape: [1], data: [true] },
    ];
    const { status, body } = await infer('echo', { inputs });
    expect(status).toBe(200);
    expect((body as { outputs: unknown }).outputs).toEqual([
      { name: 'A', datatype: 'INT64', shape: [2, 2], data: [1, 2, 3, 4] },
      { name: 'B', datatype: 'BYTES', shape: [3], data: ['x', 'y', 'z'] },
      { name: 'C', datatype: 'BOOL', shape: [1], data: [true] },
    ]);
  });

  it.each([
    ['a body that is not JSON', 'sentiment', '{nope', /not valid JSON/],
    ['no inputs', 'sentiment', { inputs: [] }, /inputs/],
    ['a datatype mismatch', 'sentiment', text([1, 2], [2], 'FP32'), /datatype FP32 does not match/],
    ['a shape mismatch with the data', 'sentiment', text(['a', 'b'], [3]), /needs 3 elements, data has 2/],
    ['a shape of the wrong rank', 'sentiment', text(['a', 'b'], [1, 2]), /does not match the model's \[-1\]/],
    ['a missing input', 'sentiment', { inputs: [{ name: 'OTHER', datatype: 'BYTES', shape: [1], data: ['a'] }] }, /unexpected input OTHER/],
    ['elements of the wrong type', 'sentiment', text(['a', 2]), /element 1 is not a valid BYTES/],
    ['an empty batch', 'sentiment', text([], [0]), /at least one element/],
    ['an unknown output', 'sentiment', { ...text(['a']), outputs: [{ name: 'NOPE' }] }, /unknown output NOPE/],
    ['an out-of-range integer', 'echo', { inputs: [{ name: 'X', datatype: 'UINT8', shape: [1], data: [256] }] }, /UINT8/],
    ['an unknown datatype', 'echo', { inputs: [{ name: 'X', datatype: 'STRING', shape: [1], data: ['a'] }] }, /unknown datatype/],
  ])('rejects %s with 400', async (_, model, body, message) => {
    const res = await call(`/v2/models/${model}/infer`, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) });
    expect(res.status).toBe(400);
    expect((res.body as { error: string }).error).toMatch(message);
  });

  it('answers 404 to an unknown model', async () => {
    const res = await infer('nope', text(['a']));
    expect(res).toMatchObject({ status: 404, body: { error: 'model nope not found' } });
  });

  it('answers 413 to a body over the limit, declared or streamed', async () => {
    const big = JSON.stringify(text(['x'.repeat(5000)]));
    const declared = await call('/v2/models/echo/infer', { method: 'POST', body: big });
    expect(declared.status).toBe(413);
    const chunks = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(big));
        controller.close();
      },
    });
    const streamed = await call('/v2/models/echo/infer', { method: 'POST', body: chunks, duplex: 'half' } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(streamed.body).toEqual({ error: 'request body exceeds 4096 bytes' });
  });

  it('keeps connections alive', async () => {
    const res = await fetch(`${server.url}/v2/health/live`);
    await res.text();
    expect(res.headers.get('connection')).toBe('keep-alive');
  });
});

describe('model server lifecycle', () => {
  it('refuses url before start and closes idempotently', async () => {
    const other = createModelServer();
    expect(() => other.url).toThrow(/not started/);
    await other.start();
    expect(other.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await Promise.all([other.close(), other.close()]);
    await expect(fetch(`${other.url}/v2/health/live`)).rejects.toThrow();
  });
});
