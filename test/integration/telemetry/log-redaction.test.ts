/**
 * Secrets never reach the logs, in either log format: `modelbridge run` (a child process, at debug
 * level) with a configuration carrying an API key (an OpenAI-compatible backend, also as a header) and
 * passwords (a RabbitMQ URL, Kafka SASL) — once processing events over the real Kafka, once failing to
 * start on refused credentials — and every line it writes is searched for them.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';
import type { ConnectorConfigInput } from '../../../schemas/connector-config.ts';
import { createModelServer } from '../../../services/model-server/index.ts';
import type { ModelServer } from '../../../services/model-server/index.ts';
import { createTopic, produce, readAll } from '../../support/kafka.ts';
import { amqpUrl } from '../../support/rabbitmq.ts';
import { waitFor } from '../../support/wait-for.ts';

const API_KEY = `sk-${randomBytes(18).toString('hex')}`;
const PASSWORD = `pw-${randomBytes(18).toString('hex')}`;
const brokers = (): string[] => inject('kafkaBrokers');

let model: ModelServer;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mb-redaction-'));
  model = createModelServer({ grpcPort: false });
  await model.start();
});

afterAll(async () => {
  await model?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Run {
  readonly output: () => string;
  readonly exit: Promise<number | null>;
  stop(): Promise<number | null>;
}

function run(name: string, config: ConnectorConfigInput, format: 'json' | 'ecs'): Run {
  const file = join(dir, `${name}-${format}.yaml`);
  writeFileSync(file, stringify(config));
  const child = spawn(process.execPath, ['services/cli/main.ts', 'run', '--config', file, '--port', '0', '--log-level', 'debug', '--log-format', format, '--grace', '5s'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    output: () => output,
    exit,
    stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exit;
    },
  };
}

function expectNoSecret(output: string): void {
  expect(output).not.toContain(API_KEY);
  expect(output).not.toContain(PASSWORD);
  // Not even a part of one (a truncated error message).
  expect(output).not.toContain(API_KEY.slice(3, 20));
  expect(output).not.toContain(PASSWORD.slice(3, 20));
}

describe.each(['json', 'ecs'] as const)('no secret in the %s logs', (format) => {
  it('while processing events with an API key', async () => {
    const input = await createTopic(brokers(), { prefix: 'mb-redact-in' });
    const enriched = await createTopic(brokers(), { prefix: 'mb-redact-out' });
    const dlq = await createTopic(brokers(), { prefix: 'mb-redact-dlq' });
    const worker = run('processing', {
      name: 'redaction',
      source: { kind: 'kafka', brokers: brokers(), topic: input, group: `${input}.worker` },
      decode: { format: 'json', idPath: 'id' },
      inference: {
        backend: { kind: 'openai', url: `${model.url}/v1`, model: 'text-generator', apiKey: API_KEY, headers: { 'x-api-key': API_KEY }, endpoint: 'chat' },
        request: { inputs: { user: 'data.text' } },
        response: { answer: 'outputs.content' },
      },
      sink: { kind: 'kafka', brokers: brokers(), topic: enriched },
      deadLetter: { kind: 'kafka', brokers: brokers(), topic: dlq },
    }, format);
    try {
      await waitFor(() => worker.output().includes('connector running'), { timeoutMs: 60_000, what: 'the worker running' });
      await produce(brokers(), input, [{ key: 'a', value: JSON.stringify({ id: 'ok-1', text: 'The parcel arrived broken.' }) }, { key: 'b', value: '{ broken json' }]);
      await waitFor(async () => (await readAll(brokers(), enriched)).length === 1 && (await readAll(brokers(), dlq)).length === 1, { timeoutMs: 30_000, what: 'one enriched event and one dead letter' }).catch((error: unknown) => {
        throw new Error(`${(error as Error).message}; worker output:\n${worker.output()}`);
      });
    } finally {
      expect(await worker.stop()).toBe(0);
    }
    expect(worker.output()).toContain('dead-lettering');
    expectNoSecret(worker.output());
  });

  it('when refused credentials stop the start', async () => {
    const url = new URL(amqpUrl());
    url.username = 'mb-redaction';
    url.password = PASSWORD;
    const worker = run('refused', {
      name: 'redaction-refused',
      source: { kind: 'rabbitmq', url: url.toString(), queue: 'mb-redaction-never-created', reconnectDelay: '100ms' },
      decode: { format: 'json' },
      inference: {
        backend: { kind: 'openai', url: `${model.url}/v1`, model: 'text-generator', apiKey: API_KEY },
        request: { inputs: { user: 'data.text' } },
        response: { answer: 'outputs.content' },
      },
      sink: { kind: 'kafka', brokers: brokers(), topic: 'mb-redaction-never-used', sasl: { mechanism: 'plain', username: 'mb', password: PASSWORD } },
      deadLetter: { kind: 'kafka', brokers: brokers(), topic: 'mb-redaction-never-used-dlq' },
    }, format);
    const code = await Promise.race([worker.exit, new Promise<'running'>((resolve) => setTimeout(() => resolve('running'), 60_000))]);
    if (code === 'running') await worker.stop();
    expect(code).toBe(1);
    expect(worker.output()).toMatch(/cannot start|failed to start/);
    expectNoSecret(worker.output());
  });
});
