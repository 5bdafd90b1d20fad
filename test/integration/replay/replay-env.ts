/**
 * The replay acceptance environment on a real broker: a worker (in-process) consuming a fresh source,
 * calling the reference model server, publishing enriched events (collected) and dead letters (left
 * alone: they are what replay reads), plus a replay service over the same connector config.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'amqplib';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, inject } from 'vitest';
import { stringify } from 'yaml';
import { ModelbridgeError } from '../../../schemas/errors.ts';
import type { ErrorCode } from '../../../schemas/errors.ts';
import { createRegistry } from '../../../connectors/registry.ts';
import type { InboundMessage, MessageOrigin, OutboundMessage } from '../../../connectors/types.ts';
import { connectorConfigSchema } from '../../../schemas/connector-config.ts';
import type { ConnectorConfig, ConnectorConfigInput } from '../../../schemas/connector-config.ts';
import { createModelServer } from '../../../services/model-server/index.ts';
import type { ModelServer } from '../../../services/model-server/index.ts';
import { createReplayService } from '../../../services/replay/service.ts';
import type { DeadLetterView, ReplayService } from '../../../services/replay/types.ts';
import { buildDeadLetter } from '../../../services/worker/messages.ts';
import { createWorker } from '../../../services/worker/worker.ts';
import type { Worker } from '../../../services/worker/worker.ts';
import { readAll, testKafka } from '../../support/kafka.ts';
import { amqpUrl, drainQueue, publishRaw } from '../../support/rabbitmq.ts';
import { uniqueName } from '../../support/wait-for.ts';
import { collectQueue } from '../worker/harness-rabbitmq.ts';
import type { Collector, Received } from '../worker/harness.ts';

export const CONNECTOR = 'replay-e2e';
export const MARKER = 'REJECT-ME';

export interface TestEvent {
  readonly key: string;
  readonly value: string;
}

/** Event `i`: JSON with id and key `k-<i>`; `marker` puts the model's reject marker in the text. */
export function testEvent(i: number, kind: 'ok' | 'marker' | 'malformed'): TestEvent {
  const key = `k-${i}`;
  if (kind === 'malformed') return { key, value: `{"id": "e-${i}", "key": "${key}", "text": "cut` };
  return { key, value: JSON.stringify({ id: `e-${i}`, key, text: kind === 'marker' ? `please ${MARKER} this` : `all fine ${i}` }) };
}

export interface ReplayEnv {
  readonly broker: 'kafka' | 'rabbitmq';
  readonly config: ConnectorConfig;
  readonly enriched: Collector;
  readonly service: ReplayService;
  readonly metrics: Registry;
  produce(events: readonly TestEvent[]): Promise<void>;
  /** Every dead letter in the DLQ now (browsed, not consumed). */
  deadLetters(name?: string): Promise<DeadLetterView[]>;
  startWorker(): Promise<void>;
  /** Puts dead letters straight into the DLQ, as the worker would have written them for `events`. */
  seed(events: readonly TestEvent[], code: ErrorCode): Promise<void>;
  /** Keys of every message on the source now (Kafka: read; RabbitMQ: drained). */
  sourceKeys(): Promise<string[]>;
  /** Messages on the source now (Kafka: high watermarks; RabbitMQ: queue depth). */
  sourceCount(): Promise<number>;
  /** Writes the connector config to a file for CLI runs. */
  configFile(): string;
  cleanup(): Promise<void>;
}

/** Keys of enriched events as received (duplicates kept). */
export const keysOf = (messages: readonly Received[]): string[] => messages.map((m) => m.key ?? '(none)');

function connector(source: ConnectorConfigInput['source'], sink: ConnectorConfigInput['sink'], deadLetter: ConnectorConfigInput['deadLetter'], model: ModelServer): ConnectorConfigInput {
  return {
    name: CONNECTOR,
    source,
    decode: { format: 'json', idPath: 'id', keyPath: 'key', type: 'com.example.feedback' },
    inference: {
      backend: { kind: 'kserve-http', url: model.url, model: 'sentiment' },
      request: { inputs: { TEXT: 'data.text' } },
      response: { sentiment: 'outputs.LABEL[0]' },
      timeout: '2s',
      retry: { attempts: 2, minDelay: '20ms', maxDelay: '100ms' },
      breaker: { volumeThreshold: 1000, resetTimeout: '300ms' },
      concurrency: { max: 64 },
    },
    sink,
    deadLetter,
  };
}

