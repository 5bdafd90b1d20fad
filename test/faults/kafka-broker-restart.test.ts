/**
 * The Kafka broker itself goes away mid-stream: its JVM is stopped (a controlled shutdown, then a
 * crash) and started again on the same ports and data directory while two workers and the producer
 * keep going. The workers must recover by themselves, keep running, and lose nothing.
 */
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { createModelServer } from '../../services/model-server/index.ts';
import type { ModelServer } from '../../services/model-server/index.ts';
import { startKafkaBroker } from '../../scripts/kafka-broker/broker.ts';
import type { KafkaBroker } from '../../scripts/kafka-broker/broker.ts';
import { waitFor } from '../support/wait-for.ts';
import { faultConnector } from './support/connector.ts';
import { createKafkaFaultIo } from './support/kafka-io.ts';
import type { KafkaFaultIo } from './support/kafka-io.ts';
import { Ledger } from './support/ledger.ts';
import { createFleet } from './support/workers.ts';
import type { Fleet } from './support/workers.ts';

const RATE = 300;
const TOTAL = 1500;

let model: ModelServer;
let broker: KafkaBroker;
const opened: KafkaFaultIo[] = [];
let fleet: Fleet | undefined;

beforeAll(async () => {
  model = createModelServer({ grpcPort: false });
  await model.start();
  model.faults.set('sentiment', { latencyMs: { min: 1, max: 4 } });
  // A broker of this file's own: stopping the shared one would hurt the other test files.
  broker = await startKafkaBroker();
});

afterEach(async () => {
  // Each case's workers go with it: the next case restarts the broker again.
  await fleet?.stopAll();
  for (const io of opened.splice(0)) await io.close();
});

afterAll(async () => {
  await broker?.stop();
  await model?.close();
});

it.each(['SIGTERM', 'SIGKILL'] as const)('broker stopped with %s and restarted mid-stream: workers recover, nothing lost', { timeout: 240_000 }, async (signal) => {
  const io = await createKafkaFaultIo(broker.brokers, `kafka-broker-restart-${signal.toLowerCase()}`, 6);
  opened.push(io);
  const config = faultConnector(`faults-kafka-restart-${signal.toLowerCase()}`, model.url, {
    source: { kind: 'kafka', brokers: broker.brokers, topic: io.topics.source, group: `${io.topics.source}.workers`, commitInterval: '200ms', sessionTimeout: '10s' },
    sink: { kind: 'kafka', brokers: broker.brokers, topic: io.topics.sink },
    deadLetter: { kind: 'kafka', brokers: broker.brokers, topic: io.topics.dlq },
  });
  fleet = createFleet();
  const workers = [fleet.start(`${signal}-a`, config), fleet.start(`${signal}-b`, config)];
  await Promise.all(workers.map((w) => w.ready()));
  const producing = io.produce(Ledger.numbered(`kr${signal}`, TOTAL, 60), RATE);
  await waitFor(() => io.sink.length >= RATE * 3, { timeoutMs: 60_000, what: 'progress before the broker restart' });
  const before = io.sink.length;
  const stoppedAt = Date.now();
  await broker.restart(signal);
  const backAt = Date.now();
  await producing;
  await waitFor(() => io.ledger.accounted >= TOTAL, { timeoutMs: 150_000, intervalMs: 250, what: 'every id in the sink or the dead letters' });
  const summary = io.ledger.summary();
  const firstAfter = io.sink.find((a) => a.at > backAt)?.at ?? Number.NaN;
  console.log(io.ledger.line({ brokerStop: signal, enrichedBeforeRestart: before, brokerDownMs: backAt - stoppedAt, firstEnrichedAfterBackMs: firstAfter - backAt }));
  expect(summary.lostIds).toEqual([]);
  expect(summary.lost).toBe(0);
  expect(summary.unknown).toBe(0);
  // An outage of the broker is no reason to dead-letter anything.
  expect([...new Set(io.deadLetters.map((d) => d.code))]).toEqual([]);
  expect(summary.deadLettered).toBe(0);
  for (const worker of workers) expect(worker.alive).toBe(true);
  // Each worker's admin endpoint still says ready once the broker is back.
  await Promise.all(workers.map((w) => w.ready(60_000)));
});
