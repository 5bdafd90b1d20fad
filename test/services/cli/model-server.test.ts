import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../support/wait-for.ts';

const MAIN = fileURLToPath(new URL('../../../services/cli/main.ts', import.meta.url));
const children: ReturnType<typeof spawn>[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

describe('modelbridge model-server', () => {
  it('serves on the given host and port, and exits 0 on SIGTERM even with a hanging call', async () => {
    const child = spawn(process.execPath, [MAIN, 'model-server', '--port', '0', '--grpc-port', '0', '--host', '127.0.0.1'], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const url = await waitFor(() => /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(output)?.[1], { timeoutMs: 10_000, what: 'the listening line' });

    expect(await (await fetch(`${url}/v2/health/live`)).json()).toEqual({ live: true });
    await fetch(`${url}/admin/faults/echo`, { method: 'POST', body: '{"hang": true}' }).then((r) => r.text());
    const hanging = fetch(`${url}/v2/models/echo/infer`, {
      method: 'POST',
      body: '{"inputs":[{"name":"X","datatype":"BOOL","shape":[1],"data":[true]}]}',
    }).then(
      () => 'answered',
      () => 'failed',
    );
    await waitFor(async () => {
      const stats = (await (await fetch(`${url}/admin/stats`)).json()) as { models: { echo?: { requests: number } } };
      return stats.models.echo?.requests === 1;
    });

    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    expect(await exited).toEqual([0, null]);
    expect(await hanging).toBe('failed');
  });

  it('refuses an invalid port with exit code 1, as every command refuses an invalid option', async () => {
    const child = spawn(process.execPath, [MAIN, 'model-server', '--port', 'http'], { stdio: 'ignore' });
    children.push(child);
    expect(await once(child, 'exit')).toEqual([1, null]);
  });
});
