import { credentials } from '@grpc/grpc-js';
import type { Client, ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InferenceServiceClient } from '../../../connectors/kserve/grpc-proto.ts';
import { faultSpecSchema, latencyFor } from '../../../services/model-server/faults.ts';
import type { ActiveFault } from '../../../services/model-server/faults.ts';
import { grpcCodeForHttp } from '../../../services/model-server/grpc-status.ts';
import { createModelServer } from '../../../services/model-server/server.ts';
import type { ModelServer } from '../../../services/model-server/server.ts';

let server: ModelServer;
let raw: Client & Record<string, (request: object, callback: (error: ServiceError | null, response?: unknown) => void) => void>;

beforeAll(async () => {
  server = createModelServer();
  await server.start();
  raw = new InferenceServiceClient(server.grpcUrl, credentials.createInsecure()) as typeof raw;
});
afterAll(async () => {
  raw.close();
  await server.close();
});

const unary = (method: string, request: object) =>
  new Promise<unknown>((resolve, reject) => raw[method]!(request, (error, response) => (error ? reject(error) : resolve(response))));

describe('model server: gRPC endpoint', () => {
  it('answers health, server metadata and model metadata like the HTTP endpoint', async () => {
    expect(await unary('ServerLive', {})).toEqual({ live: true });
    expect(await unary('ServerReady', {})).toEqual({ ready: true });
    expect(await unary('ServerMetadata', {})).toMatchObject({ name: 'modelbridge-model-server' });
    expect(await unary('ModelMetadata', { name: 'sentiment' })).toEqual({
      name: 'sentiment',
      versions: ['1'],
      platform: 'modelbridge_lexicon',
      inputs: [{ name: 'TEXT', datatype: 'BYTES', shape: ['-1'] }],
      outputs: [
        { name: 'LABEL', datatype: 'BYTES', shape: ['-1'] },
        { name: 'SCORE', datatype: 'FP32', shape: ['-1'] },
      ],
    });
    expect(await unary('ModelReady', { name: 'sentiment', version: '1' })).toEqual({ ready: true });
  });

  it.each([
    ['an unknown model', 'ModelMetadata', { name: 'nope' }, 'NOT_FOUND'],
    ['an unknown version', 'ModelReady', { name: 'echo', version: '7' }, 'NOT_FOUND'],
    ['no inputs', 'ModelInfer', { model_name: 'echo', inputs: [] }, 'INVALID_ARGUMENT'],
    ['a wrong input for sentiment', 'ModelInfer', { model_name: 'sentiment', inputs: [{ name: 'X', datatype: 'BOOL', shape: [1], contents: { bool_contents: [true] } }] }, 'INVALID_ARGUMENT'],
    ['contents short of the shape', 'ModelInfer', { model_name: 'echo', inputs: [{ name: 'X', datatype: 'INT32', shape: [2], contents: { int_contents: [1] } }] }, 'INVALID_ARGUMENT'],
    ['raw contents of the wrong length', 'ModelInfer', { model_name: 'echo', inputs: [{ name: 'X', datatype: 'FP32', shape: [1] }], raw_input_contents: [Buffer.alloc(3)] }, 'INVALID_ARGUMENT'],
    ['raw contents longer than the shape needs', 'ModelInfer', { model_name: 'echo', inputs: [{ name: 'X', datatype: 'FP32', shape: [1] }], raw_input_contents: [Buffer.alloc(8)] }, 'INVALID_ARGUMENT'],
    ['raw INT64 contents not a multiple of 8 bytes', 'ModelInfer', { model_name: 'echo', inputs: [{ name: 'X', datatype: 'INT64', shape: [2] }], raw_input_contents: [Buffer.alloc(12)] }, 'INVALID_ARGUMENT'],
    ['raw BYTES cut inside an element', 'ModelInfer', { model_name: 'echo', inputs: [{ name: 'X', datatype: 'BYTES', shape: [1] }], raw_input_contents: [Buffer.from([9, 0, 0, 0, 0x61])] }, 'INVALID_ARGUMENT'],
    ['raw BYTES with bytes past the last element', 'ModelInfer', { model_name: 'echo', inputs: [{ name: 'X', datatype: 'BYTES', shape: [1] }], raw_input_contents: [Buffer.from([1, 0, 0, 0, 0x61, 0x62])] }, 'INVALID_ARGUMENT'],
    ['raw BYTES declaring a 4 GiB element', 'ModelInfer', { model_name: 'echo', inputs: [{ name: 'X', datatype: 'BYTES', shape: [1] }], raw_input_contents: [Buffer.from([0xff, 0xff, 0xff, 0xff, 0x61])] }, 'INVALID_ARGUMENT'],
    ['raw BYTES with a shape of 2^40 elements', 'ModelInfer', { model_name: 'echo', inputs: [{ name: 'X', datatype: 'BYTES', shape: [2 ** 40] }], raw_input_contents: [Buffer.alloc(8)] }, 'INVALID_ARGUMENT'],
    ['more raw contents than inputs', 'ModelInfer', { model_name: 'echo', inputs: [{ name: 'X', datatype: 'FP32', shape: [1] }], raw_input_contents: [Buffer.alloc(4), Buffer.alloc(4)] }, 'INVALID_ARGUMENT'],
    ['typed and raw contents together', 'ModelInfer', { model_name: 'echo', inputs: [{ name: 'X', datatype: 'FP32', shape: [1], contents: { fp32_contents: [1] } }], raw_input_contents: [Buffer.alloc(4)] }, 'INVALID_ARGUMENT'],
    ['an INT8 out of range', 'ModelInfer', { model_name: 'echo', inputs: [{ name: 'X', datatype: 'INT8', shape: [1], contents: { int_contents: [300] } }] }, 'INVALID_ARGUMENT'],
    ['an unknown requested output', 'ModelInfer', { model_name: 'sentiment', inputs: [{ name: 'TEXT', datatype: 'BYTES', shape: [1], contents: { bytes_contents: [Buffer.from('a')] } }], outputs: [{ name: 'NOPE' }] }, 'INVALID_ARGUMENT'],
  ])('answers %s with %s', async (_, method, request, code) => {
    const error = (await unary(method, request).catch((e: unknown) => e)) as ServiceError;
    expect(error.code).toBe(code === 'NOT_FOUND' ? 5 : 3);
    expect(error.details).not.toBe('');
  });

  it('returns only the requested outputs', async () => {
    const response = (await unary('ModelInfer', {
      model_name: 'sentiment',
      id: 'r1',
      inputs: [{ name: 'TEXT', datatype: 'BYTES', shape: [1], contents: { bytes_contents: [Buffer.from('great')] } }],
      outputs: [{ name: 'LABEL' }],
    })) as { id: string; outputs: { name: string }[] };
    expect(response.id).toBe('r1');
    expect(response.outputs.map((o) => o.name)).toEqual(['LABEL']);
  });

  it('can be disabled', async () => {
    const httpOnly = createModelServer({ grpcPort: false });
    await httpOnly.start();
    expect(() => httpOnly.grpcUrl).toThrow(/not started/);
    await httpOnly.close();
  });
});

