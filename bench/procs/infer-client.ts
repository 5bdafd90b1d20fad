/**
 * One inference client alone against the reference model server, as a benchmark child process:
 *
 *   node bench/procs/infer-client.ts --backend JSON [--deps JSON] [--root DIR] [--calls N] [--concurrency C]
 *
 * Builds the client from `--backend` (a `kserve-http` or `kserve-grpc` backend config) with the client
 * code of checkout `--root` (default this one, to A/B a change), warms it up, then makes `--calls` calls
 * of the benchmark's one-text echo request with `--concurrency` in flight, each with its own signal and
 * deadline as the worker makes them. Prints one JSON line: calls per second and, for this process
 * alone, CPU time, GC time and V8-heap bytes allocated per call (heap-allocations.ts).
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startAllocationCounter } from '../lib/heap-allocations.ts';
import type * as BackendConfigModule from '../../schemas/backend-config.ts';
import type * as KserveModule from '../../connectors/kserve/index.ts';

const { values } = parseArgs({
  options: {
    backend: { type: 'string' },
    deps: { type: 'string', default: '{}' },
    root: { type: 'string', default: '.' },
    calls: { type: 'string', default: '20000' },
    concurrency: { type: 'string', default: '256' },
  },
});
const root = resolve(values.root);
const { backendSchema } = (await import(resolve(root, 'schemas/backend-config.ts'))) as typeof BackendConfigModule;
const kserve = (await import(resolve(root, 'connectors/kserve/index.ts'))) as typeof KserveModule;
const config = backendSchema.parse(JSON.parse(values.backend ?? '{}'));
const deps = JSON.parse(values.deps) as Record<string, unknown>;
const client = config.kind === 'kserve-grpc' ? kserve.createKserveGrpcClient(config, deps) : config.kind === 'kserve-http' ? kserve.createKserveHttpClient(config, deps) : undefined;
if (!client) throw new Error(`no client for ${config.kind}`);

const TEXTS = ['the delivery was late and the box was damaged', 'great service, thank you for the quick refund'];

async function run(calls: number, concurrency: number): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < calls) {
      const i = next++;
      const controller = new AbortController();
      const response = await client!.infer(
        { id: `e-${i}`, inputs: { TEXT: TEXTS[i % TEXTS.length] } },
        { signal: controller.signal, deadline: Date.now() + 30_000 },
      );
      if ((response.outputs.TEXT as unknown[])[0] !== TEXTS[i % TEXTS.length]) throw new Error('wrong echo');
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
}

const calls = Number(values.calls);
const concurrency = Number(values.concurrency);
await run(Math.min(5000, calls), concurrency);
const counter = startAllocationCounter();
const before = counter.totals();
const started = performance.now();
await run(calls, concurrency);
const seconds = (performance.now() - started) / 1000;
const after = counter.totals();
await client.close();
const per = (field: 'allocated_bytes' | 'cpu_ms' | 'gc_ms'): number => (after[field] - before[field]) / calls;
process.stdout.write(
  `${JSON.stringify({
    done: true,
    calls_per_s: Math.round(calls / seconds),
    cpu_us_per_call: Math.round(per('cpu_ms') * 1000),
    gc_us_per_call: Math.round(per('gc_ms') * 1000),
    alloc_bytes_per_call: Math.round(per('allocated_bytes')),
  })}\n`,
);
process.exit(0);
