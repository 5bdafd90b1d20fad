/**
 * Benchmark child processes: every candidate (the worker, each baseline) and the model server run in a
 * process of their own, so that each one's peak RSS is its own (VmHWM from /proc) and none shares an
 * event loop with the load generator.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** A running child. */
export interface Child {
  readonly pid: number;
  readonly name: string;
  /** Last lines of stdout and stderr, for diagnostics. */
  output(): string;
  /** True once the process has exited. */
  readonly exited: boolean;
  /** Resolves with the first stdout line that parses as JSON and satisfies `match`, within `timeoutMs`. */
  waitForLine(match: (line: Record<string, unknown>) => boolean, timeoutMs: number): Promise<Record<string, unknown>>;
  /** Peak resident set size so far in MB (VmHWM), or undefined once the process is gone. */
  peakRssMb(): number | undefined;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. Idempotent. */
  stop(graceMs?: number): Promise<void>;
}

export interface SpawnOptions {
  readonly name: string;
  /** Arguments after the node executable (node flags first, then the script and its arguments). */
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
}

const TAIL_CHARS = 8000;

/** Spawns `node <args>` with stdout and stderr captured (tail only). */
export function spawnNode(options: SpawnOptions): Child {
  const child: ChildProcess = spawn(process.execPath, [...options.args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
  });
  if (child.pid === undefined) throw new Error(`could not spawn ${options.name}`);
  const pid = child.pid;
  let tail = '';
  let exited = false;
  let pending = '';
  const lineWaiters = new Set<(line: Record<string, unknown>) => void>();
  const gone = new Promise<void>((resolve) => child.once('exit', () => {
    exited = true;
    resolve();
  }));
  const remember = (chunk: Buffer): void => {
    tail = (tail + chunk.toString()).slice(-TAIL_CHARS);
  };
  child.stderr?.on('data', remember);
  child.stdout?.on('data', (chunk: Buffer) => {
    remember(chunk);
    if (lineWaiters.size === 0) return;
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      const parsed = parseLine(line);
      if (parsed) for (const waiter of lineWaiters) waiter(parsed);
    }
  });
  // The runner may die first (Ctrl-C): never leave a child behind.
  const killOnExit = (): void => void child.kill('SIGKILL');
  process.once('exit', killOnExit);

  let stopping: Promise<void> | undefined;
  return {
    pid,
    name: options.name,
    output: () => tail,
    get exited() {
      return exited;
    },
    waitForLine(match, timeoutMs) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => finish(new Error(`${options.name}: no ready line within ${timeoutMs} ms\n${tail}`)), timeoutMs);
        const onExit = (): void => finish(new Error(`${options.name} exited before it was ready\n${tail}`));
        const waiter = (line: Record<string, unknown>): void => {
          if (match(line)) finish(undefined, line);
        };
        function finish(error: Error | undefined, line?: Record<string, unknown>): void {
          clearTimeout(timer);
          lineWaiters.delete(waiter);
          child.off('exit', onExit);
          if (error) reject(error);
          else resolve(line!);
        }
        if (exited) return onExit();
        child.once('exit', onExit);
        lineWaiters.add(waiter);
      });
    },
    peakRssMb: () => readPeakRssMb(pid),
    stop(graceMs = 10_000) {
      stopping ??= (async () => {
        process.removeListener('exit', killOnExit);
        if (exited) return;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await gone;
        clearTimeout(timer);
      })();
      return stopping;
    },
  };
}

/** VmHWM (peak RSS) of a live process in MB, from /proc (Linux). */
export function readPeakRssMb(pid: number): number | undefined {
  try {
    const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

function parseLine(line: string): Record<string, unknown> | undefined {
  const trimmed = line.trim();
  if (!trimmed.startsWith('{')) return undefined;
  try {
    const parsed: unknown = JSON.parse(trimmed);
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
