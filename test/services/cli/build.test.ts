/**
 * `npm run build` (scripts/build.ts), what the container image runs: the compiled worker must run with
 * Node's TypeScript stripping turned off (so no `.ts` file is left on any path it loads, dynamic imports
 * and the launcher's relaunch included) and find the files it reads at run time.
 */
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../support/wait-for.ts';

/** Under node_modules: ignored by git, lint and the type checker, and packages resolve from there. */
const OUT = join('node_modules', '.cache', 'modelbridge-build-test');
/** What makes any `.ts` import fail: the compiled worker must not need the stripper. */
const NO_TS = '--no-experimental-strip-types';

beforeAll(() => {
  execFileSync(process.execPath, ['scripts/build.ts', '--out', OUT], { stdio: 'pipe' });
}, 180_000);
afterAll(() => rmSync(OUT, { recursive: true, force: true }));

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
}

describe('npm run build', () => {
  it('compiles every source to JavaScript and copies the files read at run time', () => {
    const built = files(OUT);
    expect(built.filter((f) => f.endsWith('.ts'))).toEqual([]);
    for (const source of files('services').concat(files('connectors'), files('schemas'))) {
      expect(existsSync(join(OUT, source.endsWith('.ts') ? source.replace(/\.ts$/, '.js') : source)), source).toBe(true);
    }
  });

  it('validates the example configurations through the launcher with TypeScript stripping off', () => {
    const examples = readdirSync('config').filter((f) => f.endsWith('.yaml')).map((f) => join('config', f));
    const output = execFileSync(process.execPath, [NO_TS, join(OUT, 'services/cli/launch.js'), 'validate', ...examples], { encoding: 'utf8' });
    expect(output).toContain('ok');
  });

  it('runs the demo end to end, nothing lost', () => {
    const output = execFileSync(process.execPath, [NO_TS, join(OUT, 'services/cli/launch.js'), 'demo', '--events', '40', '--outage', '0', '--port', '0'], { encoding: 'utf8', timeout: 120_000 });
    expect(output).toMatch(/lost\s+0/);
  }, 150_000);

  it('starts the reference model server (which reads the KServe proto) from the compiled code', async () => {
    const server = spawn(process.execPath, [NO_TS, join(OUT, 'services/cli/launch.js'), 'model-server', '--port', '0', '--grpc-port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    server.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      const url = await waitFor(() => /"url":"(http:\/\/[^"]+)"/.exec(output)?.[1], { timeoutMs: 20_000, what: 'the model server' });
      expect(output).toMatch(/"grpc":"[^"]+:\d+"/);
      expect(await (await fetch(`${url}/v2/health/live`)).json()).toEqual({ live: true });
    } finally {
      server.kill('SIGTERM');
      await once(server, 'exit');
    }
  }, 60_000);

  it('relaunches `run` (with heap flags) into the compiled main, which reads the configuration and says what is wrong', async () => {
    const config = join(OUT, 'broken.yaml');
    writeFileSync(config, 'name: broken\nsource: { kind: carrier-pigeon }\n');
    const child = spawn(process.execPath, [NO_TS, join(OUT, 'services/cli/launch.js'), 'run', '--config', config, '--port', '0'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, MODELBRIDGE_HEAP_SIZING: '', NODE_OPTIONS: '' },
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(stderr).toContain('broken.yaml');
    expect(stderr).toContain('source');
    expect(code).toBe(1);
  }, 60_000);
});
