/**
 * soak: the worker at a fixed rate for 10 minutes (500 events/s, 8 partitions, 10,000 keys, model
 * latency 5 ms). Reports the RSS and heap slopes over the second half (a leak shows as a steady
 * climb) and the p99 per minute. Runs only when asked for: `npm run bench -- --only soak`.
 */
import { workerCandidate } from '../lib/candidates.ts';
import { measure } from '../lib/measure.ts';
import { startModelServer } from '../lib/model-server.ts';
import { percentiles, round } from '../lib/stats.ts';
import type { Scenario, ScenarioResult } from './scenario.ts';

const RATE = 500;
const MODEL_LATENCY_MS = 5;

export const soakScenario: Scenario = {
  name: 'soak',
  async run(env): Promise<ScenarioResult[]> {
    const durationMs = env.quick ? 120_000 : 600_000;
    const transport = await env.kafka();
    const model = await startModelServer({ latencyMs: MODEL_LATENCY_MS });
    try {
      const worker = await measure(workerCandidate(env.ctx, { transport: 'kafka', modelUrl: model.url, label: 'soak' }), {
        transport,
        prefix: 'bench-soak',
        partitions: 8,
        load: 'live',
        log: env.log,
        produce: { mode: 'rate', runId: `soak-${Date.now()}`, perSecond: RATE, durationMs, keys: 10_000 },
        timeBoundMs: durationMs + 60_000,
        sampleMetrics: true,
      });
      const { latenciesMs, producedAt } = worker.collector;
      // A loop, not Math.min(...producedAt): 300,000 arguments overflow the stack.
      let start = Number.POSITIVE_INFINITY;
      for (const at of producedAt) start = Math.min(start, at);
      const perMinute: number[][] = [];
      for (let i = 0; i < latenciesMs.length; i++) (perMinute[Math.floor((producedAt[i]! - start) / 60_000)] ??= []).push(latenciesMs[i]!);
      const p99s = perMinute.map((bucket) => round(percentiles(bucket ?? []).p99, 1));
      worker.result.extra = { ...worker.result.extra, p99_per_minute_ms: p99s.join(' ') };
      env.log(`  soak: p99 per minute ${p99s.join(', ')} ms; RSS slope ${String(worker.result.extra.rss_slope_mb_per_min)} MB/min`);
      return [
        {
          name: 'soak',
          events: worker.result.completed,
          modelbridge: worker.result,
          baselines: {},
          ratios: {},
          available: true,
          notes: [`${RATE} events/s for ${durationMs / 60_000} min, 8 partitions, model latency ${MODEL_LATENCY_MS} ms; slopes over the second half of the run.`],
        },
      ];
    } finally {
      await model.stop();
    }
  },
};
