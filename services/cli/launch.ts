/**
 * The `modelbridge` launcher: when the process runs under a cgroup memory limit and no heap size was
 * chosen, starts the command again with V8 heap flags derived from the limit (see heap.ts); otherwise
 * runs it in this process. `MODELBRIDGE_HEAP_SIZING=off` or an explicit `--max-old-space-size` (in
 * NODE_OPTIONS or node's arguments) turns the derivation off.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { cgroupMemoryLimit, heapChosen, heapFlags } from './heap.ts';

const limit = heapChosen(process.env, process.execArgv) ? undefined : cgroupMemoryLimit();
if (limit === undefined) {
  await import('./main.ts');
} else {
  const main = fileURLToPath(new URL('./main.ts', import.meta.url));
  const child = spawn(process.execPath, [...heapFlags(limit), ...process.execArgv, main, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, MODELBRIDGE_HEAP_SIZING: 'off' },
  });
  // The launcher only relays: signals to the worker (it drains on SIGTERM), its exit code back.
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}
