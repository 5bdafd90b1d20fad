import { afterEach, describe, expect, it } from 'vitest';
import { createKserveGrpcClient } from '../../../connectors/kserve/client-grpc.ts';
import type { InferenceClient, InferenceRequest } from '../../../connectors/types.ts';
import { kserveGrpcBackendSchema } from '../../../schemas/connector-config.ts';
import type { KserveGrpcBackendConfig } from '../../../schemas/connector-config.ts';
import { closedPort, failure, live, useModelServer } from '../../support/http-test-kit.ts';
import { waitFor } from '../../support/wait-for.ts';
import { bareServer } from './grpc-test-support.ts';
import type { Seen } from './grpc-test-support.ts';

const server = useModelServer();
const clients: InferenceClient[] = [];
afterEach(() => Promise.all(clients.splice(0).map((c) => c.close())));

type Overrides = Partial<Omit<KserveGrpcBackendConfig, 'triton'>> & { triton?: { priority?: number; sendTimeout?: boolean } };

function client(overrides: Overrides = {}): InferenceClient {
  const c = createKserveGrpcClient(kserveGrpcBackendSchema.parse({ kind: 'kserve-grpc', url: server.grpcUrl, model: 'sentiment', ...overrides }));
  clients.push(c);
  return c;
}

const texts = (...data: string[]): InferenceRequest => ({ id: 'evt-1', inputs: { TEXT: data } });

describe('kserve-grpc client: happy paths', () => {
  it.each(['never', 'always'] as const)('classifies a batch with the sentiment model (raw: %s)', async (raw) => {
    const response = await client({ raw }).infer(texts('I love it', 'not good at all', 'order 42'), live());
    expect(response).toMatchObject({ modelName: 'sentiment', modelVersion: '1', outputs: { LABEL: ['positive', 'negative', 'neutral'] } });
    const scores = response.outputs.SCORE as number[];
    expect(scores).toHaveLength(3);
    expect(scores[0]).toBeGreaterThan(0);
    expect(scores[1]).toBeLessThan(0);
    expect(server.stats.model('sentiment').byStatus).toEqual({ OK: 1 });
  });

  const inputs = {
    I: [[1, -2], [3, 2 ** 40]],
    F: [0.5, -1.25, 3],
    B: [true, false, true],
    S: ['ä', '', 'three words here'],
  };
  it.each(['never', 'always', 'auto'] as const)('round-trips INT64, FP32, BOOL and BYTES batches through echo (raw: %s)', async (raw) => {
    const echo = client({ model: 'echo', version: '1', raw, datatypes: { F: 'FP32' } });
    const response = await echo.infer({ id: 'e', inputs }, live());
    expect({ ...response.outputs }).toEqual({ I: [1, -2, 3, 2 ** 40], F: [0.5, -1.25, 3], B: [true, false, true], S: ['ä', '', 'three words here'] });
  });

  it('sends narrow integer and half-precision datatypes (FP16 always raw)', async () => {
    const datatypes = { A: 'INT8', B: 'UINT16', C: 'UINT64', D: 'FP16', E: 'INT32' } as const;
    const echo = client({ model: 'echo', raw: 'never', datatypes });
    const response = await echo.infer({ id: 'n', inputs: { A: [-128, 127], B: [65_535], C: [2 ** 53 - 1], D: [1.5, -0.25], E: [-7] } }, live());
    expect({ ...response.outputs }).toEqual({ A: [-128, 127], B: [65_535], C: [2 ** 53 - 1], D: [1.5, -0.25], E: [-7] });
  });

  it('sends large float tensors raw under auto, and decodes raw outputs', async () => {
    const seen: Seen = {};
    const url = await bareServer({ model_name: 'm', outputs: [{ name: 'Y', datatype: 'FP32', shape: [1] }], raw_output_contents: [Buffer.from([0, 0, 0xc0, 0x3f])] }, { seen });
    const c = client({ url, model: 'm', preflight: false });
    const response = await c.infer({ id: 'big', inputs: { X: Array.from({ length: 64 }, (_, i) => i + 0.5) } }, live());
    expect(response.outputs.Y).toEqual([1.5]);
    expect(seen.request?.raw_input_contents).toHaveLength(1);
    expect(seen.request?.inputs[0]).toMatchObject({ name: 'X', datatype: 'FP64', shape: ['64'], contents: null });

    await c.infer({ id: 'small', inputs: { X: [0.5, 1.5] } }, live());
    expect(seen.request?.raw_input_contents).toEqual([]);
    expect(seen.request?.inputs[0]?.contents?.fp64_contents).toEqual([0.5, 1.5]);
  });

  it('sends the id, traceparent, configured headers as metadata, Triton priority and timeout, and the deadline', async () => {
    const seen: Seen = {};
    const url = await bareServer({ model_name: 'm', outputs: [{ name: 'Y', datatype: 'BOOL', shape: [1], contents: { bool_contents: [true] } }] }, { seen });
    const c = client({ url, model: 'm', version: '3', preflight: false, headers: { 'X-Api-Key': 'k' }, triton: { priority: 2, sendTimeout: true } });
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const deadline = Date.now() + 30_000;
    await c.infer({ id: 'evt-7', inputs: { A: 'x' }, parameters: { tag: 'a', ratio: 0.5 } }, { ...live(), traceparent, deadline });
    expect(seen.request).toMatchObject({ model_name: 'm', model_version: '3', id: 'evt-7' });
    expect(seen.metadata?.get('traceparent')).toEqual([traceparent]);
    expect(seen.metadata?.get('x-api-key')).toEqual(['k']);
    const parameters = seen.request!.parameters!;
    expect(parameters.tag).toMatchObject({ string_param: 'a' });
    expect(parameters.ratio).toMatchObject({ double_param: 0.5 });
    expect(parameters.priority).toMatchObject({ int64_param: '2' });
    const timeoutUs = Number(parameters.timeout?.int64_param);
    expect(timeoutUs).toBeGreaterThan(0);
    expect(timeoutUs).toBeLessThanOrEqual(30_000_000);
    // The deadline travels as a relative grpc-timeout, so the server's copy is approximate.
    const serverDeadline = new Date(seen.deadline!).getTime();
    expect(serverDeadline).toBeGreaterThan(Date.now());
    expect(serverDeadline).toBeLessThan(deadline + 1000);
  });

  it('keeps one channel for many calls and answers concurrent calls', async () => {
    const c = client();
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => c.infer(texts(`great ${i}`), live())));
    expect(results.every((r) => (r.outputs.LABEL as string[])[0] === 'positive')).toBe(true);
    expect(server.stats.model('sentiment').requests).toBe(20);
  });
});

