import { HttpError } from '../http-error.ts';
import type { Model, Tensor, TensorMetadata } from './model.ts';

/** The features of one SAP sales order (header VBAK, items VBAP, customer credit data). */
export interface OrderFeatures {
  /** Order net value (VBAK-NETWR) in the company code currency; ≥ 0. */
  readonly netAmount: number;
  /** Number of order items (VBAP lines); ≥ 1. */
  readonly itemCount: number;
  /** The sold-to party is blocked in credit management (FSCM credit segment / KNKK-CRBLB). */
  readonly creditBlocked: boolean;
  /** Days since the customer's previous order; ≥ 0 (for a first order pass a large value, e.g. 3650). */
  readonly daysSinceLastOrder: number;
  /** Net due days of the payment terms (ZTERM): 0 for prepayment, 30, 60, 90…; 0–365. */
  readonly paymentTermsDays: number;
  /** Country risk category of the ship-to country, OECD scale 0 (lowest) – 7 (highest). */
  readonly countryRiskTier: number;
}

/** Risk class bounds: score < `medium` is low, < `high` is medium, else high. */
export const RISK_THRESHOLDS = { medium: 0.3, high: 0.7 } as const;

export type RiskClass = 'low' | 'medium' | 'high';

// Fixed coefficients of a logistic model; every weight is positive, so the score rises with each
// feature. Amount, items and dormancy enter through log1p: the 100th thousand matters less than the first.
const INTERCEPT = -4.2;
const W_AMOUNT = 0.55; // per ln(1 + amount / 1000)
const W_ITEMS = 0.25; // per ln(items)
const W_BLOCKED = 2.1;
const W_DORMANCY = 0.3; // per ln(1 + days)
const W_TERMS = 0.45; // per 30 days of payment terms
const W_COUNTRY = 0.45; // per tier

/** The default-risk probability of one order, in [0, 1]. Inputs are assumed valid (see {@link OrderFeatures}). */
export function scoreOrderRisk(f: OrderFeatures): number {
  const z =
    INTERCEPT +
    W_AMOUNT * Math.log1p(f.netAmount / 1000) +
    W_ITEMS * Math.log(f.itemCount) +
    (f.creditBlocked ? W_BLOCKED : 0) +
    W_DORMANCY * Math.log1p(f.daysSinceLastOrder) +
    (W_TERMS * f.paymentTermsDays) / 30 +
    W_COUNTRY * f.countryRiskTier;
  return 1 / (1 + Math.exp(-z));
}

/** The class of a score, by {@link RISK_THRESHOLDS}. */
export function riskClass(score: number): RiskClass {
  return score < RISK_THRESHOLDS.medium ? 'low' : score < RISK_THRESHOLDS.high ? 'medium' : 'high';
}

type Check = (v: number) => boolean;

/** Input tensors in feature order, with the range check of numeric ones. */
const INPUTS: readonly { meta: TensorMetadata; check?: Check; range?: string }[] = [
  { meta: { name: 'NET_AMOUNT', datatype: 'FP64', shape: [-1] }, check: (v) => v >= 0, range: '≥ 0' },
  { meta: { name: 'ITEM_COUNT', datatype: 'INT64', shape: [-1] }, check: (v) => v >= 1, range: '≥ 1' },
  { meta: { name: 'CREDIT_BLOCKED', datatype: 'BOOL', shape: [-1] } },
  { meta: { name: 'DAYS_SINCE_LAST_ORDER', datatype: 'INT64', shape: [-1] }, check: (v) => v >= 0, range: '≥ 0' },
  { meta: { name: 'PAYMENT_TERMS_DAYS', datatype: 'INT64', shape: [-1] }, check: (v) => v >= 0 && v <= 365, range: 'in 0–365' },
  { meta: { name: 'COUNTRY_RISK_TIER', datatype: 'INT64', shape: [-1] }, check: (v) => v >= 0 && v <= 7, range: 'in 0–7' },
];

/**
 * Sales order risk scorer: a logistic regression with fixed coefficients over SAP sales order
 * features, one score per batch element. Inputs (each shape `[n]`, n ≥ 1, all the same n):
 *
 * | input | datatype | feature |
 * |---|---|---|
 * | `NET_AMOUNT` | FP64 | order net value (VBAK-NETWR), ≥ 0 |
 * | `ITEM_COUNT` | INT64 | order items (VBAP lines), ≥ 1 |
 * | `CREDIT_BLOCKED` | BOOL | customer blocked in credit management |
 * | `DAYS_SINCE_LAST_ORDER` | INT64 | days since the previous order, ≥ 0 (dormant customers are riskier) |
 * | `PAYMENT_TERMS_DAYS` | INT64 | net due days of the payment terms (ZTERM), 0–365 |
 * | `COUNTRY_RISK_TIER` | INT64 | OECD country risk category of the ship-to country, 0–7 |
 *
 * Outputs: `RISK_SCORE` (FP32 in [0, 1], non-decreasing in every feature) and `RISK_CLASS` (BYTES:
 * low < 0.3 ≤ medium < 0.7 ≤ high). Out-of-range values or unequal lengths → `HttpError` 400.
 */
export function createOrderRiskModel(): Model {
  return {
    name: 'order-risk',
    version: '1',
    platform: 'modelbridge_logistic',
    inputs: INPUTS.map((i) => i.meta),
    outputs: [
      { name: 'RISK_SCORE', datatype: 'FP32', shape: [-1] },
      { name: 'RISK_CLASS', datatype: 'BYTES', shape: [-1] },
    ],
    infer(inputs: ReadonlyMap<string, Tensor>): Tensor[] {
      const columns = INPUTS.map(({ meta, check, range }) => column(inputs, meta.name, check, range));
      const n = columns[0]!.length;
      if (n < 1) throw new HttpError(400, 'inputs must hold at least one order');
      const uneven = columns.findIndex((c) => c.length !== n);
      if (uneven !== -1) throw new HttpError(400, `input ${INPUTS[uneven]!.meta.name} has ${columns[uneven]!.length} elements, NET_AMOUNT has ${n}`);
      const [amount, items, blocked, days, terms, tier] = columns as [number[], number[], boolean[], number[], number[], number[]];
      const scores = new Array<number>(n);
      const classes = new Array<string>(n);
      for (let i = 0; i < n; i++) {
        const score = scoreOrderRisk({
          netAmount: amount[i]!,
          itemCount: items[i]!,
          creditBlocked: blocked[i]!,
          daysSinceLastOrder: days[i]!,
          paymentTermsDays: terms[i]!,
          countryRiskTier: tier[i]!,
        });
        scores[i] = Math.fround(score);
        classes[i] = riskClass(score);
      }
      return [
        { name: 'RISK_SCORE', datatype: 'FP32', shape: [n], data: scores },
        { name: 'RISK_CLASS', datatype: 'BYTES', shape: [n], data: classes },
      ];
    },
  };
}

/** The data of one (already type-checked) input, range-checked. */
function column(inputs: ReadonlyMap<string, Tensor>, name: string, check: Check | undefined, range: string | undefined): readonly unknown[] {
  const tensor = inputs.get(name);
  if (!tensor) throw new HttpError(400, `missing input ${name}`);
  if (check) {
    const bad = tensor.data.findIndex((v) => !check(v as number));
    if (bad !== -1) throw new HttpError(400, `input ${name}: element ${bad} must be ${range}`);
  }
  return tensor.data;
}
