/**
 * grpc-vs-http: the same worker and model (`echo`, 8 partitions) over OIP v2 gRPC (`kserve-grpc`)
 * and HTTP (`kserve-http`). Reported "not available" while the worker's registry has no kserve-grpc.
 */
import { pino } from 'pino';
import { createRegistry } from '../../connectors/registry.ts';
import { kserveGrpcBackendSchema } from '../../schemas/connector-config.ts';
import { workerCandidate } from '../lib/candidates.ts';
import { measure } from '../lib/measure.ts';
import { startModelServer } from '../lib/model-server.ts';
import type { Scenario, ScenarioResult } from './scenario.ts';
import { notAvailable, ratios } from './scenario.ts';

export const grpcVsHttpScenario: Scenario = {
  name: 'grpc-vs-http',
  async run(env): Promise<ScenarioResult[]> {
    const events = env.quick ? 20_000 : 100_000;
    const missing = grpcUnavailable();
    if (missing) return [notAvailable('grpc-vs-http', events, missing)];
    const transport = await env.kafka();
    const model = await startModelServer();
    try {
      const base = { transport, prefix: 'bench-grpc', partitions: 8, load: 'live' as const, log: env.log, timeBoundMs: env.quick ? 90_000 : 300_000 };
      const runId = `grpc-${Date.now()}`;
      const grpc = await measure(
        workerCandidate(env.ctx, {
          transport: 'kafka',
          modelUrl: model.url,
          label: 'grpc-vs-http-grpc',
          inference: { backend: { kind: 'kserve-grpc', url: model.grpcUrl, model: 'echo' } },
        }),
        { ...base, produce: { mode: 'fast', runId: `${runId}-grpc`, events, keys: 10_000 } },
      );
      const http = await measure(workerCandidate(env.ctx, { transport: 'kafka', modelUrl: model.url, label: 'grpc-vs-http-http' }), {
        ...base,
        produce: { mode: 'fast', runId: `${runId}-http`, events, keys: 10_000 },
      });
      const baselines = { 'modelbridge-http': http.result };
      return [
        {
          name: 'grpc-vs-http',
          events,
          modelbridge: grpc.result,
          baselines,
          ratios: ratios(grpc.result, baselines),
          available: true,
          notes: ['modelbridge = kserve-grpc; baseline = the same worker over kserve-http; echo model, 8 partitions.'],
        },
      ];
    } finally {
      await model.stop();
    }
  },
};

/** Why gRPC cannot be benchmarked yet, or undefined when it can. */
function grpcUnavailable(): string | undefined {
  try {
    const client = createRegistry().createInferenceClient(kserveGrpcBackendSchema.parse({ kind: 'kserve-grpc', url: '127.0.0.1:1', model: 'echo' }), pino({ enabled: false }));
    void client.close();
    return undefined;
  } catch (error) {
    return `the worker's registry has no kserve-grpc backend yet (${(error as Error).message})`;
  }
}
