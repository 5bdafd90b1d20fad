/**
 * backlog-memory: the worker starts on a topic that already holds a large backlog; its peak RSS must
 * stay bounded (the in-flight bound and fetch sizes, not the backlog, decide memory). The worker runs
 * with the heap flags `modelbridge run` derives (what a user gets by default). The raw pipe on
 * the same backlog is the reference for what kafkajs itself needs.
 */
import { baselineCandidate, workerCandidate } from '../lib/candidates.ts';
import { measure } from '../lib/measure.ts';
import { startModelServer } from '../lib/model-server.ts';
import type { CandidateResult } from '../lib/stats.ts';
import type { Scenario, ScenarioResult } from './scenario.ts';
import { ratios } from './scenario.ts';

export const backlogMemoryScenario: Scenario = {
  name: 'backlog-memory',
  async run(env): Promise<ScenarioResult[]> {
    const events = env.quick ? 100_000 : 500_000;
    const transport = await env.kafka();
    const model = await startModelServer();
    try {
      const base = { transport, prefix: 'bench-backlog', partitions: 8, load: 'backlog' as const, log: env.log, timeBoundMs: env.quick ? 150_000 : 600_000 };
      const runId = `backlog-${Date.now()}`;
      const worker = await measure(workerCandidate(env.ctx, { transport: 'kafka', modelUrl: model.url, label: 'backlog-memory' }), {
        ...base,
        produce: { mode: 'fast', runId: `${runId}-mb`, events, keys: 10_000 },
      });
      // The same worker with V8's own heap sizing (no flags): on a large host V8 lets the heap grow far
      // past the live set under a high allocation rate; the launcher's flags trade drain rate for that.
      const v8Sized = await measure(
        workerCandidate(env.ctx, { transport: 'kafka', modelUrl: model.url, label: 'backlog-memory-v8-heap-sizing', heap: 'v8' }),
        { ...base, produce: { mode: 'fast', runId: `${runId}-mb-v8`, events, keys: 10_000 } },
      );
      // The same worker compiled to JavaScript, as the container image runs it (no TypeScript stripper).
      const compiled = await measure(
        workerCandidate(env.ctx, { transport: 'kafka', modelUrl: model.url, label: 'backlog-memory-compiled', name: 'modelbridge-compiled', compiled: true }),
        { ...base, produce: { mode: 'fast', runId: `${runId}-mb-compiled`, events, keys: 10_000 } },
      );
      const pipe = await measure(baselineCandidate(env.ctx, 'kafka', 'pipe', model.url), {
        ...base,
        produce: { mode: 'fast', runId: `${runId}-pipe`, events, keys: 10_000 },
      });
      const baselines = { 'kafkajs-raw-pipe': pipe.result };
      // A variant of the worker against the raw pipe and against the default worker (the first row), named `as`.
      const variant = (name: string, result: CandidateResult, as: string, note: string): ScenarioResult => {
        const against = { ...baselines, [as]: worker.result };
        return { name, events, modelbridge: result, baselines: against, ratios: ratios(result, against), available: true, notes: [note] };
      };
      return [
        {
          name: 'backlog-memory',
          events,
          modelbridge: worker.result,
          baselines,
          ratios: ratios(worker.result, baselines),
          available: true,
          notes: [
            `${events} events in 8 partitions before the candidate starts; rate = drain rate from its first output; latency = age of the backlog (not meaningful).`,
            'a run bounded by time still reports its peak RSS up to then.',
          ],
        },
        variant('backlog-memory-compiled', compiled.result, 'modelbridge-sources', 'the worker compiled to JavaScript (`npm run build`, what the container image runs), default heap flags, against the same worker run from its TypeScript sources (the first row).'),
        variant('backlog-memory-v8-heap-sizing', v8Sized.result, 'modelbridge-launcher-heap', 'the worker with V8\'s own heap sizing (no heap flags), against the same worker with the flags `modelbridge run` derives (the first row).'),
      ];
    } finally {
      await model.stop();
    }
  },
};
