import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findModelbridgeError } from '../../../../schemas/errors.ts';
import { createKserveHttpClient } from '../../../../connectors/kserve/client-http.ts';
import { kserveHttpBackendSchema } from '../../../../schemas/connector-config.ts';
import { HttpError } from '../../../../services/model-server/http-error.ts';
import type { Tensor } from '../../../../services/model-server/models/model.ts';
import { createOrderRiskModel, riskClass, RISK_THRESHOLDS, scoreOrderRisk } from '../../../../services/model-server/models/order-risk.ts';
import type { OrderFeatures } from '../../../../services/model-server/models/order-risk.ts';
import { createModelServer } from '../../../../services/model-server/server.ts';
import type { ModelServer } from '../../../../services/model-server/server.ts';

const order = fc.record({
  netAmount: fc.double({ min: 0, max: 5e7, noNaN: true }),
  itemCount: fc.integer({ min: 1, max: 500 }),
  creditBlocked: fc.boolean(),
  daysSinceLastOrder: fc.integer({ min: 0, max: 3650 }),
  paymentTermsDays: fc.integer({ min: 0, max: 365 }),
  countryRiskTier: fc.integer({ min: 0, max: 7 }),
});

/** For any order, a higher value of `feature` (everything else equal) never gives a lower score. */
function nonDecreasingIn<K extends keyof OrderFeatures>(feature: K, values: fc.Arbitrary<OrderFeatures[K]>): void {
  fc.assert(
    fc.property(order, values, values, (f, a, b) => {
      const [low, high] = a <= b ? [a, b] : [b, a];
      expect(scoreOrderRisk({ ...f, [feature]: high })).toBeGreaterThanOrEqual(scoreOrderRisk({ ...f, [feature]: low }));
    }),
  );
}

const base: OrderFeatures = { netAmount: 20_000, itemCount: 5, creditBlocked: false, daysSinceLastOrder: 60, paymentTermsDays: 30, countryRiskTier: 2 };

describe('scoreOrderRisk', () => {
  it('keeps every score in [0, 1]', () => {
    fc.assert(
      fc.property(order, (f) => {
        const score = scoreOrderRisk(f);
        expect(score).toBeGreaterThanOrEqual(0);
        expect(score).toBeLessThanOrEqual(1);
      }),
    );
  });

  it('never falls when the amount, item count, dormancy, payment terms or country risk rise', () => {
    nonDecreasingIn('netAmount', fc.double({ min: 0, max: 5e7, noNaN: true }));
    nonDecreasingIn('itemCount', fc.integer({ min: 1, max: 500 }));
    nonDecreasingIn('daysSinceLastOrder', fc.integer({ min: 0, max: 3650 }));
    nonDecreasingIn('paymentTermsDays', fc.integer({ min: 0, max: 365 }));
    nonDecreasingIn('countryRiskTier', fc.integer({ min: 0, max: 7 }));
  });

  it.each([
    ['netAmount', 50_000],
    ['itemCount', 20],
    ['creditBlocked', true],
    ['daysSinceLastOrder', 365],
    ['paymentTermsDays', 90],
    ['countryRiskTier', 5],
  ] as const)('rises strictly with %s from a mid-range order', (feature, higher) => {
    expect(scoreOrderRisk({ ...base, [feature]: higher })).toBeGreaterThan(scoreOrderRisk(base));
  });

  it('scores a credit-blocked customer strictly higher than the same order unblocked', () => {
    fc.assert(
      fc.property(order, (f) => {
        const blocked = scoreOrderRisk({ ...f, creditBlocked: true });
        const clear = scoreOrderRisk({ ...f, creditBlocked: false });
        // Strict unless both saturate at 1 in double precision.
        expect(blocked > clear || (blocked === 1 && clear === 1)).toBe(true);
      }),
    );
  });

  it('tells a routine domestic reorder from a blocked, dormant, export order on long terms', () => {
    const routine = { netAmount: 4800, itemCount: 3, creditBlocked: false, daysSinceLastOrder: 12, paymentTermsDays: 30, countryRiskTier: 0 };
    const risky = { netAmount: 250_000, itemCount: 40, creditBlocked: true, daysSinceLastOrder: 400, paymentTermsDays: 90, countryRiskTier: 6 };
    expect(riskClass(scoreOrderRisk(routine))).toBe('low');
    expect(riskClass(scoreOrderRisk(risky))).toBe('high');
  });
});

describe('riskClass', () => {
  it('splits at the thresholds, each bound belonging to the higher class', () => {
    expect(riskClass(0)).toBe('low');
    expect(riskClass(RISK_THRESHOLDS.medium - 1e-9)).toBe('low');
    expect(riskClass(RISK_THRESHOLDS.medium)).toBe('medium');
    expect(riskClass(RISK_THRESHOLDS.high - 1e-9)).toBe('medium');
    expect(riskClass(RISK_THRESHOLDS.high)).toBe('high');
    expect(riskClass(1)).toBe('high');
  });
});

