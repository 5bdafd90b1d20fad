/**
 * batching: a model whose cost is a fixed per-execution overhead (2 ms, one instance, as a GPU model
 * without server-side batching), so requests queue one behind another. Micro-batched OIP v2 requests
 * (`inference.batch.maxSize` 16) against one event per request. Reported "not available" when the
 * worker rejects the setting, or ignores it (as many model requests as events).
 */
import { workerCandidate } from '../lib/candidates.ts';
import { measure } from '../lib/measure.ts';
import type { Measured } from '../lib/measure.ts';
import { startModelServer } from '../lib/model-server.ts';
import { round } from '../lib/stats.ts';
import type { Scenario, ScenarioResult } from './scenario.ts';
import { notAvailable, ratios } from './scenario.ts';

const EXECUTION_MS = 2;
const BATCH = 16;

export const batchingScenario: Scenario = {
  name: 'batching',
  async run(env): Promise<ScenarioResult[]> {
    const events = env.quick ? 5_000 : 20_000;
    const transport = await env.kafka();
    const model = await startModelServer({ latencyMs: EXECUTION_MS, scheduling: { echo: { instances: 1 } } });
    try {
      const base = { transport, prefix: 'bench-batch', partitions: 1, load: 'live' as const, log: env.log, timeBoundMs: env.quick ? 30_000 : 90_000 };
      const runId = `batch-${Date.now()}`;
      const run = async (maxSize: number, label: string): Promise<{ measured: Measured; requests: number }> => {
        const before = await model.requests('echo');
        const measured = await measure(
          workerCandidate(env.ctx, { transport: 'kafka', modelUrl: model.url, label, inference: { batch: { maxSize, maxWait: '5ms' } } }),
          { ...base, produce: { mode: 'fast', runId: `${runId}-${label}`, events, keys: 1000 } },
        );
        return { measured, requests: (await model.requests('echo')) - before };
      };
      let batched: { measured: Measured; requests: number };
      try {
        batched = await run(BATCH, 'batching-batched');
      } catch (error) {
        const reason = (error as Error).message.split('\n').find((l) => /batch|CONFIG|invalid/i.test(l)) ?? (error as Error).message.split('\n')[0];
        return [notAvailable('batching', events, `the worker did not start with inference.batch.maxSize ${BATCH}: ${reason}`)];
      }
      const perRequest = batched.measured.result.completed / Math.max(1, batched.requests);
      if (perRequest < 1.5) {
        return [notAvailable('batching', events, `the worker ignores inference.batch: ${batched.requests} model requests for ${batched.measured.result.completed} events`)];
      }
      const unbatched = await run(1, 'batching-unbatched');
      batched.measured.result.extra = { events_per_request: round(perRequest, 2) };
      unbatched.measured.result.extra = { events_per_request: round(unbatched.measured.result.completed / Math.max(1, unbatched.requests), 2) };
      const baselines = { 'modelbridge-unbatched': unbatched.measured.result };
      return [
        {
          name: 'batching',
          events,
          modelbridge: batched.measured.result,
          baselines,
          ratios: ratios(batched.measured.result, baselines),
          available: true,
          notes: [`model: ${EXECUTION_MS} ms per execution, 1 instance (reference server scheduling); batch.maxSize ${BATCH}, maxWait 5ms vs maxSize 1; 1 partition, 1,000 keys.`],
        },
      ];
    } finally {
      await model.stop();
    }
  },
};
