/**
 * RabbitMQ faults, on a private node this file starts (the shared broker is never touched): competing
 * workers with one SIGKILLed, a broker restart (stop_app/start_app), a forced close of the worker's
 * connections, and a memory alarm that blocks publishers. In each case the workers wait or reconnect,
 * never crash, and every id comes out in the sink or the dead letters.
 */
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { createModelServer } from '../../services/model-server/index.ts';
import type { ModelServer } from '../../services/model-server/index.ts';
import { startRabbitmqNode } from '../support/rabbitmq-node.ts';
import type { RabbitmqNode } from '../support/rabbitmq-node.ts';
import { waitFor } from '../support/wait-for.ts';
import { createAmqpFaultIo } from './support/amqp-io.ts';
import type { AmqpFaultIo } from './support/amqp-io.ts';
import { faultConnector } from './support/connector.ts';
import { Ledger } from './support/ledger.ts';
import type { LedgerSummary } from './support/ledger.ts';
import { createFleet } from './support/workers.ts';
import type { Fleet, WorkerProcess } from './support/workers.ts';

let model: ModelServer;
let node: RabbitmqNode;
let fleet: Fleet;
const opened: AmqpFaultIo[] = [];

beforeAll(async () => {
  model = createModelServer({ grpcPort: false });
  await model.start();
  model.faults.set('sentiment', { latencyMs: { min: 1, max: 4 } });
  node = await startRabbitmqNode();
});

afterEach(async () => {
  await fleet?.stopAll();
  // A failed alarm case must not leave the node blocking the next one.
  await node?.setMemoryWatermark(0.4).catch(() => undefined);
});

afterAll(async () => {
  for (const io of opened) await io.close();
  await node?.stop();
  await model?.close();
});

async function setup(name: string, workers: number): Promise<{ io: AmqpFaultIo; workers: WorkerProcess[] }> {
  fleet = createFleet();
  const io = await createAmqpFaultIo(node.url, name);
  opened.push(io);
  const config = faultConnector(`faults-${name}`, model.url, {
    source: { kind: 'rabbitmq', url: node.url, queue: io.queues.source, prefetch: 64, reconnectDelay: '200ms' },
    sink: { kind: 'rabbitmq', url: node.url, exchange: '', routingKey: io.queues.sink, reconnectDelay: '200ms' },
    deadLetter: { kind: 'rabbitmq', url: node.url, exchange: '', routingKey: io.queues.dlq, reconnectDelay: '200ms' },
  });
  const started = Array.from({ length: workers }, (_, i) => fleet.start(`${name}-${i + 1}`, config));
  await Promise.all(started.map((w) => w.ready()));
  return { io, workers: started };
}

async function settle(io: AmqpFaultIo, extra: Record<string, string | number> = {}): Promise<LedgerSummary> {
  await waitFor(() => io.ledger.accounted >= io.ledger.sentCount, { timeoutMs: 120_000, intervalMs: 250, what: 'every id in the sink or the dead letters' });
  console.log(io.ledger.line(extra));
  const summary = io.ledger.summary();
  expect(summary.lostIds).toEqual([]);
  expect(summary.lost).toBe(0);
  expect(summary.unknown).toBe(0);
  expect(summary.deadLettered).toBe(0);
  return summary;
}

it('three competing workers, one SIGKILLed mid-stream: nothing lost', async () => {
  const { io, workers } = await setup('rabbitmq-scale-out', 3);
  const producing = io.produce(Ledger.numbered('rs', 2000, 100), 300);
  await waitFor(() => io.sink.length >= 600, { timeoutMs: 60_000, what: 'progress before the kill' });
  await workers[0]!.kill('SIGKILL');
  await producing;
  const summary = await settle(io, { killed: 1 });
  // The dead worker's unacked deliveries (at most its prefetch) come back to the others.
  expect(summary.duplicates).toBeLessThanOrEqual(64);
  for (const survivor of workers.slice(1)) expect(survivor.alive).toBe(true);
});

it('broker restart (stop_app, start_app) mid-stream: the worker reconnects, nothing lost', async () => {
  const { io, workers } = await setup('rabbitmq-restart', 1);
  const producing = io.produce(Ledger.numbered('rr', 1000, 50), 250);
  await waitFor(() => io.sink.length >= 300, { timeoutMs: 60_000, what: 'progress before the restart' });
  await node.stopApp();
  await new Promise((resolve) => setTimeout(resolve, 1000));
  await node.startApp();
  await producing;
  await settle(io, { restart: 'stop_app/start_app' });
  expect(workers[0]!.alive).toBe(true);
  await workers[0]!.ready(60_000);
  expect(workers[0]!.logs.some((l) => l.msg === 'amqp connection lost')).toBe(true);
});

it('forced close of the worker connections (rabbitmqctl close_connection): it reconnects, nothing lost', async () => {
  const { io, workers } = await setup('rabbitmq-close', 1);
  const producing = io.produce(Ledger.numbered('rc', 1000, 50), 250);
  await waitFor(() => io.sink.length >= 300, { timeoutMs: 60_000, what: 'progress before the close' });
  expect(await node.closeConnections('modelbridge')).toBeGreaterThanOrEqual(2);
  await producing;
  await settle(io, { closedConnections: 'source+sinks' });
  expect(workers[0]!.alive).toBe(true);
  await workers[0]!.ready(60_000);
});

it('a memory alarm blocks publishers: the worker waits, dead-letters nothing, and finishes after it clears', async () => {
  const { io, workers } = await setup('rabbitmq-memory-alarm', 1);
  // A slow model keeps the worker publishing for a few seconds: the broker blocks a connection when it
  // publishes under the alarm.
  model.faults.set('sentiment', { latencyMs: 150 });
  await io.produce(Ledger.numbered('ra', 1200, 40), 2000);
  await waitFor(() => io.sink.length >= 100, { timeoutMs: 60_000, what: 'progress before the alarm' });
  await node.setMemoryWatermark(0.000001);
  await waitFor(() => node.memoryAlarm(), { timeoutMs: 30_000, what: 'the memory alarm' });
  await waitFor(() => workers[0]!.logs.some((l) => l.msg === 'amqp connection blocked by the broker'), { timeoutMs: 30_000, what: 'the worker to see the block' });
  const stalledAt = io.sink.length;
  await new Promise((resolve) => setTimeout(resolve, 3000));
  // Blocked: nothing more gets published while the alarm holds, and the worker is still there.
  expect(io.sink.length - stalledAt).toBeLessThanOrEqual(64);
  expect(workers[0]!.alive).toBe(true);
  await node.setMemoryWatermark(0.4);
  model.faults.set('sentiment', { latencyMs: { min: 1, max: 4 } });
  await settle(io, { alarmHeldMs: 3000, enrichedAtAlarm: stalledAt });
  expect(workers[0]!.alive).toBe(true);
  expect(workers[0]!.logs.some((l) => l.msg === 'amqp connection unblocked')).toBe(true);
});
