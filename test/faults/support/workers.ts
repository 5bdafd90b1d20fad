/**
 * Worker processes for the fault suite: each runs `modelbridge run` on a YAML file, as an operator
 * would, with its pino lines collected so a test can look for ERROR/FATAL lines and find the admin
 * URL. Every process is SIGKILLed when the test file ends, whatever happened.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { stringify } from 'yaml';
import type { ConnectorConfigInput } from '../../../schemas/connector-config.ts';
import { waitFor } from '../../support/wait-for.ts';

export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [field: string]: unknown;
}

export interface WorkerProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly logs: LogLine[];
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  readonly alive: boolean;
  /** Lines at pino level >= 50 (error, fatal). */
  errors(): LogLine[];
  /** The admin server's base URL, once the worker logged it. */
  adminUrl(): Promise<string>;
  /** Waits for `/readyz` to answer 200. */
  ready(timeoutMs?: number): Promise<void>;
  kill(signal: NodeJS.Signals): Promise<number | null>;
}

export interface Fleet {
  start(name: string, config: ConnectorConfigInput): WorkerProcess;
  readonly workers: readonly WorkerProcess[];
  /** SIGKILLs every worker still running and removes the config files. */
  stopAll(): Promise<void>;
}

export function createFleet(): Fleet {
  const dir = mkdtempSync(join(tmpdir(), 'mb-faults-'));
  const workers: WorkerProcess[] = [];
  return {
    workers,
    start(name, config) {
      const file = join(dir, `${name}.yaml`);
      writeFileSync(file, stringify(config));
      const worker = spawnWorker(name, file);
      workers.push(worker);
      return worker;
    },
    async stopAll() {
      await Promise.all(workers.filter((w) => w.alive).map((w) => w.kill('SIGKILL')));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function spawnWorker(name: string, file: string): WorkerProcess {
  const child = spawn(process.execPath, ['services/cli/main.ts', 'run', '--config', file, '--port', '0', '--log-level', 'info', '--grace', '5s'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: LogLine[] = [];
  let alive = true;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => {
    alive = false;
    resolve(code);
  }));
  const collect = (line: string): void => {
    try {
      logs.push(JSON.parse(line) as LogLine);
    } catch {
      // Not pino: a runtime warning, or a crash trace (a crash also shows as a dead process).
      if (line.trim()) logs.push({ level: 40, msg: line });
    }
  };
  createInterface({ input: child.stdout! }).on('line', collect);
  createInterface({ input: child.stderr! }).on('line', collect);

  const adminUrl = (): Promise<string> =>
    waitFor(() => logs.find((l) => l.msg === 'worker starting')?.url as string | undefined, { timeoutMs: 30_000, what: `${name} to log its admin URL` });

  return {
    name,
    child,
    logs,
    exited,
    get alive() {
      return alive;
    },
    errors: () => logs.filter((l) => l.level >= 50),
    adminUrl,
    async ready(timeoutMs = 60_000) {
      const url = await adminUrl();
      await waitFor(async () => (await fetch(`${url}/readyz`)).status === 200, { timeoutMs, intervalMs: 200, what: `${name} ready` });
    },
    async kill(signal) {
      if (alive) child.kill(signal);
      return exited;
    },
  };
}
