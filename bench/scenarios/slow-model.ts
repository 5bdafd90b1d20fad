/**
 * slow-model: the model takes 20 ms, one partition, 1,000 keys. Key-level concurrency keeps many
 * keys of the one partition in flight; the naive consumer does one event at a time, so it is bounded
 * by time and its rate computed from what it finished.
 */
import { baselineCandidate, workerCandidate } from '../lib/candidates.ts';
import { measure } from '../lib/measure.ts';
import { startModelServer } from '../lib/model-server.ts';
import type { Scenario, ScenarioResult } from './scenario.ts';
import { ratios } from './scenario.ts';

const MODEL_LATENCY_MS = 20;

export const slowModelScenario: Scenario = {
  name: 'slow-model',
  async run(env): Promise<ScenarioResult[]> {
    const events = env.quick ? 10_000 : 50_000;
    const transport = await env.kafka();
    const model = await startModelServer({ latencyMs: MODEL_LATENCY_MS });
    try {
      const base = { transport, prefix: 'bench-slow', partitions: 1, load: 'live' as const, log: env.log };
      const runId = `slow-${Date.now()}`;
      const naiveBound = env.quick ? 10_000 : 30_000;
      const worker = await measure(workerCandidate(env.ctx, { transport: 'kafka', modelUrl: model.url, label: 'slow-model' }), {
        ...base,
        produce: { mode: 'fast', runId: `${runId}-mb`, events, keys: 1000 },
        timeBoundMs: env.quick ? 90_000 : 240_000,
      });
      const naive = await measure(baselineCandidate(env.ctx, 'kafka', 'naive', model.url), {
        ...base,
        produce: { mode: 'fast', runId: `${runId}-naive`, events, keys: 1000 },
        timeBoundMs: naiveBound,
      });
      const baselines = { 'kafkajs-naive': naive.result };
      return [
        {
          name: 'slow-model',
          events,
          modelbridge: worker.result,
          baselines,
          ratios: ratios(worker.result, baselines),
          available: true,
          notes: [
            `model latency ${MODEL_LATENCY_MS} ms, 1 partition, 1,000 keys, worker defaults (ordering: key, concurrency.max 256).`,
            `naive consumer bounded to ${naiveBound / 1000} s; rate = what it finished / elapsed.`,
          ],
        },
      ];
    } finally {
      await model.stop();
    }
  },
};