interface Parts {
  readonly source: ConnectorConfigInput['source'];
  readonly sink: ConnectorConfigInput['sink'];
  readonly deadLetter: ConnectorConfigInput['deadLetter'];
  produce: ReplayEnv['produce'];
  seed(letters: readonly OutboundMessage[]): Promise<void>;
  origin(i: number): MessageOrigin;
  sourceKeys(): Promise<string[]>;
  sourceCount(): Promise<number>;
  collect(): Promise<Collector>;
  cleanup(): Promise<void>;
}

async function kafkaParts(): Promise<Parts> {
  const brokers = inject('kafkaBrokers');
  const kafka = testKafka(brokers);
  const base = uniqueName('mb-replay');
  const topics = { source: `${base}.in`, sink: `${base}.out`, dlq: `${base}.dlq`, parked: `${base}.dlq.parked` };
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic: topics.source, numPartitions: 2 }, { topic: topics.sink }, { topic: topics.dlq, numPartitions: 2 }, { topic: topics.parked }] });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const consumer = kafka.consumer({ groupId: `${base}.collector`, maxWaitTimeInMs: 100 });
  return {
    source: { kind: 'kafka', brokers, topic: topics.source, group: `${base}.worker`, commitInterval: '200ms', sessionTimeout: '6s' },
    sink: { kind: 'kafka', brokers, topic: topics.sink },
    deadLetter: { kind: 'kafka', brokers, topic: topics.dlq },
    async produce(events) {
      await producer.send({ topic: topics.source, acks: -1, messages: events.map((e) => ({ key: e.key, value: e.value, headers: { 'content-type': 'application/json' } })) });
    },
    async seed(letters) {
      const messages = letters.map((m) => ({ key: m.key as Buffer, value: m.value as Buffer, headers: m.headers }));
      // Chunks stay under the broker's 1 MiB request limit.
      for (let i = 0; i < messages.length; i += 200) await producer.send({ topic: topics.dlq, acks: -1, messages: messages.slice(i, i + 200) });
    },
    origin: (i) => ({ transport: 'kafka', topic: topics.source, partition: i % 2, offset: String(i), timestamp: Date.now() }),
    async sourceKeys() {
      return (await readAll(brokers, topics.source)).map((r) => r.key?.toString() ?? '(none)');
    },
    async sourceCount() {
      return (await admin.fetchTopicOffsets(topics.source)).reduce((sum, p) => sum + Number(p.high), 0);
    },
    async collect() {
      const messages: Received[] = [];
      await consumer.connect();
      await consumer.subscribe({ topic: topics.sink, fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void messages.push({ key: message.key?.toString() ?? null, value: message.value ?? Buffer.alloc(0), headers: {} }) });
      return { messages };
    },
    async cleanup() {
      await consumer.disconnect().catch(() => undefined);
      await producer.disconnect().catch(() => undefined);
      await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined);
      await admin.disconnect();
    },
  };
}

async function rabbitParts(): Promise<Parts> {
  const url = amqpUrl();
  const base = uniqueName('mb-replay');
  const queues = { source: `${base}.in`, sink: `${base}.out`, dlq: `${base}.dlq`, parked: `${base}.dlq.parked` };
  const connection = await connect(url);
  connection.on('error', () => undefined);
  const channel = await connection.createChannel();
  channel.on('error', () => undefined);
  for (const queue of Object.values(queues)) await channel.assertQueue(queue, { durable: true });
  return {
    source: { kind: 'rabbitmq', url, queue: queues.source, prefetch: 64 },
    sink: { kind: 'rabbitmq', url, exchange: '', routingKey: queues.sink, queue: queues.sink },
    deadLetter: { kind: 'rabbitmq', url, exchange: '', routingKey: queues.dlq, queue: queues.dlq },
    async produce(events) {
      await publishRaw(queues.source, events.map((e) => ({ value: e.value, headers: { cloudEvents_partitionkey: e.key }, properties: { contentType: 'application/json' } })));
    },
    async seed(letters) {
      await publishRaw(queues.dlq, letters.map((m) => ({ value: m.value as Buffer, headers: m.headers, properties: { contentType: m.contentType } })));
    },
    origin: (i) => ({ transport: 'amqp', exchange: '', routingKey: queues.source, queue: queues.source, redelivered: false, deliveryTag: i + 1 }),
    async sourceKeys() {
      return (await drainQueue(queues.source)).map((m) => m.key?.toString() ?? '(none)');
    },
    async sourceCount() {
      return (await channel.checkQueue(queues.source)).messageCount;
    },
    collect: () => collectQueue(channel, queues.sink),
    async cleanup() {
      for (const queue of Object.values(queues)) await channel.deleteQueue(queue).catch(() => undefined);
      await connection.close().catch(() => undefined);
    },
  };
}

