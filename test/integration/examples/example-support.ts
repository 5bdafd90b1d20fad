/**
 * What the use-case tests share: the example YAML loaded as an operator would (interpolated from an
 * environment that points at the test brokers and the in-process reference model server), its
 * destinations swapped for unique ones (tests share one broker), a worker running it in-process, and
 * RabbitMQ destinations with collectors. Kafka destinations come from the worker suite's harness.
 */
import { readFileSync } from 'node:fs';
import { connect } from 'amqplib';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, inject } from 'vitest';
import { createRegistry } from '../../../connectors/registry.ts';
import type { ConnectorConfig, SinkConfig, SourceConfig } from '../../../schemas/connector-config.ts';
import { DLQ_HEADERS } from '../../../schemas/dead-letter.ts';
import { loadConnectorConfig } from '../../../schemas/load-config.ts';
import { createModelServer } from '../../../services/model-server/index.ts';
import type { ModelServer } from '../../../services/model-server/index.ts';
import { createWorker } from '../../../services/worker/worker.ts';
import type { Worker } from '../../../services/worker/worker.ts';
import { publishRaw } from '../../support/rabbitmq.ts';
import { uniqueName } from '../../support/wait-for.ts';
import { collectQueue } from '../worker/harness-rabbitmq.ts';
import { headerString } from '../worker/harness.ts';
import type { Collector, E2EEnvironment, Received } from '../worker/harness.ts';

const USE_CASES = new URL('../../../config/use-cases/', import.meta.url);
const EXAMPLE_FIXTURES = new URL('../../fixtures/examples/', import.meta.url);

/** The environment a deployment would set, pointing at the test brokers and the model server. */
export function exampleEnv(model: ModelServer): Record<string, string> {
  return {
    KAFKA_BROKERS: inject('kafkaBrokers')[0]!,
    AMQP_URL: inject('amqpUrl'),
    MODEL_URL: model.url,
    MODEL_GRPC: model.grpcUrl,
  };
}

/** Loads `config/use-cases/<file>` exactly as `modelbridge run` does. */
export function loadUseCase(file: string, env: Readonly<Record<string, string>>): ConnectorConfig {
  const path = new URL(file, USE_CASES);
  return loadConnectorConfig(readFileSync(path, 'utf8'), { file: path.pathname, env, readFile: (p) => readFileSync(p, 'utf8') });
}

/** The raw bytes of a fixture under test/fixtures/examples. */
export function exampleFixture(name: string): Buffer {
  return readFileSync(new URL(name, EXAMPLE_FIXTURES));
}

/** The same connector reading from and writing to other destinations (everything else as configured). */
export function redirect(config: ConnectorConfig, to: { source: Partial<SourceConfig>; sink: Partial<SinkConfig>; deadLetter: Partial<SinkConfig> }): ConnectorConfig {
  return {
    ...config,
    source: { ...config.source, ...to.source } as SourceConfig,
    sink: { ...config.sink, ...to.sink } as SinkConfig,
    deadLetter: { ...config.deadLetter, ...to.deadLetter } as SinkConfig,
  };
}

/** The unique topics (and consumer group) of a Kafka harness environment, for {@link redirect}. */
export function kafkaDestinations(env: E2EEnvironment): Parameters<typeof redirect>[1] {
  const topic = (destination: { kind: string; topic?: string }): string => {
    if (destination.topic === undefined) throw new Error(`not a Kafka destination: ${destination.kind}`);
    return destination.topic;
  };
  const source = topic(env.source);
  return { source: { topic: source, group: `${source}.worker` }, sink: { topic: topic(env.sink) }, deadLetter: { topic: topic(env.deadLetter) } };
}

/** Starts a worker running `config`; close it with `close(grace)`. */
export async function startWorker(config: ConnectorConfig): Promise<Worker> {
  const worker = createWorker({ connectors: [config], registry: createRegistry(), logger: pino({ level: 'silent' }), metricsRegistry: new Registry() });
  await worker.start();
  return worker;
}

/** A use case set up by {@link setupUseCase}; its fields are there once `beforeAll` ran. */
export interface UseCase<D> {
  readonly model: ModelServer;
  readonly destinations: D;
  readonly config: ConnectorConfig;
  readonly worker: Worker;
}