describe('kserve-grpc client: error classes', () => {
  it.each([
    ['INVALID_ARGUMENT (one poisoned event)', { rejectMarker: 'POISON' }, 'INFERENCE_REJECTED', 'INVALID_ARGUMENT', false, undefined],
    ['RESOURCE_EXHAUSTED with retry-after', { failNext: 1, errorStatus: 429, retryAfterSeconds: 3 }, 'INFERENCE_RATE_LIMITED', 'RESOURCE_EXHAUSTED', true, 3000],
    ['UNAVAILABLE with retry-after', { failNext: 1, errorStatus: 503, retryAfterSeconds: 2 }, 'INFERENCE_UNAVAILABLE', 'UNAVAILABLE', true, 2000],
    ['UNAVAILABLE from a not-ready model', { notReady: true }, 'INFERENCE_UNAVAILABLE', 'UNAVAILABLE', true, undefined],
    ['INTERNAL', { failNext: 1, errorStatus: 500 }, 'INFERENCE_FAILED', 'INTERNAL', true, undefined],
    ['DEADLINE_EXCEEDED sent by the server', { failNext: 1, errorStatus: 504 }, 'INFERENCE_TIMEOUT', 'DEADLINE_EXCEEDED', true, undefined],
    ['a grpcCode override (DATA_LOSS)', { failNext: 1, errorStatus: 500, grpcCode: 'DATA_LOSS' }, 'INFERENCE_FAILED', 'DATA_LOSS', true, undefined],
    ['a grpcCode override (PERMISSION_DENIED)', { failNext: 1, grpcCode: 'PERMISSION_DENIED' }, 'INFERENCE_UNAUTHORIZED', 'PERMISSION_DENIED', true, undefined],
    ['a grpcCode override (UNAUTHENTICATED)', { failNext: 1, grpcCode: 'UNAUTHENTICATED' }, 'INFERENCE_UNAUTHORIZED', 'UNAUTHENTICATED', true, undefined],
  ] as const)('%s', async (_, fault, code, upstream, retryable, retryAfterMs) => {
    server.faults.set('sentiment', fault);
    const error = await failure(client().infer(texts('a POISON text'), live()));
    expect(error).toMatchObject({ code, upstreamStatus: upstream, retryable, retryAfterMs });
    expect(server.stats.model('sentiment').byStatus).toEqual({ [upstream]: 1 });
  });

  it('NOT_FOUND for an unknown model → MODEL_NOT_FOUND, from the metadata call or the infer call', async () => {
    expect(await failure(client({ model: 'nope' }).infer(texts('a'), live()))).toMatchObject({ code: 'MODEL_NOT_FOUND', upstreamStatus: 'NOT_FOUND', retryable: false });
    expect(await failure(client({ model: 'nope', preflight: false }).infer(texts('a'), live()))).toMatchObject({ code: 'MODEL_NOT_FOUND' });
    expect(await failure(client({ version: '9', preflight: false }).infer(texts('a'), live()))).toMatchObject({ code: 'MODEL_NOT_FOUND' });
  });

  it('a hanging model and a passed deadline → INFERENCE_TIMEOUT (DEADLINE_EXCEEDED), and the server sees the call end', async () => {
    server.faults.set('sentiment', { hang: true });
    const c = client();
    await c.ready(AbortSignal.timeout(5000));
    const error = await failure(c.infer(texts('a'), { ...live(), deadline: Date.now() + 300 }));
    expect(error).toMatchObject({ code: 'INFERENCE_TIMEOUT', upstreamStatus: 'DEADLINE_EXCEEDED', retryable: true });
    await waitFor(() => server.stats.model('sentiment').byStatus.aborted === 1, { what: 'the server to see the call end' });
  });

  it('a client timeout (TimeoutError abort) → INFERENCE_TIMEOUT; a shutdown abort → ABORTED; the server sees both calls end', async () => {
    server.faults.set('sentiment', { hang: true });
    const c = client();
    expect(await failure(c.infer(texts('a'), { signal: AbortSignal.timeout(200) }))).toMatchObject({ code: 'INFERENCE_TIMEOUT', retryable: true });
    const shutdown = new AbortController();
    const pending = failure(c.infer(texts('a'), { signal: shutdown.signal }));
    await waitFor(() => server.stats.model('sentiment').requests === 2, { what: 'the second call to arrive' });
    shutdown.abort(new Error('shutdown'));
    expect(await pending).toMatchObject({ code: 'ABORTED', retryable: false });
    await waitFor(() => server.stats.model('sentiment').byStatus.aborted === 2, { what: 'the server to see both calls end' });
  });

  it('an already aborted signal fails without a call', async () => {
    const error = await failure(client({ preflight: false }).infer(texts('a'), { signal: AbortSignal.abort() }));
    expect(error.code).toBe('ABORTED');
    expect(server.stats.model('sentiment').requests).toBe(0);
  });

  it('a refused connection → INFERENCE_UNAVAILABLE (UNAVAILABLE), promptly', async () => {
    const error = await failure(client({ url: await closedPort(), preflight: false }).infer(texts('a'), live()));
    expect(error).toMatchObject({ code: 'INFERENCE_UNAVAILABLE', upstreamStatus: 'UNAVAILABLE', retryable: true });
  });

  it.each([
    ['bytes that are no protobuf message', Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]), true],
    ['a response without outputs', { model_name: 'm', outputs: [] }, false],
    ['raw contents of the wrong length', { outputs: [{ name: 'Y', datatype: 'FP32', shape: [2] }], raw_output_contents: [Buffer.alloc(7)] }, false],
    ['fewer raw contents than outputs', { outputs: [{ name: 'Y', datatype: 'FP32', shape: [1] }, { name: 'Z', datatype: 'FP32', shape: [1] }], raw_output_contents: [Buffer.alloc(4)] }, false],
    ['typed contents that do not fill the shape', { outputs: [{ name: 'Y', datatype: 'INT32', shape: [3], contents: { int_contents: [1] } }] }, false],
    ['an unknown datatype', { outputs: [{ name: 'Y', datatype: 'COMPLEX', shape: [1], contents: {} }] }, false],
    ['truncated raw BYTES', { outputs: [{ name: 'Y', datatype: 'BYTES', shape: [1] }], raw_output_contents: [Buffer.from([9, 0, 0, 0, 0x61])] }, false],
    ['raw contents longer than the shape needs', { outputs: [{ name: 'Y', datatype: 'FP64', shape: [1] }], raw_output_contents: [Buffer.alloc(16)] }, false],
    ['raw BYTES with bytes past the last element', { outputs: [{ name: 'Y', datatype: 'BYTES', shape: [1] }], raw_output_contents: [Buffer.from([1, 0, 0, 0, 0x61, 0x62])] }, false],
    ['raw BYTES declaring a 4 GiB element', { outputs: [{ name: 'Y', datatype: 'BYTES', shape: [1] }], raw_output_contents: [Buffer.from([0xff, 0xff, 0xff, 0xff, 0x61])] }, false],
    ['raw BYTES with a shape of 2^40 elements', { outputs: [{ name: 'Y', datatype: 'BYTES', shape: [2 ** 40] }], raw_output_contents: [Buffer.alloc(8)] }, false],
    ['raw contents for an output whose datatype has no size', { outputs: [{ name: 'Y', datatype: 'COMPLEX', shape: [1] }], raw_output_contents: [Buffer.alloc(8)] }, false],
    ['a negative dimension', { outputs: [{ name: 'Y', datatype: 'FP32', shape: [-1] }], raw_output_contents: [Buffer.alloc(4)] }, false],
  ])('a malformed response (%s) → INFERENCE_BAD_RESPONSE', async (_, answer, rawResponse) => {
    const url = await bareServer(answer, { rawResponse });
    const error = await failure(client({ url, model: 'm' }).infer(texts('a'), live()));
    expect(error).toMatchObject({ code: 'INFERENCE_BAD_RESPONSE', retryable: false });
  });

  it('a value that does not fit its configured raw datatype → MAPPING_FAILED before any request', async () => {
    const error = await failure(client({ model: 'echo', raw: 'always', preflight: false, datatypes: { A: 'INT8' } }).infer({ id: 'r', inputs: { A: [1, 300] } }, live()));
    expect(error).toMatchObject({ code: 'MAPPING_FAILED', retryable: false });
    expect(error.message).toContain('element 1 (300) does not fit INT8');
    expect(server.stats.model('echo').requests).toBe(0);
  });

});

