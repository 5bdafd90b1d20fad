/**
 * latency: a fixed arrival rate (1,000 events/s) well below saturation, model latency 5 ms.
 *
 * Every candidate runs alone at the same rate, after a warm-up pass (broker and model server JIT,
 * connections) that is not reported. Warm-up of each candidate (events produced in its first
 * {@link WARM_UP_MS}) is reported apart from steady state, which is what the target applies to.
 *
 * What the worker adds in steady state, per event: e2e − the model call the worker measured
 * (provenance.latencyMs) is the two broker hops plus the worker's own time; the raw pipe at the same
 * rate is the two hops alone. The target is worker p99 − raw pipe p99 − model call p99.
 *
 * Where the tail goes is read from variants of the worker run one after another in the same
 * invocation, each changing one thing: `ordering: none` (no key lanes), V8's own heap sizing instead of
 * the launcher's (a 32 MB semi-space: fewer scavenges, a larger heap), and no metrics scraping during the run (the scrape's own cost on the event loop); and
 * from the worker's longest GC pause and event-loop delay (sampled once a second, as a scraper would).
 */
import { Agent, request } from 'undici';
import { baselineCandidate, workerCandidate } from '../lib/candidates.ts';
import type { WorkerCandidateOptions } from '../lib/candidates.ts';
import { measure } from '../lib/measure.ts';
import type { Measured } from '../lib/measure.ts';
import { startModelServer } from '../lib/model-server.ts';
import { percentiles, round } from '../lib/stats.ts';
import type { CandidateResult } from '../lib/stats.ts';
import type { Scenario, ScenarioResult } from './scenario.ts';
import { ratios } from './scenario.ts';

const MODEL_LATENCY_MS = 5;
const RATE = 1000;
const WARM_UP_MS = 3000;

interface Phases {
  readonly warmUp: ReturnType<typeof percentiles>;
  readonly steady: ReturnType<typeof percentiles>;
  /** Steady state, per event: the model call as the worker measured it, and e2e minus it (workers only). */
  readonly steadyCall?: ReturnType<typeof percentiles>;
  readonly steadyExclCall?: ReturnType<typeof percentiles>;
}

/** Percentiles of the events produced before / after `WARM_UP_MS` from the first produce. */
function phases(measured: Measured): Phases {
  const { latenciesMs, producedAt, modelMs } = measured.collector;
  let start = Number.POSITIVE_INFINITY;
  for (const at of producedAt) start = Math.min(start, at);
  // The model call is known per event when every output carried it (a worker's); then the arrays align.
  const perEventCall = modelMs.length === latenciesMs.length;
  const warm: number[] = [];
  const steady: number[] = [];
  const call: number[] = [];
  const exclCall: number[] = [];
  for (let i = 0; i < latenciesMs.length; i++) {
    if (producedAt[i]! - start < WARM_UP_MS) {
      warm.push(latenciesMs[i]!);
      continue;
    }
    steady.push(latenciesMs[i]!);
    if (perEventCall) {
      call.push(modelMs[i]!);
      exclCall.push(latenciesMs[i]! - modelMs[i]!);
    }
  }
  return {
    warmUp: percentiles(warm),
    steady: percentiles(steady),
    ...(perEventCall ? { steadyCall: percentiles(call), steadyExclCall: percentiles(exclCall) } : {}),
  };
}

/** Steady-state figures of a worker variant, against the raw pipe's steady p99 (the two hops). */
function workerFigures(split: Phases, floorP99: number): Record<string, number> {
  const call = split.steadyCall ?? { p50: Number.NaN, p95: Number.NaN, p99: Number.NaN };
  const excl = split.steadyExclCall ?? call;
  return {
    warm_up_p50_ms: round(split.warmUp.p50, 2),
    warm_up_p99_ms: round(split.warmUp.p99, 2),
    steady_p50_ms: round(split.steady.p50, 2),
    steady_p99_ms: round(split.steady.p99, 2),
    steady_call_p50_ms: round(call.p50, 2),
    steady_call_p99_ms: round(call.p99, 2),
    // The target: worker p99 − raw pipe p99 − model call p99, all in steady state.
    steady_added_p99_ms: round(split.steady.p99 - floorP99 - call.p99, 2),
    // The same question per event (e2e − that event's call), less sensitive to how the two tails line up.
    steady_excl_call_p50_ms: round(excl.p50, 2),
    steady_excl_call_p99_ms: round(excl.p99, 2),
    steady_worker_share_p99_ms: round(excl.p99 - floorP99, 2),
  };
}

