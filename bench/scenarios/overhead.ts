/**
 * overhead-kafka / overhead-rabbitmq: the `echo` model (no compute), so what is measured is the
 * pipeline's own cost. Modelbridge against the raw consume→produce pipe (the ceiling: no model call at
 * all), the hand-written pipeline a competent team writes (the peer: bounded concurrency, keep-alive,
 * batched sends; no ordering, breaker, retries or metrics) and the naive consumer (one awaited HTTP
 * call and one awaited send per message).
 */
import { baselineCandidate, workerCandidate } from '../lib/candidates.ts';
import { measure } from '../lib/measure.ts';
import { startModelServer } from '../lib/model-server.ts';
import type { CandidateResult } from '../lib/stats.ts';
import type { Scenario, ScenarioResult } from './scenario.ts';
import { ratios } from './scenario.ts';

/** The overhead scenario for one transport and partition count. */
export function overheadScenario(transportKind: 'kafka' | 'rabbitmq', partitions: number): Scenario {
  const name = transportKind === 'kafka' ? `overhead-kafka-${partitions}p` : 'overhead-rabbitmq';
  return {
    name,
    async run(env): Promise<ScenarioResult[]> {
      const events = env.quick ? 20_000 : 100_000;
      const transport = transportKind === 'kafka' ? await env.kafka() : await env.amqp();
      const model = await startModelServer();
      try {
        const base = { transport, prefix: `bench-${name}`, partitions, load: 'live' as const, log: env.log };
        const produce = { mode: 'fast' as const, runId: `${name}-${Date.now()}`, events, keys: 10_000 };
        const bound = env.quick ? 90_000 : 300_000;
        const naiveBound = env.quick ? 15_000 : 45_000;
        const worker = await measure(workerCandidate(env.ctx, { transport: transportKind, modelUrl: model.url, label: name }), {
          ...base,
          produce: { ...produce, runId: `${produce.runId}-mb` },
          timeBoundMs: bound,
        });
        // The same worker with micro-batching: the per-request cost of the model call is what separates
        // any model-calling pipeline from the raw pipe, and batching is how Modelbridge amortises it.
        const batched = await measure(
          workerCandidate(env.ctx, { transport: transportKind, modelUrl: model.url, label: `${name}-batched`, inference: { batch: { maxSize: 32, maxWait: '2ms' } } }),
          { ...base, produce: { ...produce, runId: `${produce.runId}-mb-batched` }, timeBoundMs: bound },
        );
        const pipe = await measure(baselineCandidate(env.ctx, transportKind, 'pipe', model.url), {
          ...base,
          produce: { ...produce, runId: `${produce.runId}-pipe` },
          timeBoundMs: bound,
        });
        const handwritten = await measure(baselineCandidate(env.ctx, transportKind, 'handwritten', model.url), {
          ...base,
          produce: { ...produce, runId: `${produce.runId}-handwritten` },
          timeBoundMs: bound,
        });
        const naive = await measure(baselineCandidate(env.ctx, transportKind, 'naive', model.url), {
          ...base,
          produce: { ...produce, runId: `${produce.runId}-naive` },
          timeBoundMs: naiveBound,
        });
        // With --before-root: the unbatched worker of that checkout, right after this one's, to show a
        // change's before and after in one invocation.
        const before = env.ctx.beforeRoot
          ? await measure(workerCandidate(env.ctx, { transport: transportKind, modelUrl: model.url, label: `${name}-before`, root: env.ctx.beforeRoot, name: 'modelbridge-before' }), {
              ...base,
              produce: { ...produce, runId: `${produce.runId}-mb-before` },
              timeBoundMs: bound,
            })
          : undefined;
        // On 8 Kafka partitions: the same worker with V8's own heap sizing and with a 1 GiB memory budget,
        // to show what the default budget's smaller heap costs in rate and saves in RSS.
        const heapVariants: Record<string, CandidateResult> = {};
        if (transportKind === 'kafka' && partitions === 8) {
          const variants = [
            { name: 'modelbridge-v8-heap-sizing', heap: 'v8' as const, env: {} },
            { name: 'modelbridge-budget-1GiB', heap: 'launcher' as const, env: { MODELBRIDGE_MEMORY_BUDGET: '1GiB' } },
          ];
          for (const variant of variants) {
            const run = await measure(workerCandidate(env.ctx, { transport: transportKind, modelUrl: model.url, label: `${name}-${variant.name}`, name: variant.name, heap: variant.heap, env: variant.env }), {
              ...base,
              produce: { ...produce, runId: `${produce.runId}-${variant.name}` },
              timeBoundMs: bound,
            });
            heapVariants[variant.name] = run.result;
          }
        }
        const pipeName = transportKind === 'kafka' ? 'kafkajs-raw-pipe' : 'amqplib-raw-pipe';
        const naiveName = transportKind === 'kafka' ? 'kafkajs-naive' : 'amqplib-naive';
        const handwrittenName = transportKind === 'kafka' ? 'kafkajs-handwritten' : 'amqplib-handwritten';
        const baselines = { [pipeName]: pipe.result, [handwrittenName]: handwritten.result, [naiveName]: naive.result };
        const unbatchedBaselines = { ...baselines, ...(before ? { 'modelbridge-before': before.result } : {}), ...heapVariants };
        return [
          {
            name,
            events,
            modelbridge: worker.result,
            baselines: unbatchedBaselines,
            ratios: ratios(worker.result, unbatchedBaselines),
            available: true,
            notes: [
              'echo model over OIP v2 HTTP; events produced while the candidate runs; latency includes queueing behind the backlog at saturation.',
              `the naive consumer is bounded to ${naiveBound / 1000} s; its rate is what it finished in that time.`,
              ...(Object.keys(heapVariants).length > 0
                ? ['modelbridge-v8-heap-sizing / modelbridge-budget-1GiB: the same worker without the launcher\'s heap flags, and with MODELBRIDGE_MEMORY_BUDGET=1GiB (old space 614 MB, semi-space 32 MB) instead of the default 320 MiB (192 / 16 MB).']
                : []),
              `${handwrittenName}: what a competent team writes (concurrency 256, keep-alive undici, ${transportKind === 'kafka' ? 'one send per batch, commit after produce' : 'prefetch 256, confirm channel, ack on confirm'}), without per-key order, breaker, retries or metrics.`,
            ],
          },
          {
            name: `${name}-batched`,
            events,
            modelbridge: batched.result,
            baselines,
            ratios: ratios(batched.result, baselines),
            available: true,
            notes: ['the same worker with inference.batch { maxSize: 32, maxWait: 2ms }: one model request per up to 32 events.'],
          },
        ];
      } finally {
        await model.stop();
      }
    },
  };
}
