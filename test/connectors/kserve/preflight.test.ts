import { afterEach, describe, expect, it } from 'vitest';
import { ModelbridgeError } from '../../../schemas/errors.ts';
import { createKserveGrpcClient } from '../../../connectors/kserve/client-grpc.ts';
import { createKserveHttpClient } from '../../../connectors/kserve/client-http.ts';
import { createPreflight, readInputMetadata } from '../../../connectors/kserve/preflight.ts';
import type { InputMetadata } from '../../../connectors/kserve/preflight.ts';
import { toWireTensor } from '../../../connectors/kserve/tensors.ts';
import type { InferenceClient } from '../../../connectors/types.ts';
import { kserveGrpcBackendSchema, kserveHttpBackendSchema } from '../../../schemas/connector-config.ts';
import { createEchoModel } from '../../../services/model-server/models/echo.ts';
import type { Model } from '../../../services/model-server/models/model.ts';
import { createSentimentModel } from '../../../services/model-server/models/sentiment.ts';
import { failure, useModelServer } from '../../support/http-test-kit.ts';

const signal = () => AbortSignal.timeout(5000);

describe('preflight (unit)', () => {
  const declared: InputMetadata[] = [
    { name: 'X', datatype: 'FP32', shape: [-1, 2] },
    { name: 'N', datatype: 'INT8', shape: [-1] },
    { name: 'T', datatype: 'BYTES', shape: [1] },
  ];
  const setup = (configured: string[] = [], now = () => 0) => {
    let fetches = 0;
    let inputs = declared;
    const preflight = createPreflight({
      label: 'test',
      configured: new Set(configured),
      now,
      fetchInputs: () => {
        fetches++;
        return Promise.resolve(inputs);
      },
    });
    return { preflight, fetches: () => fetches, replace: (next: InputMetadata[]) => (inputs = next) };
  };

  it('fetches once, lazily, for concurrent and later calls', async () => {
    const { preflight, fetches } = setup();
    expect(fetches()).toBe(0);
    await Promise.all([1, 2, 3].map(() => preflight.check([toWireTensor('T', 'a')], signal())));
    await preflight.check([toWireTensor('T', 'b')], signal());
    expect(fetches()).toBe(1);
  });

  it('adapts inferred datatypes and adds a missing batch dimension; keeps the same array when nothing changes', async () => {
    const { preflight } = setup();
    const checked = await preflight.check([toWireTensor('X', [1, 2]), toWireTensor('N', [[-3], [4]].flat())], signal());
    expect(checked.map(({ name, datatype, shape }) => ({ name, datatype, shape }))).toEqual([
      { name: 'X', datatype: 'FP32', shape: [1, 2] },
      { name: 'N', datatype: 'INT8', shape: [2] },
    ]);
    const same = [toWireTensor('T', 'a')];
    expect(await preflight.check(same, signal())).toBe(same);
  });

  it.each([
    ['an unknown input name', [toWireTensor('Y', 1)], /input Y is not an input of the model/],
    ['a string for a float input', [toWireTensor('X', ['a', 'b'])], /datatype BYTES does not fit the model's FP32/],
    ['an integer out of INT8 range', [toWireTensor('N', [1, 300])], /element 1 \(300\) is out of range for the model's INT8/],
    ['a wrong fixed dimension', [toWireTensor('X', [[1, 2, 3]])], /shape \[1,3\] does not fit the model's \[-1,2\]/],
    ['a wrong rank', [toWireTensor('T', [['a']])], /shape \[1,1\] does not fit the model's \[1\]/],
  ])('rejects %s as INFERENCE_REJECTED', async (_, tensors, message) => {
    const error = await failure(setup().preflight.check(tensors, signal()));
    expect(error).toMatchObject({ code: 'INFERENCE_REJECTED', retryable: false });
    expect(error.message).toMatch(message);
  });

  it('never adapts a configured datatype', async () => {
    const error = await failure(setup(['X']).preflight.check([toWireTensor('X', [1, 2], 'FP64')], signal()));
    expect(error.message).toMatch(/datatype FP64 \(configured\) does not fit the model's FP32/);
  });

  it('checks nothing for a model that declares no inputs', async () => {
    const { preflight, replace } = setup();
    replace([]);
    const tensors = [toWireTensor('anything', [true])];
    expect(await preflight.check(tensors, signal())).toBe(tensors);
  });

  it('refetches after invalidate(), and on a mismatch once the cache is old enough', async () => {
    let clock = 0;
    const { preflight, fetches, replace } = setup([], () => clock);
    await preflight.check([toWireTensor('T', 'a')], signal());
    preflight.invalidate();
    await preflight.check([toWireTensor('T', 'a')], signal());
    expect(fetches()).toBe(2);

    replace([...declared, { name: 'NEW', datatype: 'BOOL', shape: [1] }]);
    await expect(preflight.check([toWireTensor('NEW', true)], signal())).rejects.toThrow(ModelbridgeError);
    expect(fetches()).toBe(2); // a fresh cache is trusted
    clock += 5_000;
    expect(await preflight.check([toWireTensor('NEW', true)], signal())).toHaveLength(1);
    expect(fetches()).toBe(3);
  });

  it('does not cache a failed fetch', async () => {
    let calls = 0;
    const preflight = createPreflight({
      label: 'test',
      configured: new Set(),
      fetchInputs: () => (++calls === 1 ? Promise.reject(new ModelbridgeError('INFERENCE_UNAVAILABLE', 'down')) : Promise.resolve([])),
    });
    expect((await failure(preflight.check([], signal()))).code).toBe('INFERENCE_UNAVAILABLE');
    expect(await preflight.check([], signal())).toEqual([]);
  });

  it('reads REST and gRPC metadata bodies, rejecting other shapes', () => {
    expect(readInputMetadata({ inputs: [{ name: 'A', datatype: 'INT64', shape: ['-1', '3'] }] })).toEqual([{ name: 'A', datatype: 'INT64', shape: [-1, 3] }]);
    expect(readInputMetadata({ inputs: [{ name: 'A', datatype: 'INT64', shape: ['x'] }] })).toBeUndefined();
    expect(readInputMetadata({ name: 'm' })).toBeUndefined();
    expect(readInputMetadata(null)).toBeUndefined();
  });
});

/** A model with a batched two-column FP32 input, to see adaptation end to end. */
function createPairSumModel(): Model {
  return {
    name: 'pair-sum',
    version: '1',
    platform: 'test',
    inputs: [{ name: 'X', datatype: 'FP32', shape: [-1, 2] }],
    outputs: [{ name: 'S', datatype: 'FP32', shape: [-1] }],
    infer(inputs) {
      const x = inputs.get('X')!;
      const rows = x.shape[0]!;
      const data = Array.from({ length: rows }, (_, i) => (x.data[2 * i] as number) + (x.data[2 * i + 1] as number));
      return [{ name: 'S', datatype: 'FP32', shape: [rows], data }];
    },
  };
}

describe('preflight in both clients, against the reference server', () => {
  const server = useModelServer({ models: [createSentimentModel(), createEchoModel(), createPairSumModel()] });
  const clients: InferenceClient[] = [];
  afterEach(() => Promise.all(clients.splice(0).map((c) => c.close())));

  const make = {
    http: (model: string, extra: object = {}) => createKserveHttpClient(kserveHttpBackendSchema.parse({ kind: 'kserve-http', url: server.url, model, ...extra })),
    grpc: (model: string, extra: object = {}) => createKserveGrpcClient(kserveGrpcBackendSchema.parse({ kind: 'kserve-grpc', url: server.grpcUrl, model, ...extra })),
  };

  describe.each(['http', 'grpc'] as const)('kserve-%s', (kind) => {
    const client = (model: string, extra?: object) => {
      const c = make[kind](model, extra);
      clients.push(c);
      return c;
    };

    it.each([
      ['a wrong input name', { TEXTS: ['a'] }],
      ['a wrong datatype', { TEXT: [1, 2] }],
      ['a wrong shape', { TEXT: [['a', 'b'], ['c', 'd']] }],
    ])('rejects %s with zero model requests', async (_, inputs) => {
      const error = await failure(client('sentiment').infer({ id: 'p', inputs }, { signal: signal() }));
      expect(error).toMatchObject({ code: 'INFERENCE_REJECTED', retryable: false });
      expect(error.message).toContain('preflight');
      expect(server.stats.model('sentiment').requests).toBe(0);
    });

    it('with preflight: false the server rejects instead (one model request)', async () => {
      const error = await failure(client('sentiment', { preflight: false }).infer({ id: 'p', inputs: { TEXTS: ['a'] } }, { signal: signal() }));
      expect(error).toMatchObject({ code: 'INFERENCE_REJECTED' });
      expect(error.message).not.toContain('preflight');
      expect(server.stats.model('sentiment').requests).toBe(1);
    });

    it('adapts an inferred INT64 row to the model’s batched FP32 input', async () => {
      const response = await client('pair-sum').infer({ id: 'p', inputs: { X: [1, 2] } }, { signal: signal() });
      expect(response.outputs.S).toEqual([3]);
    });

    it('passes anything to a model that declares no inputs (echo)', async () => {
      const response = await client('echo').infer({ id: 'p', inputs: { Q: [1, 2] } }, { signal: signal() });
      expect(response.outputs.Q).toEqual([1, 2]);
    });
  });
});
