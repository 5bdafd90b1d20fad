/**
 * latency: a fixed arrival rate (1,000 events/s) well below saturation, model latency 5 ms. Reports
 * end-to-end percentiles and what the worker adds on top of the model: e2e − the model's configured
 * latency (includes two broker hops and the HTTP call), and e2e − the call latency the worker itself
 * measured (provenance.latencyMs). The raw pipe at the same rate is the broker-hop floor; the
 * hand-written kafkajs pipeline at the same rate is the peer. Warm-up (events produced in the first
 * {@link WARM_UP_MS} after the candidate is ready: connection set-up, JIT, first fetches) is reported
 * apart from steady state, which is what the target applies to.
 */
import { baselineCandidate, workerCandidate } from '../lib/candidates.ts';
import { measure } from '../lib/measure.ts';
import type { Measured } from '../lib/measure.ts';
import { startModelServer } from '../lib/model-server.ts';
import { percentiles, round } from '../lib/stats.ts';
import type { Scenario, ScenarioResult } from './scenario.ts';
import { ratios } from './scenario.ts';

const MODEL_LATENCY_MS = 5;
const RATE = 1000;
const WARM_UP_MS = 3000;

/** Percentiles of the events produced before / after `WARM_UP_MS` from the first produce. */
function phases(measured: Measured): { warmUp: ReturnType<typeof percentiles>; steady: ReturnType<typeof percentiles> } {
  const { latenciesMs, producedAt } = measured.collector;
  const start = Math.min(...producedAt);
  const warm: number[] = [];
  const steady: number[] = [];
  for (let i = 0; i < latenciesMs.length; i++) (producedAt[i]! - start < WARM_UP_MS ? warm : steady).push(latenciesMs[i]!);
  return { warmUp: percentiles(warm), steady: percentiles(steady) };
}

export const latencyScenario: Scenario = {
  name: 'latency',
  async run(env): Promise<ScenarioResult[]> {
    const durationMs = env.quick ? 10_000 : 30_000;
    const transport = await env.kafka();
    const model = await startModelServer({ latencyMs: MODEL_LATENCY_MS });
    try {
      const base = { transport, prefix: 'bench-latency', partitions: 1, load: 'live' as const, log: env.log, timeBoundMs: durationMs + 60_000 };
      const runId = `latency-${Date.now()}`;
      const produce = { mode: 'rate' as const, perSecond: RATE, durationMs, keys: 1000 };
      const worker = await measure(workerCandidate(env.ctx, { transport: 'kafka', modelUrl: model.url, label: 'latency' }), {
        ...base,
        produce: { ...produce, runId: `${runId}-mb` },
        sampleMetrics: true,
      });
      // The same worker with a 16 MB semi-space (what the launcher gives a container of 512 MiB or more):
      // fewer scavenges and less promotion, so what GC contributes to the tail shows as the difference.
      const semi = await measure(
        workerCandidate(env.ctx, { transport: 'kafka', modelUrl: model.url, label: 'latency-semi-space-16mb', nodeArgs: ['--max-semi-space-size=16'] }),
        { ...base, produce: { ...produce, runId: `${runId}-mb-semi` }, sampleMetrics: true },
      );
      const pipe = await measure(baselineCandidate(env.ctx, 'kafka', 'pipe', model.url), { ...base, produce: { ...produce, runId: `${runId}-pipe` } });
      const handwritten = await measure(baselineCandidate(env.ctx, 'kafka', 'handwritten', model.url), { ...base, produce: { ...produce, runId: `${runId}-handwritten` } });
      const added = percentiles(worker.collector.addedMs);
      const call = percentiles(worker.collector.modelMs);
      const workerPhases = phases(worker);
      const pipePhases = phases(pipe);
      const handwrittenPhases = phases(handwritten);
      for (const [measured, split] of [[pipe, pipePhases], [handwritten, handwrittenPhases]] as const) {
        measured.result.extra = { warm_up_p99_ms: round(split.warmUp.p99, 2), steady_p50_ms: round(split.steady.p50, 2), steady_p99_ms: round(split.steady.p99, 2) };
      }
      worker.result.extra = {
        ...worker.result.extra,
        warm_up_p50_ms: round(workerPhases.warmUp.p50, 2),
        warm_up_p99_ms: round(workerPhases.warmUp.p99, 2),
        steady_p50_ms: round(workerPhases.steady.p50, 2),
        steady_p99_ms: round(workerPhases.steady.p99, 2),
        // The target: worker p99 − raw pipe p99 − model call p99, in steady state.
        steady_added_p99_ms: round(workerPhases.steady.p99 - pipePhases.steady.p99 - call.p99, 2),
        model_latency_ms: MODEL_LATENCY_MS,
        added_p50_ms: round(worker.result.p50_ms - MODEL_LATENCY_MS, 2),
        added_p95_ms: round(worker.result.p95_ms - MODEL_LATENCY_MS, 2),
        added_p99_ms: round(worker.result.p99_ms - MODEL_LATENCY_MS, 2),
        call_p50_ms: round(call.p50, 2),
        call_p99_ms: round(call.p99, 2),
        added_excl_call_p50_ms: round(added.p50, 2),
        added_excl_call_p99_ms: round(added.p99, 2),
        broker_floor_p99_ms: pipe.result.p99_ms,
      };
      const semiPhases = phases(semi);
      semi.result.extra = { ...semi.result.extra, steady_p50_ms: round(semiPhases.steady.p50, 2), steady_p99_ms: round(semiPhases.steady.p99, 2) };
      const baselines = { 'kafkajs-raw-pipe': pipe.result, 'kafkajs-handwritten': handwritten.result, 'modelbridge-semi-space-16mb': semi.result };
      return [
        {
          name: 'latency',
          events: RATE * (durationMs / 1000),
          modelbridge: worker.result,
          baselines,
          ratios: ratios(worker.result, baselines),
          available: true,
          notes: [
            `${RATE} events/s for ${durationMs / 1000} s, 1 partition, model latency ${MODEL_LATENCY_MS} ms.`,
            `warm_up_* = events produced in the first ${WARM_UP_MS / 1000} s; steady_* = the rest; steady_added_p99 = worker steady p99 − raw pipe steady p99 − model call p99 (the target).`,
            'added_pXX = e2e pXX − model latency (includes 2 broker hops + the HTTP call); added_excl_call = per event e2e − the call latency the worker measured; broker_floor = raw pipe p99 at the same rate.',
          ],
        },
      ];
    } finally {
      await model.stop();
    }
  },
};
