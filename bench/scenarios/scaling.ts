/**
 * scaling: throughput of 1, 2 and 3 workers in one consumer group draining one backlog on a
 * 12-partition topic (model latency 5 ms, 10,000 keys), as ratios to one worker. On this 2-core
 * machine the workers share the cores with the broker, the model server and the load generator: the
 * curve says whether more members add coordination cost, not how a cluster scales.
 */
import { scaledWorkers } from '../lib/candidates.ts';
import { measure } from '../lib/measure.ts';
import { startModelServer } from '../lib/model-server.ts';
import type { CandidateResult } from '../lib/stats.ts';
import type { Scenario, ScenarioResult } from './scenario.ts';
import { ratios } from './scenario.ts';

export const scalingScenario: Scenario = {
  name: 'scaling',
  async run(env): Promise<ScenarioResult[]> {
    const events = env.quick ? 30_000 : 100_000;
    const transport = await env.kafka();
    const model = await startModelServer({ latencyMs: 5 });
    try {
      const results: Record<number, CandidateResult> = {};
      for (const count of [1, 2, 3]) {
        const measured = await measure(scaledWorkers(env.ctx, { transport: 'kafka', modelUrl: model.url, label: `scaling-x${count}` }, count), {
          transport,
          prefix: `bench-scaling-${count}`,
          partitions: 12,
          load: 'backlog',
          log: env.log,
          produce: { mode: 'fast', runId: `scaling-${count}-${Date.now()}`, events, keys: 10_000 },
          timeBoundMs: env.quick ? 120_000 : 300_000,
        });
        results[count] = measured.result;
      }
      const baselines = { 'modelbridge-x1': results[1]! };
      return [2, 3].map((count) => ({
        name: `scaling-${count}-workers`,
        events,
        modelbridge: results[count]!,
        baselines,
        ratios: ratios(results[count]!, baselines),
        available: true,
        notes: [`${count} workers in one group vs 1, 12 partitions, backlog drain; 2 shared cores: see the scenario's doc.`],
      }));
    } finally {
      await model.stop();
    }
  },
};
