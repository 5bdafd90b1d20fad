/**
 * key-cardinality: does key-ordered concurrency hold on real key distributions? One backlog-free live
 * load on 8 partitions, a model that takes 10 ms, `concurrency.max` 256, and the worker with
 * `ordering: key` against the same worker with `ordering: none` for 10, 100 and 10,000 uniform keys
 * and 10,000 Zipf-distributed keys (exponent 1). The worker's own metrics are sampled during each run:
 * model calls in flight while it had work (target ≥ 0.8 × min(keys, 256) for 100 keys). Then
 * `ordering: partition` on 8 partitions against one partition (target ≥ 6×).
 *
 * The two candidates of a pair run at the same time, each on its own topics: on a shared, loaded
 * machine, runs one after the other see different load, and their ratio is noise; run together they
 * see the same load and share the model server and broker equally.
 */
import { workerCandidate } from '../lib/candidates.ts';
import type { KeySpec } from '../lib/events.ts';
import { measure } from '../lib/measure.ts';
import type { Measured } from '../lib/measure.ts';
import { startModelServer } from '../lib/model-server.ts';
import type { Scenario, ScenarioEnv, ScenarioResult } from './scenario.ts';
import { ratios } from './scenario.ts';

const MODEL_LATENCY_MS = 10;
const PARTITIONS = 8;

const DISTRIBUTIONS: ReadonlyArray<{ readonly name: string; readonly keys: KeySpec }> = [
  { name: '10-keys', keys: 10 },
  { name: '100-keys', keys: 100 },
  { name: '10000-keys', keys: 10_000 },
  { name: 'zipf-10000-keys', keys: { count: 10_000, zipf: 1 } },
];

export const keyCardinalityScenario: Scenario = {
  name: 'key-cardinality',
  async run(env): Promise<ScenarioResult[]> {
    const events = env.quick ? 15_000 : 40_000;
    const bound = env.quick ? 25_000 : 60_000;
    const transport = await env.kafka();
    const model = await startModelServer({ latencyMs: MODEL_LATENCY_MS });
    try {
      const run = (label: string, keys: KeySpec, ordering: 'key' | 'none' | 'partition', partitions: number): Promise<Measured> =>
        measure(workerCandidate(env.ctx, { transport: 'kafka', modelUrl: model.url, label: `key-cardinality-${label}`, ordering }), {
          transport,
          prefix: `bench-keys-${label}`,
          partitions,
          load: 'live',
          log: env.log,
          produce: { mode: 'fast', runId: `keys-${label}-${Date.now()}`, events, keys },
          timeBoundMs: bound,
          sampleMetrics: true,
        });
      const results: ScenarioResult[] = [];
      for (const { name, keys } of DISTRIBUTIONS) {
        const [keyed, none] = await Promise.all([run(`${name}-key`, keys, 'key', PARTITIONS), run(`${name}-none`, keys, 'none', PARTITIONS)]);
        const baselines = { 'modelbridge-ordering-none': none.result };
        results.push({
          name: `key-cardinality-${name}`,
          events,
          modelbridge: keyed.result,
          baselines,
          ratios: ratios(keyed.result, baselines),
          available: true,
          notes: [
            `ordering: key vs ordering: none, ${PARTITIONS} partitions, ${describe(keys)}, model latency ${MODEL_LATENCY_MS} ms, concurrency.max 256; extra.calls_in_flight_avg is the worker's model calls in flight while it had work.`,
          ],
        });
      }
      results.push(await partitionOrdering(env, run));
      return results;
    } finally {
      await model.stop();
    }
  },
};

async function partitionOrdering(
  env: ScenarioEnv,
  run: (label: string, keys: KeySpec, ordering: 'partition', partitions: number) => Promise<Measured>,
): Promise<ScenarioResult> {
  const [many, one] = await Promise.all([run('partition-8p', 10_000, 'partition', PARTITIONS), run('partition-1p', 10_000, 'partition', 1)]);
  const baselines = { 'modelbridge-ordering-partition-1p': one.result };
  env.log(`  ordering: partition, ${PARTITIONS} partitions vs 1: ${(many.result.events_per_s / one.result.events_per_s).toFixed(2)}×`);
  return {
    name: 'ordering-partition-8p-vs-1p',
    events: many.result.completed,
    modelbridge: many.result,
    baselines,
    ratios: ratios(many.result, baselines),
    available: true,
    notes: [`ordering: partition on ${PARTITIONS} partitions vs one partition, model latency ${MODEL_LATENCY_MS} ms: one call in flight per partition; both bounded by time.`],
  };
}

function describe(keys: KeySpec): string {
  return typeof keys === 'number' ? `${keys} uniform keys` : `${keys.count} keys, Zipf exponent ${keys.zipf}`;
}
