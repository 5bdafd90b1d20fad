/**
 * vitest globalSetup of the integration project: makes a Kafka broker and RabbitMQ available and hands
 * their addresses to the tests (`inject('kafkaBrokers')`, `inject('amqpUrl')`).
 *
 * - Kafka: `KAFKA_BROKERS` (comma-separated) if set, else a broker started from the Kafka jars.
 * - RabbitMQ: `AMQP_URL` (default `amqp://guest:guest@127.0.0.1:5672`); if unreachable and
 *   `rabbitmq-server` is installed, it is started detached.
 *
 * Under `CI=true` a broker that cannot be had is a hard error; locally the setup still fails, since a
 * test that silently skipped would look like a pass.
 */
import { spawnSync } from 'node:child_process';
import { connect } from 'amqplib';
import type { TestProject } from 'vitest/node';
import { startKafkaBroker } from '../../scripts/kafka-broker/broker.ts';
import { waitFor } from './wait-for.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Bootstrap brokers of the test Kafka, `host:port`. */
    kafkaBrokers: string[];
    /** URL of the test RabbitMQ. */
    amqpUrl: string;
  }
}

const DEFAULT_AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const log = (line: string): void => console.error(`[global-setup] ${line}`);
  const amqpUrl = process.env.AMQP_URL ?? DEFAULT_AMQP_URL;
  // One after the other: starting Kafka blocks the event loop for seconds (its storage format runs
  // synchronously), long enough to time out a RabbitMQ probe running beside it and take a running
  // broker for a stopped one.
  await ensureRabbitmq(amqpUrl, log);
  const kafka = await kafkaBrokers(log);
  project.provide('kafkaBrokers', kafka.brokers);
  project.provide('amqpUrl', amqpUrl);
  return kafka.stop;
}

async function kafkaBrokers(log: (line: string) => void): Promise<{ brokers: string[]; stop: () => Promise<void> }> {
  const fromEnv = process.env.KAFKA_BROKERS?.split(',').map((b) => b.trim()).filter(Boolean);
  if (fromEnv?.length) {
    log(`using Kafka at ${fromEnv.join(',')} (KAFKA_BROKERS)`);
    return { brokers: fromEnv, stop: async () => undefined };
  }
  log('starting a Kafka broker from the Apache Kafka jars');
  const broker = await startKafkaBroker({ log });
  log(`Kafka broker up on ${broker.brokers.join(',')} (logs: ${broker.dir}/broker.log)`);
  return broker;
}

async function ensureRabbitmq(url: string, log: (line: string) => void): Promise<void> {
  if (await canConnect(url)) return;
  const which = spawnSync('sh', ['-c', 'command -v rabbitmq-server'], { encoding: 'utf8' });
  if (which.status !== 0) {
    throw new Error(`RabbitMQ is not reachable at ${redact(url)} and rabbitmq-server is not installed`);
  }
  log(`RabbitMQ not reachable at ${redact(url)}; running rabbitmq-server -detached`);
  const started = spawnSync('rabbitmq-server', ['-detached'], { encoding: 'utf8' });
  if (started.status !== 0) throw new Error(`rabbitmq-server -detached failed:\n${started.stdout}${started.stderr}`);
  await waitFor(() => canConnect(url), { timeoutMs: 90_000, intervalMs: 500, what: `RabbitMQ at ${redact(url)}` });
  log('RabbitMQ is up');
}

async function canConnect(url: string): Promise<boolean> {
  try {
    const connection = await connect(url, { timeout: 2000 });
    await connection.close();
    return true;
  } catch {
    return false;
  }
}

function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
