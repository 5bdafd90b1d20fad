/**
 * lossless-json: the cost of parsing decoder JSON losslessly (integers beyond 2^53 kept as exact text),
 * in one process and one run, against plain `JSON.parse` (what the decoders did before) and against the
 * other way to do it, Node 24's reviver with `context.source`. In-process, no broker: this is the parse
 * step alone, with the full decode of the same payload alongside for scale. Rows:
 * - `lossless-json-cdc-bigint`: a Salesforce CDC event from Trailhead whose `commitNumber` is beyond 2^53,
 *   so the reviver runs (every current org's CDC events look like this);
 * - `lossless-json-sap-event`: an S/4HANA event with no 16-digit run, which takes the fast path.
 */
import { readFileSync } from 'node:fs';
import { parseJson } from '../../connectors/decoding/payload.ts';
import { createRegistry } from '../../connectors/registry.ts';
import type { InboundMessage } from '../../connectors/types.ts';
import type { CandidateResult } from '../lib/stats.ts';
import { percentiles, round } from '../lib/stats.ts';
import type { Scenario, ScenarioResult } from './scenario.ts';
import { ratios } from './scenario.ts';

const REAL = new URL('../../test/fixtures/real/', import.meta.url);
const BATCH = 1000;
const ROUNDS = 5;

interface Payload {
  readonly name: string;
  readonly file: string;
  readonly format: 'salesforce-cdc' | 'sap-event';
}

const PAYLOADS: readonly Payload[] = [
  { name: 'lossless-json-cdc-bigint', file: 'cdc-pubsub-employee-create-trailhead.json', format: 'salesforce-cdc' },
  { name: 'lossless-json-sap-event', file: 's4-freightorder-created-740207565.json', format: 'sap-event' },
];

const INTEGER_LITERAL = /^-?\d+$/;

/** The reviver alternative: Node 24 hands a reviver each literal's source text. */
function keepBigIntegers(_key: string, value: unknown, context?: { readonly source?: string }): unknown {
  if (typeof value !== 'number' || Number.isSafeInteger(value)) return value;
  const source = context?.source;
  return source !== undefined && INTEGER_LITERAL.test(source) ? source : value;
}

/** Runs `op` in batches for `events` operations; events/s over the whole, latency per operation from batch means. */
function measureOp(op: () => unknown, events: number): CandidateResult {
  const samples: number[] = [];
  const started = performance.now();
  for (let done = 0; done < events; done += BATCH) {
    const t = performance.now();
    for (let i = 0; i < BATCH; i++) op();
    samples.push((performance.now() - t) / BATCH);
  }
  const seconds = (performance.now() - started) / 1000;
  const { p50, p95, p99 } = percentiles(samples);
  return {
    events_per_s: round(events / seconds, 0),
    p50_ms: round(p50, 5),
    p95_ms: round(p95, 5),
    p99_ms: round(p99, 5),
    peak_rss_mb: round(process.memoryUsage().rss / 1_048_576, 1),
    completed: events,
    duration_s: round(seconds, 3),
  };
}

/** The median round by events/s: candidates alternate, so a noisy neighbour hits both alike. */
function median(results: CandidateResult[]): CandidateResult {
  return [...results].sort((a, b) => a.events_per_s - b.events_per_s)[Math.floor(results.length / 2)]!;
}

export const losslessJsonScenario: Scenario = {
  name: 'lossless-json',
  async run(env): Promise<ScenarioResult[]> {
    const events = env.quick ? 50_000 : 200_000;
    const out: ScenarioResult[] = [];
    for (const payload of PAYLOADS) {
      const bytes = readFileSync(new URL(payload.file, REAL));
      const text = bytes.toString('utf8');
      const decoder = createRegistry().createDecoder({ format: payload.format, type: 'unused' });
      const message: InboundMessage = { key: null, value: bytes, headers: {}, contentType: 'application/json', timestamp: undefined, origin: { transport: 'memory', stream: 'bench', sequence: 1 } };
      const reviver = keepBigIntegers as (key: string, value: unknown) => unknown;
      const candidates = {
        lossless: () => parseJson(text),
        plain: () => JSON.parse(text) as unknown,
        reviver: () => JSON.parse(text, reviver) as unknown,
        decode: () => decoder.decode(message),
      };
      for (const op of Object.values(candidates)) measureOp(op, Math.min(events, 20_000));
      const runs: Record<keyof typeof candidates, CandidateResult[]> = { lossless: [], plain: [], reviver: [], decode: [] };
      for (let round = 0; round < ROUNDS; round++) {
        for (const [name, op] of Object.entries(candidates) as [keyof typeof candidates, () => unknown][]) runs[name].push(measureOp(op, events));
      }
      const lossless = median(runs.lossless);
      const baselines = { 'JSON.parse (before)': median(runs.plain), 'reviver context.source': median(runs.reviver) };
      const decode = median(runs.decode);
      env.log(
        `${payload.name}: lossless ${lossless.events_per_s}/s, JSON.parse ${baselines['JSON.parse (before)'].events_per_s}/s, reviver ${baselines['reviver context.source'].events_per_s}/s, full decode ${decode.events_per_s}/s`,
      );
      out.push({
        name: payload.name,
        events,
        modelbridge: { ...lossless, extra: { full_decode_events_per_s: decode.events_per_s, full_decode_p50_ms: decode.p50_ms } },
        baselines,
        ratios: ratios(lossless, baselines),
        available: true,
        notes: [
          `parse step of ${payload.file} (${bytes.length} bytes) in-process, median of ${ROUNDS} alternating rounds of ${events}; latency columns are per parse in ms.`,
          `full ${payload.format} decode (lossless parse included) of the same payload: ${decode.events_per_s} events/s.`,
        ],
      });
    }
    return out;
  },
};
