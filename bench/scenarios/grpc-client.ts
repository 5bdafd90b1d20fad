/**
 * grpc-client: one inference client alone (bench/procs/infer-client.ts) against the reference model
 * server, 256 calls in flight: the client's own cost per call — CPU time, V8-heap bytes allocated,
 * GC time — which, unlike rates, hardly depends on what else the machine runs. Candidates: the
 * kserve-http client, the kserve-grpc client with its defaults and with its options (raw contents,
 * 2 and 4 channels), and with `--before-root` the kserve-grpc client of that checkout. Each
 * candidate runs twice, interleaved; the figures are the medians (here, the mean of two), and
 * `extra` keeps both runs.
 */
import { spawnNode } from '../lib/child.ts';
import { startModelServer } from '../lib/model-server.ts';
import type { CandidateResult } from '../lib/stats.ts';
import { round } from '../lib/stats.ts';
import type { Scenario, ScenarioResult } from './scenario.ts';
import { ratios } from './scenario.ts';

interface ClientRun {
  calls_per_s: number;
  cpu_us_per_call: number;
  gc_us_per_call: number;
  alloc_bytes_per_call: number;
}

interface Variant {
  readonly name: string;
  readonly backend: Record<string, unknown>;
  readonly root?: string;
}

const ROUNDS = 2;

export const grpcClientScenario: Scenario = {
  name: 'grpc-client',
  async run(env): Promise<ScenarioResult[]> {
    const calls = env.quick ? 20_000 : 50_000;
    const model = await startModelServer();
    try {
      const grpc = { kind: 'kserve-grpc', url: model.grpcUrl, model: 'echo' };
      const variants: Variant[] = [
        { name: 'kserve-grpc', backend: grpc },
        { name: 'kserve-http', backend: { kind: 'kserve-http', url: model.url, model: 'echo' } },
        { name: 'kserve-grpc-raw', backend: { ...grpc, raw: 'always' } },
        { name: 'kserve-grpc-2-channels', backend: { ...grpc, channels: 2 } },
        { name: 'kserve-grpc-4-channels', backend: { ...grpc, channels: 4 } },
        ...(env.ctx.beforeRoot === undefined ? [] : [{ name: 'kserve-grpc-before', backend: grpc, root: env.ctx.beforeRoot }]),
      ];
      const runs = new Map<string, ClientRun[]>(variants.map((v) => [v.name, []]));
      for (let r = 0; r < ROUNDS; r++) {
        for (const variant of variants) {
          const result = await runClient(variant, calls);
          env.log(`  ${variant.name} (round ${r + 1}): ${JSON.stringify(result)}`);
          runs.get(variant.name)!.push(result);
        }
      }
      const [main, ...others] = variants.map((v) => [v.name, summary(runs.get(v.name)!)] as const);
      const baselines = Object.fromEntries(others);
      return [
        {
          name: 'grpc-client',
          events: calls,
          modelbridge: main![1],
          baselines,
          ratios: ratios(main![1], baselines),
          available: true,
          notes: [
            'one client process, 256 calls in flight to the echo model; events_per_s = calls per second; extra: cpu_us_per_call, alloc_bytes_per_call, gc_us_per_call of the client process (mean of two runs) and each run.',
          ],
        },
      ];
    } finally {
      await model.stop();
    }
  },
};

async function runClient(variant: Variant, calls: number): Promise<ClientRun> {
  const args = ['bench/procs/infer-client.ts', '--backend', JSON.stringify(variant.backend), '--calls', String(calls), '--concurrency', '256'];
  if (variant.root !== undefined) args.push('--root', variant.root);
  const child = spawnNode({ name: variant.name, args });
  try {
    const line = await child.waitForLine((l) => l.done === true, 600_000);
    return line as unknown as ClientRun;
  } finally {
    await child.stop(2000);
  }
}

function summary(runs: readonly ClientRun[]): CandidateResult {
  const mean = (field: keyof ClientRun): number => runs.reduce((sum, r) => sum + r[field], 0) / runs.length;
  return {
    events_per_s: round(mean('calls_per_s'), 1),
    p50_ms: Number.NaN,
    p95_ms: Number.NaN,
    p99_ms: Number.NaN,
    peak_rss_mb: Number.NaN,
    completed: runs.length,
    duration_s: 0,
    extra: {
      cpu_us_per_call: round(mean('cpu_us_per_call'), 1),
      alloc_bytes_per_call: Math.round(mean('alloc_bytes_per_call')),
      gc_us_per_call: round(mean('gc_us_per_call'), 1),
      runs: runs.map((r) => `${r.calls_per_s}/s ${r.cpu_us_per_call} µs ${r.alloc_bytes_per_call} B`).join('; '),
    },
  };
}
