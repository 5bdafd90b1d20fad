/**
 * Preloaded into a benchmarked worker (`node --import bench/lib/alloc-probe.ts …`): prints the worker's
 * running allocation, GC and CPU totals (heap-allocations.ts) as one JSON line on stdout,
 * `{"alloc_probe": …}`, each time the process receives SIGUSR2. The worker's own code is not touched.
 */
import { startAllocationCounter } from './heap-allocations.ts';

const counter = startAllocationCounter();
process.on('SIGUSR2', () => {
  process.stdout.write(`${JSON.stringify({ alloc_probe: counter.totals() })}\n`);
});
