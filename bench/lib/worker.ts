/**
 * Runs the Modelbridge worker exactly as operators do (`modelbridge run --config …`) in a child
 * process, and waits until `/readyz` says it consumes.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { freePort } from '../../scripts/kafka-broker/broker.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Child } from './child.ts';
import type { AllocationTotals } from './heap-allocations.ts';
import { spawnNode } from './child.ts';

export interface WorkerOptions {
  /** A connector config object (the YAML a user would write; JSON is YAML). */
  readonly config: Record<string, unknown>;
  /** Extra node flags, e.g. `--cpu-prof`. */
  readonly nodeArgs?: readonly string[];
  /** Checkout to run the worker from (default: the current directory). */
  readonly root?: string | undefined;
  /** How long to wait for readiness. */
  readonly readyTimeoutMs?: number;
  /** Extra environment of the worker process (e.g. OTEL_* variables). */
  readonly env?: NodeJS.ProcessEnv;
  /** The entry point and probe flags of a compiled build (compiled.ts) instead of the TypeScript sources. */
  readonly compiled?: { readonly main: string; readonly probeArgs: readonly string[] } | undefined;
}

/** Cumulative V8-heap allocation and CPU time of the worker process (see alloc-probe.ts). */
export type ProbeSnapshot = AllocationTotals;

/** A started worker; `stop()` also removes its config file. */
export interface StartedWorker extends Child {
  readonly metricsUrl: string;
  /** The worker's allocation and CPU totals so far. */
  probe(): Promise<ProbeSnapshot>;
}

/** Node flags that preload the allocation probe into a benchmarked child (worker or baseline). */
export const PROBE_ARGS: readonly string[] = ['--import', fileURLToPath(new URL('./alloc-probe.ts', import.meta.url))];

/** Asks a child started with {@link PROBE_ARGS} for its allocation and CPU totals so far. */
export async function readProbe(child: Child): Promise<ProbeSnapshot> {
  const line = child.waitForLine((l) => typeof l.alloc_probe === 'object', 5000);
  process.kill(child.pid, 'SIGUSR2');
  return (await line).alloc_probe as ProbeSnapshot;
}

/** Starts a worker child and resolves once ready; rejects with its output when it exits or never gets ready. */
export async function startWorker(options: WorkerOptions): Promise<StartedWorker> {
  const dir = mkdtempSync(join(tmpdir(), 'mb-bench-'));
  const file = join(dir, 'connector.yaml');
  writeFileSync(file, JSON.stringify(options.config, null, 2));
  const port = await freePort();
  const child = spawnNode({
    name: 'modelbridge worker',
    env: options.env,
    args: [
      ...(options.compiled?.probeArgs ?? PROBE_ARGS),
      ...(options.nodeArgs ?? []),
      options.compiled?.main ?? join(options.root ?? '.', 'services', 'cli', 'main.ts'),
      'run',
      '--config',
      file,
      '--port',
      String(port),
      '--log-level',
      'warn',
      '--grace',
      '5s',
    ],
  });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  const stop = async (graceMs?: number): Promise<void> => {
    try {
      await child.stop(graceMs);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  try {
    while (!(await isReady(`${base}/readyz`))) {
      if (child.exited) throw new Error(`the worker exited before it was ready:\n${child.output()}`);
      if (Date.now() > deadline) throw new Error(`the worker was not ready within the timeout:\n${child.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } catch (error) {
    await stop(2000);
    throw error;
  }
  return {
    pid: child.pid,
    name: child.name,
    output: child.output,
    get exited() {
      return child.exited;
    },
    waitForLine: child.waitForLine,
    peakRssMb: child.peakRssMb,
    stop,
    metricsUrl: `${base}/metrics`,
    probe: () => readProbe(child),
  };
}

async function isReady(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}