const columns = (n: number, overrides: Record<string, unknown[]> = {}): Map<string, Tensor> => {
  const data: Record<string, [string, unknown]> = {
    NET_AMOUNT: ['FP64', 1000.5],
    ITEM_COUNT: ['INT64', 2],
    CREDIT_BLOCKED: ['BOOL', false],
    DAYS_SINCE_LAST_ORDER: ['INT64', 30],
    PAYMENT_TERMS_DAYS: ['INT64', 30],
    COUNTRY_RISK_TIER: ['INT64', 1],
  };
  return new Map(
    Object.entries(data).map(([name, [datatype, value]]) => {
      const values = overrides[name] ?? new Array<unknown>(n).fill(value);
      return [name, { name, datatype, shape: [values.length], data: values }];
    }),
  );
};

describe('order-risk model', () => {
  const model = createOrderRiskModel();

  it('declares its six feature inputs and two outputs', () => {
    expect(model.inputs.map((i) => `${i.name}:${i.datatype}`)).toEqual([
      'NET_AMOUNT:FP64', 'ITEM_COUNT:INT64', 'CREDIT_BLOCKED:BOOL', 'DAYS_SINCE_LAST_ORDER:INT64', 'PAYMENT_TERMS_DAYS:INT64', 'COUNTRY_RISK_TIER:INT64',
    ]);
    expect(model.outputs.map((o) => `${o.name}:${o.datatype}`)).toEqual(['RISK_SCORE:FP32', 'RISK_CLASS:BYTES']);
  });

  it('scores every batch element, as FP32, consistent with its class', () => {
    const [score, cls] = model.infer(columns(3, { CREDIT_BLOCKED: [false, true, false], NET_AMOUNT: [10, 10, 9e6] }));
    expect(score).toMatchObject({ name: 'RISK_SCORE', datatype: 'FP32', shape: [3] });
    expect(cls).toMatchObject({ name: 'RISK_CLASS', datatype: 'BYTES', shape: [3] });
    const scores = score!.data as number[];
    scores.forEach((s) => expect(s).toBe(Math.fround(s)));
    expect(scores[1]).toBeGreaterThan(scores[0]!);
    expect(scores[2]).toBeGreaterThan(scores[0]!);
    expect(cls!.data).toEqual(scores.map(riskClass));
  });

  it.each([
    ['a negative amount', { NET_AMOUNT: [-1] }, 'NET_AMOUNT: element 0'],
    ['zero items', { ITEM_COUNT: [0] }, 'ITEM_COUNT: element 0'],
    ['payment terms over a year', { PAYMENT_TERMS_DAYS: [400] }, 'PAYMENT_TERMS_DAYS'],
    ['a country tier of 8', { COUNTRY_RISK_TIER: [8] }, 'COUNTRY_RISK_TIER'],
    ['inputs of unequal length', { ITEM_COUNT: [1, 2] }, 'ITEM_COUNT has 2 elements'],
    ['an empty batch', Object.fromEntries(model.inputs.map((i) => [i.name, []])), 'at least one order'],
  ])('refuses %s with a 400', (_, overrides, message) => {
    const call = () => model.infer(columns(1, overrides));
    expect(call).toThrow(HttpError);
    expect(call).toThrow(expect.objectContaining({ status: 400, message: expect.stringContaining(message) }));
  });
});

describe('order-risk over the Open Inference Protocol (kserve-http client)', () => {
  let server: ModelServer;
  beforeAll(async () => {
    server = createModelServer();
    await server.start();
  });
  afterAll(() => server.close());

  const client = () =>
    createKserveHttpClient(
      kserveHttpBackendSchema.parse({ kind: 'kserve-http', url: server.url, model: 'order-risk', datatypes: { NET_AMOUNT: 'FP64' } }),
    );

  it('scores a batch of orders, blocked and dormant ones higher', async () => {
    const response = await client().infer(
      {
        id: 'so-4711',
        inputs: {
          NET_AMOUNT: [1200, 1200, 1200, 980_000],
          ITEM_COUNT: [2, 2, 2, 60],
          CREDIT_BLOCKED: [false, true, false, true],
          DAYS_SINCE_LAST_ORDER: [7, 7, 900, 900],
          PAYMENT_TERMS_DAYS: [14, 14, 14, 120],
          COUNTRY_RISK_TIER: [0, 0, 0, 7],
        },
      },
      { signal: AbortSignal.timeout(10_000) },
    );
    expect(response).toMatchObject({ modelName: 'order-risk', modelVersion: '1' });
    const scores = response.outputs.RISK_SCORE as number[];
    expect(scores).toHaveLength(4);
    expect(scores[1]).toBeGreaterThan(scores[0]!);
    expect(scores[2]).toBeGreaterThan(scores[0]!);
    expect(response.outputs.RISK_CLASS).toEqual(scores.map(riskClass));
    expect((response.outputs.RISK_CLASS as string[])[0]).toBe('low');
    expect((response.outputs.RISK_CLASS as string[])[3]).toBe('high');
  });

  it('rejects an out-of-range feature as INFERENCE_REJECTED', async () => {
    const inputs = { NET_AMOUNT: 10, ITEM_COUNT: 1, CREDIT_BLOCKED: false, DAYS_SINCE_LAST_ORDER: 1, PAYMENT_TERMS_DAYS: 30, COUNTRY_RISK_TIER: 9 };
    const error = await client()
      .infer({ id: 'x', inputs }, { signal: AbortSignal.timeout(10_000) })
      .then(() => undefined, findModelbridgeError);
    expect(error).toMatchObject({ code: 'INFERENCE_REJECTED', upstreamStatus: 400 });
    expect(error?.message).toContain('COUNTRY_RISK_TIER');
  });
});