export interface UseCaseOptions<D> {
  /** Unique destinations on the test brokers, with collectors; `cleanup` deletes them. */
  destinations(): Promise<D>;
  /** Where the configured source, sink and dead letter point instead. */
  redirect(destinations: D): Parameters<typeof redirect>[1];
  /** Checks of the file as loaded, before it runs (that the example points where the test expects). */
  expectConfig?(config: ConnectorConfig, model: ModelServer): void;
}

/**
 * What every use-case test sets up, registered as `beforeAll`/`afterAll`: the reference model server,
 * unique destinations, `config/use-cases/<file>` loaded as `modelbridge run` does and redirected to
 * them, and a worker running it. Torn down in reverse order.
 */
export function setupUseCase<D extends { cleanup(): Promise<void> }>(file: string, options: UseCaseOptions<D>): UseCase<D> {
  let model: ModelServer | undefined;
  let destinations: D | undefined;
  let config: ConnectorConfig | undefined;
  let worker: Worker | undefined;
  beforeAll(async () => {
    model = createModelServer();
    await model.start();
    destinations = await options.destinations();
    config = loadUseCase(file, exampleEnv(model));
    options.expectConfig?.(config, model);
    worker = await startWorker(redirect(config, options.redirect(destinations)));
  });
  afterAll(async () => {
    await worker?.close(2000);
    await destinations?.cleanup();
    await model?.close();
  });
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the use case is set up in beforeAll');
    return value;
  };
  return {
    get model() {
      return ready(model);
    },
    get destinations() {
      return ready(destinations);
    },
    get config() {
      return ready(config);
    },
    get worker() {
      return ready(worker);
    },
  };
}

/** A published CloudEvent, parsed. */
export interface Enriched<I = Record<string, unknown>, O = Record<string, unknown>> {
  readonly id: string;
  readonly type: string;
  readonly source: string;
  readonly subject?: string;
  readonly partitionkey?: string;
  readonly data: { readonly input: I; readonly output: O; readonly provenance: Record<string, unknown> };
}

export function parseEnriched<I = Record<string, unknown>, O = Record<string, unknown>>(message: Received): Enriched<I, O> {
  return JSON.parse(message.value.toString('utf8')) as Enriched<I, O>;
}

/** Dead letters by error code, each with its original bytes. */
export function deadLettersByCode(collector: Collector): Map<string, Received[]> {
  const byCode = new Map<string, Received[]>();
  for (const message of collector.messages) {
    const code = headerString(message.headers, DLQ_HEADERS.code) ?? '(none)';
    byCode.set(code, [...(byCode.get(code) ?? []), message]);
  }
  return byCode;
}

/** RabbitMQ: unique source, sink and dead-letter queues, collectors on the last two. */
export interface RabbitDestinations {
  readonly source: string;
  readonly sink: string;
  readonly deadLetter: string;
  readonly enriched: Collector;
  readonly deadLetters: Collector;
  publish(messages: readonly { value: Buffer | string; contentType: string }[]): Promise<void>;
  /** Declares a topic exchange deleted again by `cleanup` (the sink checks exchanges, it does not create them). */
  exchange(prefix: string): Promise<string>;
  cleanup(): Promise<void>;
}

/** `sourceName` is the last part of the source queue's name (a platform event's name, for example). */
export async function rabbitDestinations(sourceName: string): Promise<RabbitDestinations> {
  const base = uniqueName('mb-example');
  const queues = { source: `${base}.${sourceName}`, sink: `${base}.enriched`, deadLetter: `${base}.dlq` };
  const exchanges: string[] = [];
  const connection = await connect(inject('amqpUrl'));
  connection.on('error', () => undefined);
  const channel = await connection.createChannel();
  channel.on('error', () => undefined);
  for (const queue of Object.values(queues)) await channel.assertQueue(queue, { durable: true });

  const enriched = await collectQueue(channel, queues.sink);
  const deadLetters = await collectQueue(channel, queues.deadLetter);
  return {
    ...queues,
    enriched,
    deadLetters,
    async publish(messages) {
      await publishRaw(queues.source, messages.map((m) => ({ value: m.value, properties: { contentType: m.contentType } })));
    },
    // A unique exchange name; the connector under test declares it (sink `exchangeType`).
    async exchange(prefix) {
      const name = uniqueName(prefix);
      exchanges.push(name);
      return name;
    },
    async cleanup() {
      for (const queue of Object.values(queues)) await channel.deleteQueue(queue).catch(() => undefined);
      for (const name of exchanges) await channel.deleteExchange(name).catch(() => undefined);
      await connection.close().catch(() => undefined);
    },
  };
}