describe('kserve-grpc client: ready()', () => {
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
    expect(await client({ url: await closedPort() }).ready(AbortSignal.timeout(5000))).toBe(false);
    expect(await client().ready(AbortSignal.abort())).toBe(false);
  });
});

describe('kserve-grpc client: refused credentials are an outage, not a poison message', () => {
  const answer = { model_name: 'm', outputs: [{ name: 'Y', datatype: 'BOOL', shape: [1], contents: { bool_contents: [true] } }] };
  const gatedClient = async (headers: Record<string, string>) =>
    client({ url: await bareServer(answer, { authorization: 'Bearer good-key' }), model: 'm', preflight: false, headers });

  it.each([
    ['no credentials', {}, 'UNAUTHENTICATED'],
    ['credentials without the permission', { authorization: 'Bearer other-key' }, 'PERMISSION_DENIED'],
  ] as const)('%s: infer → INFERENCE_UNAUTHORIZED (retryable) and ready() is false', async (_, headers, upstream) => {
    const c = await gatedClient(headers);
    expect(await failure(c.infer(texts('a'), live()))).toMatchObject({ code: 'INFERENCE_UNAUTHORIZED', retryable: true, upstreamStatus: upstream });
    expect(await c.ready(AbortSignal.timeout(5000))).toBe(false);
  });

  it('with the accepted credentials, ready() is true and infer answers', async () => {
    const c = await gatedClient({ authorization: 'Bearer good-key' });
    expect(await c.ready(AbortSignal.timeout(5000))).toBe(true);
    expect((await c.infer(texts('a'), live())).outputs).toEqual({ Y: [true] });
  });
});

describe('kserve-grpc client: maxResponseBytes', () => {
  it('an answer larger than maxResponseBytes is INFERENCE_BAD_RESPONSE (not a rate limit), and the channel keeps working', async () => {
    const echo = createKserveGrpcClient(kserveGrpcBackendSchema.parse({ kind: 'kserve-grpc', url: server.grpcUrl, model: 'echo' }), { maxResponseBytes: 4096 });
    clients.push(echo);
    const error = await failure(echo.infer({ id: 'big', inputs: { S: ['x'.repeat(20_000)] } }, live()));
    expect(error).toMatchObject({ code: 'INFERENCE_BAD_RESPONSE', retryable: false });
    expect(error.message).toMatch(/maxResponseBytes/);
    const small = await echo.infer({ id: 'small', inputs: { S: ['fits'] } }, live());
    expect(small.outputs.S).toEqual(['fits']);
  });
});