/** Calls the model server for a while so its JIT and sockets are warm before anything is measured. */
async function warmModel(url: string, calls: number): Promise<void> {
  const agent = new Agent({ connections: 16 });
  const body = JSON.stringify({ inputs: [{ name: 'TEXT', datatype: 'BYTES', shape: [1], data: ['warm-up'] }] });
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next++ < calls) {
      const response = await request(`${url}/v2/models/echo/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body, dispatcher: agent });
      await response.body.dump();
    }
  };
  try {
    await Promise.all(Array.from({ length: 16 }, lane));
  } finally {
    await agent.close();
  }
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
      const worker = (label: string, extra: Partial<WorkerCandidateOptions> = {}): ReturnType<typeof workerCandidate> =>
        workerCandidate(env.ctx, { transport: 'kafka', modelUrl: model.url, label, ...extra });
      const sampled = { sampleMetrics: true, sampleIntervalMs: 1000 };

      // Warm-up, not reported: the model server, then the broker through a short raw-pipe pass.
      await warmModel(model.url, 5000);
      await measure(baselineCandidate(env.ctx, 'kafka', 'pipe', model.url), { ...base, produce: { ...produce, durationMs: 3000, runId: `${runId}-warm` } });

      const pipe = await measure(baselineCandidate(env.ctx, 'kafka', 'pipe', model.url), { ...base, produce: { ...produce, runId: `${runId}-pipe` } });
      const main = await measure(worker('latency'), { ...base, ...sampled, produce: { ...produce, runId: `${runId}-mb` } });
      const none = await measure(worker('latency-ordering-none', { ordering: 'none', name: 'modelbridge-ordering-none' }), { ...base, ...sampled, produce: { ...produce, runId: `${runId}-none` } });
      const v8Sized = await measure(worker('latency-v8-heap-sizing', { heap: 'v8', name: 'modelbridge-v8-heap-sizing' }), {
        ...base,
        ...sampled,
        produce: { ...produce, runId: `${runId}-v8` },
      });
      const compiled = await measure(worker('latency-compiled', { compiled: true, name: 'modelbridge-compiled' }), {
        ...base,
        ...sampled,
        produce: { ...produce, runId: `${runId}-compiled` },
      });
      const unscraped = await measure(worker('latency-unscraped', { name: 'modelbridge-unscraped' }), { ...base, produce: { ...produce, runId: `${runId}-unscraped` } });
      const handwritten = await measure(baselineCandidate(env.ctx, 'kafka', 'handwritten', model.url), { ...base, produce: { ...produce, runId: `${runId}-handwritten` } });

      const pipeSplit = phases(pipe);
      const floor = pipeSplit.steady.p99;
      const describe = (measured: Measured, figures: Record<string, number>): CandidateResult => {
        measured.result.extra = { ...measured.result.extra, ...figures };
        return measured.result;
      };
      for (const measured of [pipe, handwritten]) {
        const split = phases(measured);
        describe(measured, { warm_up_p99_ms: round(split.warmUp.p99, 2), steady_p50_ms: round(split.steady.p50, 2), steady_p99_ms: round(split.steady.p99, 2) });
      }
      for (const measured of [main, none, v8Sized, compiled, unscraped]) describe(measured, workerFigures(phases(measured), floor));
      main.result.extra = { ...main.result.extra, model_latency_ms: MODEL_LATENCY_MS, broker_floor_p99_ms: round(floor, 2) };

      const baselines = {
        'kafkajs-raw-pipe': pipe.result,
        'kafkajs-handwritten': handwritten.result,
        'modelbridge-ordering-none': none.result,
        'modelbridge-v8-heap-sizing': v8Sized.result,
        'modelbridge-compiled': compiled.result,
        'modelbridge-unscraped': unscraped.result,
      };
      return [
        {
          name: 'latency',
          events: RATE * (durationMs / 1000),
          modelbridge: main.result,
          baselines,
          ratios: ratios(main.result, baselines),
          available: true,
          notes: [
            `${RATE} events/s for ${durationMs / 1000} s, 1 partition, 1,000 keys, model latency ${MODEL_LATENCY_MS} ms; a warm-up pass (model server and broker) runs first and is not reported.`,
            `warm_up_* = events produced in a candidate's first ${WARM_UP_MS / 1000} s; steady_* = the rest. steady_added_p99 = worker steady p99 − raw pipe steady p99 − steady model call p99 (the target).`,
            'steady_excl_call = per event e2e − the call the worker measured; steady_worker_share_p99 = its p99 − the raw pipe p99 (the worker\'s own time at p99, beyond the two broker hops).',
            'The worker runs with the heap flags `modelbridge run` derives (memory budget 320 MiB here: old space 192 MB, semi-space 16 MB). Variants change one thing each: ordering none (no key lanes), V8\'s own heap sizing, compiled to JavaScript (as the container image runs it), no metrics scraping; gc_max_pause_ms is the longest collection during the run.',
          ],
        },
      ];
    } finally {
      await model.stop();
    }
  },
};
