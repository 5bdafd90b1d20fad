/**
 * grpc-vs-http: the same worker and model (`echo`, 8 partitions) over OIP v2 gRPC (`kserve-grpc`)
 * and HTTP (`kserve-http`). The two run at the same time, each on its own topics (as the pairs of
 * key-cardinality): on a shared machine, runs one after the other see different load. With
 * `--before-root`, a second pair runs the gRPC worker of that checkout beside this one's.
 * Each worker's cost per event (CPU, V8-heap bytes allocated) is in `extra`.
 */
import { workerCandidate } from '../lib/candidates.ts';
import type { WorkerCandidateOptions } from '../lib/candidates.ts';
import { measure } from '../lib/measure.ts';
import type { Measured } from '../lib/measure.ts';
import { startModelServer } from '../lib/model-server.ts';
import type { Scenario, ScenarioResult } from './scenario.ts';
import { ratios } from './scenario.ts';

export const grpcVsHttpScenario: Scenario = {
  name: 'grpc-vs-http',
  async run(env): Promise<ScenarioResult[]> {
    const events = env.quick ? 20_000 : 100_000;
    const transport = await env.kafka();
    const model = await startModelServer();
    try {
      const runId = `grpc-${Date.now()}`;
      const run = (label: string, options: Partial<WorkerCandidateOptions>): Promise<Measured> =>
        measure(workerCandidate(env.ctx, { transport: 'kafka', modelUrl: model.url, label: `grpc-vs-http-${label}`, ...options }), {
          transport,
          prefix: `bench-grpc-${label}`,
          partitions: 8,
          load: 'live',
          log: env.log,
          timeBoundMs: env.quick ? 90_000 : 300_000,
          produce: { mode: 'fast', runId: `${runId}-${label}`, events, keys: 10_000 },
        });
      const grpcBackend = { inference: { backend: { kind: 'kserve-grpc', url: model.grpcUrl, model: 'echo' } } };
      const [grpc, http] = await Promise.all([run('grpc', grpcBackend), run('http', {})]);
      const baselines = { 'modelbridge-http': http.result };
      const results: ScenarioResult[] = [
        {
          name: 'grpc-vs-http',
          events,
          modelbridge: grpc.result,
          baselines,
          ratios: ratios(grpc.result, baselines),
          available: true,
          notes: ['modelbridge = kserve-grpc; baseline = the same worker over kserve-http, run at the same time on its own topics; echo model, 8 partitions.'],
        },
      ];
      const before = env.ctx.beforeRoot;
      if (before !== undefined) {
        const [after, earlier] = await Promise.all([run('grpc-after', grpcBackend), run('grpc-before', { ...grpcBackend, root: before, name: 'modelbridge-before' })]);
        const beforeBaselines = { 'modelbridge-grpc-before': earlier.result };
        results.push({
          name: 'grpc-before-after',
          events,
          modelbridge: after.result,
          baselines: beforeBaselines,
          ratios: ratios(after.result, beforeBaselines),
          available: true,
          notes: [`kserve-grpc worker of this checkout vs the one of ${before}, run at the same time.`],
        });
      }
      return results;
    } finally {
      await model.stop();
    }
  },
};