/** Sets up the environment on `broker`; the worker starts with `startWorker()`. */
export async function createReplayEnv(broker: 'kafka' | 'rabbitmq', model: ModelServer): Promise<ReplayEnv> {
  const parts = broker === 'kafka' ? await kafkaParts() : await rabbitParts();
  const input = connector(parts.source, parts.sink, parts.deadLetter, model);
  const config = connectorConfigSchema.parse(input);
  const logger = pino({ level: 'silent' });
  const metrics = new Registry();
  const service = createReplayService({ connectors: [config], logger, metricsRegistry: metrics });
  const enriched = await parts.collect();
  let worker: Worker | undefined;
  let dir: string | undefined;
  return {
    broker,
    config,
    enriched,
    service,
    metrics,
    produce: parts.produce,
    seed(events, code) {
      const letters = events.map((event, i) => {
        const original: InboundMessage = {
          key: Buffer.from(event.key),
          value: Buffer.from(event.value),
          headers: broker === 'kafka' ? { 'content-type': Buffer.from('application/json') } : { cloudEvents_partitionkey: event.key },
          contentType: broker === 'kafka' ? undefined : 'application/json',
          timestamp: Date.now(),
          origin: parts.origin(i),
        };
        const now = Date.now();
        return buildDeadLetter(original, new ModelbridgeError(code, `seeded ${code}`), { connector: CONNECTOR, backend: 'kserve-http', model: 'sentiment', attempts: 1, firstFailureAt: now, lastFailureAt: now, eventId: event.key });
      });
      return parts.seed(letters);
    },
    sourceKeys: () => parts.sourceKeys(),
    sourceCount: () => parts.sourceCount(),
    async deadLetters(name) {
      const views: DeadLetterView[] = [];
      let cursor: string | undefined;
      do {
        const page = await service.browse({ connector: CONNECTOR, name, limit: 500, cursor });
        views.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor !== undefined);
      return views;
    },
    async startWorker() {
      worker = createWorker({ connectors: [config], registry: createRegistry(), logger, metricsRegistry: new Registry() });
      await worker.start();
    },
    configFile() {
      dir ??= mkdtempSync(join(tmpdir(), 'mb-replay-'));
      const file = join(dir, 'connector.yaml');
      writeFileSync(file, stringify(input));
      return file;
    },
    async cleanup() {
      await service.close();
      await worker?.close(2000);
      await parts.cleanup();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs `modelbridge <args>` as a child process; stdout is collected. */
export function spawnCli(args: string[]): { child: ChildProcess; stdout: () => string; stderr: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, ['services/cli/main.ts', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))));
  return { child, stdout: () => out, stderr: () => err, exit };
}

/**
 * Per describe block: the reference model server for the block, and a fresh environment per test,
 * cleaned up (and the model's faults cleared) after each.
 */
export function useReplayEnv(broker: 'kafka' | 'rabbitmq'): { readonly model: ModelServer; create(): Promise<ReplayEnv> } {
  let model: ModelServer;
  let env: ReplayEnv | undefined;
  beforeAll(async () => {
    model = createModelServer({ grpcPort: false });
    await model.start();
  });
  afterAll(() => model.close());
  afterEach(async () => {
    await env?.cleanup();
    env = undefined;
    model.faults.clear();
  });
  return {
    get model() {
      return model;
    },
    async create() {
      env = await createReplayEnv(broker, model);
      return env;
    },
  };
}