describe('HTTP status → gRPC code', () => {
  it.each([
    [400, 'INVALID_ARGUMENT'], [404, 'NOT_FOUND'], [429, 'RESOURCE_EXHAUSTED'], [500, 'INTERNAL'], [503, 'UNAVAILABLE'],
    [504, 'DEADLINE_EXCEEDED'], [401, 'UNAUTHENTICATED'], [418, 'FAILED_PRECONDITION'], [599, 'INTERNAL'],
  ])('%d → %s', (status, code) => {
    expect(grpcCodeForHttp(status)).toBe(code);
  });
});

describe('lognormal latency fault', () => {
  const fault = (spec: object) => ({ ...faultSpecSchema.parse(spec), remainingFailures: 0 }) as ActiveFault;

  it('has the given median and 99th percentile', () => {
    const f = fault({ latencyMs: { p50: 20, p99: 200 } });
    // Box–Muller: u2 = 0.25 gives z = 0; u1 = 1 - e^(-z²/2) with u2 = 0 gives z = 2.326.
    const sequence = (...values: number[]) => () => values.shift()!;
    expect(latencyFor(f, sequence(0.5, 0.25))).toBeCloseTo(20, 9);
    expect(latencyFor(f, sequence(1 - Math.exp(-(2.326_347_874 ** 2) / 2), 0))).toBeCloseTo(200, 6);
  });

  it('spreads samples around the median (seeded)', () => {
    let seed = 42;
    // mulberry32: a small deterministic PRNG, so the test cannot flake.
    const random = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
    };
    const f = fault({ latencyMs: { p50: 10, p99: 100 } });
    const samples = Array.from({ length: 20_000 }, () => latencyFor(f, random)).sort((a, b) => a - b);
    expect(samples[10_000]).toBeGreaterThan(9);
    expect(samples[10_000]).toBeLessThan(11);
    expect(samples[19_800]).toBeGreaterThan(80);
    expect(samples[19_800]).toBeLessThan(125);
    expect(samples[0]).toBeGreaterThan(0);
  });

  it('refuses p50 above p99', () => {
    expect(faultSpecSchema.safeParse({ latencyMs: { p50: 10, p99: 5 } }).success).toBe(false);
    expect(faultSpecSchema.safeParse({ grpcCode: 'OK' }).success).toBe(false);
  });
});
