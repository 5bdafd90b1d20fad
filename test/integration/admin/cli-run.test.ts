/**
 * `modelbridge run --admin-config` as a process on real RabbitMQ: the control API is served with the
 * configured authentication and audit trail, an explicit `auth.mode: none` is logged as a warning,
 * and a broken control API configuration stops the start with every problem listed.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { createModelServer } from '../../../services/model-server/index.ts';
import type { ModelServer } from '../../../services/model-server/index.ts';
import { freePort } from '../../../scripts/kafka-broker/broker.ts';
import { amqpUrl, withChannel } from '../../support/rabbitmq.ts';
import { uniqueName, waitFor } from '../../support/wait-for.ts';

let model: ModelServer;
let dir: string;
const base = uniqueName('mb-cli-api');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mb-cli-api-'));
  model = createModelServer({ grpcPort: false });
  await model.start();
  const queue = (name: string): { kind: 'rabbitmq'; url: string; exchange: ''; routingKey: string; queue: string } => ({ kind: 'rabbitmq', url: amqpUrl(), exchange: '', routingKey: name, queue: name });
  writeFileSync(
    join(dir, 'connector.yaml'),
    stringify({
      name: 'cli-api',
      source: { kind: 'rabbitmq', url: amqpUrl(), queue: `${base}.in` },
      decode: { format: 'json', idPath: 'id' },
      inference: { backend: { kind: 'kserve-http', url: model.url, model: 'sentiment' }, request: { inputs: { TEXT: 'data.text' } }, response: { sentiment: 'outputs.LABEL[0]' } },
      sink: queue(`${base}.out`),
      deadLetter: queue(`${base}.dlq`),
    }),
  );
});

afterAll(async () => {
  await model?.close();
  await withChannel(async (channel) => {
    for (const suffix of ['in', 'out', 'dlq']) await channel.deleteQueue(`${base}.${suffix}`);
  }).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

function run(args: string[]): { exit: Promise<number | null>; output: () => string; kill: (signal: NodeJS.Signals) => void } {
  const child = spawn(process.execPath, ['services/cli/main.ts', 'run', '--config', join(dir, 'connector.yaml'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { exit: new Promise((resolve) => child.once('exit', (code) => resolve(code))), output: () => output, kill: (signal) => child.kill(signal) };
}

describe('modelbridge run --admin-config', () => {
  it('serves the control API with its audit trail; auth.mode none is a logged warning', async () => {
    const audit = join(dir, 'audit.jsonl');
    writeFileSync(join(dir, 'admin.yaml'), stringify({ auth: { mode: 'none' }, audit: { file: audit } }));
    const port = await freePort();
    const worker = run(['--port', String(port), '--admin-config', join(dir, 'admin.yaml')]);
    try {
      const url = `http://127.0.0.1:${port}`;
      const connector = await waitFor(
        async () => {
          const response = await fetch(`${url}/v1/connectors/cli-api`);
          const body = (await response.json()) as { connector?: { state: string } };
          return body.connector?.state === 'RUNNING' ? body : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 200, what: 'the connector running behind the API' },
      );
      expect(connector).toMatchObject({ source: { queue: { name: `${base}.in`, ready: 0 } } });
      expect((await fetch(`${url}/v1/connectors/cli-api/pause`, { method: 'PUT' })).status).toBe(202);
      expect((await fetch(`${url}/v1/dead-letters?connector=cli-api`)).status).toBe(200);
      expect(JSON.parse(readFileSync(audit, 'utf8').trim())).toMatchObject({ action: 'connector.pause', target: 'cli-api', actor: { sub: 'anonymous' } });
      expect(worker.output()).toContain('WITHOUT authentication');
    } finally {
      worker.kill('SIGTERM');
    }
    expect(await worker.exit).toBe(0);
  });

  it('without --admin-config every /v1 call is refused', async () => {
    const port = await freePort();
    const worker = run(['--port', String(port)]);
    try {
      const response = await waitFor(() => fetch(`http://127.0.0.1:${port}/v1/connectors`).catch(() => undefined), { timeoutMs: 30_000, intervalMs: 200, what: 'the HTTP server' });
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    } finally {
      worker.kill('SIGTERM');
    }
    expect(await worker.exit).toBe(0);
  });

  it('a broken control API configuration stops the start and lists every problem', async () => {
    writeFileSync(join(dir, 'bad.yaml'), stringify({ auth: { mode: 'oidc', issuer: 'not a url', algorithms: ['HS256'] }, audit: {} }));
    const worker = run(['--port', '0', '--admin-config', join(dir, 'bad.yaml')]);
    expect(await worker.exit).toBe(1);
    const output = worker.output();
    for (const path of ['auth.issuer', 'auth.audience', 'auth.algorithms.0', 'audit.file']) expect(output).toContain(path);
  });
});
