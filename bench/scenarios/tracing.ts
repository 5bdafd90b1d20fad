/**
 * tracing-kafka: the same worker, same load (echo model, 1 partition, events produced while it runs),
 * with tracing off and then on — every event sampled and exported over OTLP/HTTP (protobuf) to a local
 * endpoint that accepts and drops the spans. The ratio is throughput on ÷ off.
 */
import { workerCandidate } from '../lib/candidates.ts';
import { measure } from '../lib/measure.ts';
import { startModelServer } from '../lib/model-server.ts';
import { startOtlpSink } from '../lib/otlp-sink.ts';
import type { Scenario, ScenarioResult } from './scenario.ts';
import { ratios } from './scenario.ts';

export const tracingScenario: Scenario = {
  name: 'tracing-kafka',
  async run(env): Promise<ScenarioResult[]> {
    const events = env.quick ? 20_000 : 100_000;
    const transport = await env.kafka();
    const [model, sink] = await Promise.all([startModelServer(), startOtlpSink()]);
    try {
      const base = { transport, prefix: 'bench-tracing', partitions: 1, load: 'live' as const, log: env.log, timeBoundMs: env.quick ? 90_000 : 300_000 };
      const produce = { mode: 'fast' as const, runId: `tracing-${Date.now()}`, events, keys: 10_000 };
      const off = await measure(workerCandidate(env.ctx, { transport: 'kafka', modelUrl: model.url, label: 'tracing-off' }), {
        ...base,
        produce: { ...produce, runId: `${produce.runId}-off` },
      });
      const tracingEnv = { OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, OTEL_TRACES_SAMPLER: 'always_on', OTEL_SERVICE_NAME: 'modelbridge-bench' };
      const on = await measure(workerCandidate(env.ctx, { transport: 'kafka', modelUrl: model.url, label: 'tracing-on', env: tracingEnv }), {
        ...base,
        produce: { ...produce, runId: `${produce.runId}-on` },
      });
      const baselines = { 'modelbridge-tracing-off': off.result };
      return [
        {
          name: 'tracing-kafka',
          events,
          modelbridge: on.result,
          baselines,
          ratios: ratios(on.result, baselines),
          available: true,
          notes: [
            'modelbridge = tracing on (every event sampled: a process span, one span per model call, one per publish; OTLP/HTTP protobuf, batch span processor defaults); the baseline is the same worker with tracing off.',
            `the OTLP endpoint received ${sink.requests} export requests, ${Math.round(sink.bytes / 1024)} KiB.`,
          ],
        },
      ];
    } finally {
      await Promise.all([model.stop(), sink.close()]);
    }
  },
};
