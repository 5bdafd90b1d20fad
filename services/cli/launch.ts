/**
 * The `modelbridge` launcher: unless a heap size was chosen, starts the command again with V8 heap flags
 * derived from the cgroup memory limit, or from the memory budget when there is none (see heap.ts);
 * otherwise runs it in this process. `MODELBRIDGE_HEAP_SIZING=off` or an explicit
 * `--max-old-space-size` (in NODE_OPTIONS or node's arguments) turns the derivation off.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { launchHeapFlags } from './heap.ts';

let flags: string[] = [];
try {
  // Only the long-running worker is worth a second process; validate, dlq and replay run here.
  if (process.argv[2] === 'run') flags = launchHeapFlags(process.env, process.execArgv);
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
if (flags.length === 0) {
  await import('./main.ts');
} else {
  // `main.js` beside a compiled launcher (the container image runs `npm run build`'s output).
  const main = fileURLToPath(new URL(import.meta.url.endsWith('.js') ? './main.js' : './main.ts', import.meta.url));
  const child = spawn(process.execPath, [...flags, ...process.execArgv, main, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, MODELBRIDGE_HEAP_SIZING: 'off' },
  });
  // The launcher only relays: signals to the worker (it drains on SIGTERM), its exit code back.
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}
