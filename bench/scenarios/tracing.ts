/**
 * tracing-kafka: the same worker, same load (echo model, 1 partition, events produced while it runs),
 * with tracing off and then on — every event sampled and exported over OTLP/HTTP (protobuf) to a local
 * endpoint that accepts and drops the spans. The ratio is throughput on ÷ off. Two more settings run
 * alike: OTLP/HTTP JSON, and root events sampled at 10 %.
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
      const traced = (label: string, extraEnv: NodeJS.ProcessEnv) =>
        measure(workerCandidate(env.ctx, { transport: 'kafka', modelUrl: model.url, label, name: `modelbridge-${label}`, env: { ...tracingEnv, ...extraEnv } }), {
          ...base,
          produce: { ...produce, runId: `${produce.runId}-${label}` },
        });
      const on = await traced('tracing-on', {});
      // The same with OTLP/HTTP JSON (JSON.stringify is native; the protobuf writer is JavaScript).
      const json = await traced('tracing-on-json', { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' });
      // What a production setting samples: root events at 10 %, events whose producer sampled them always.
      const sampled = await traced('tracing-10-percent', { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' });
      const baselines = { 'modelbridge-tracing-off': off.result, 'modelbridge-tracing-on-json': json.result, 'modelbridge-tracing-10-percent': sampled.result };
      return [
        {
          name: 'tracing-kafka',
          events,
          modelbridge: on.result,
          baselines,
          ratios: ratios(on.result, baselines),
          available: true,
          notes: [
            'modelbridge = tracing on (every event sampled: a process span, one span per model call, one per publish; OTLP/HTTP protobuf, batch span processor defaults); the baselines are the same worker with tracing off, with OTLP/HTTP JSON, and with root events sampled at 10 % (parentbased_traceidratio 0.1).',
            'a target ratio on ÷ off is the row modelbridge-tracing-off; on ÷ the others compare settings of tracing.',
            `the OTLP endpoint received ${sink.requests} export requests, ${Math.round(sink.bytes / 1024)} KiB.`,
          ],
        },
      ];
    } finally {
      await Promise.all([model.stop(), sink.close()]);
    }
  },
};
