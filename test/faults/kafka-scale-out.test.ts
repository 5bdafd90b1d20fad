/**
 * Scale-out on Kafka: three workers in one consumer group on a 12-partition topic under steady load;
 * one is SIGKILLed, then a fourth joins. Every id must come out (sink ∪ dead letters), per-key order
 * must hold in the sink, and the stall of each rebalance is measured and printed (it follows the
 * session timeout for a crash; `FAULTS_SESSION_TIMEOUT` changes it, default 6s).
 */
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { createModelServer } from '../../services/model-server/index.ts';
import type { ModelServer } from '../../services/model-server/index.ts';
import { waitFor } from '../support/wait-for.ts';
import { faultConnector } from './support/connector.ts';
import { createKafkaFaultIo, stallAround } from './support/kafka-io.ts';
import type { KafkaFaultIo } from './support/kafka-io.ts';
import { Ledger, orderViolations } from './support/ledger.ts';
import { createFleet } from './support/workers.ts';

const SESSION_TIMEOUT = process.env.FAULTS_SESSION_TIMEOUT ?? '6s';
const PARTITIONS = 12;
const RATE = 300;
const TOTAL = 6000;
const KEYS = 240;
const COMMIT_INTERVAL_MS = 200;
const MAX_IN_FLIGHT = 64;

let model: ModelServer;
let io: KafkaFaultIo;
const fleet = createFleet();

beforeAll(async () => {
  model = createModelServer({ grpcPort: false });
  await model.start();
  model.faults.set('sentiment', { latencyMs: { min: 2, max: 6 } });
  io = await createKafkaFaultIo(inject('kafkaBrokers'), 'kafka-scale-out', PARTITIONS);
});

afterAll(async () => {
  await fleet.stopAll();
  await io?.close();
  await model?.close();
});

it('3 workers, one SIGKILLed, a fourth joins: nothing lost, per-key order holds, stalls measured', async () => {
  const brokers = inject('kafkaBrokers');
  const config = faultConnector('faults-kafka-scale', model.url, {
    source: { kind: 'kafka', brokers, topic: io.topics.source, group: `${io.topics.source}.workers`, commitInterval: `${COMMIT_INTERVAL_MS}ms`, sessionTimeout: SESSION_TIMEOUT },
    sink: { kind: 'kafka', brokers, topic: io.topics.sink },
    deadLetter: { kind: 'kafka', brokers, topic: io.topics.dlq },
  }, { concurrency: { max: MAX_IN_FLIGHT } });
  const workers = ['w1', 'w2', 'w3'].map((name) => fleet.start(name, config));
  await Promise.all(workers.map((w) => w.ready()));
  // A healthy start says nothing at ERROR, and no library nags about its defaults.
  for (const worker of workers) {
    expect(worker.errors()).toEqual([]);
    expect(worker.logs.filter((l) => l.level >= 40)).toEqual([]);
  }
  // Every member has its partitions once the group settled: wait for output from all three.
  const events = Ledger.numbered('ko', TOTAL, KEYS);
  const producing = io.produce(events, RATE);

  await waitFor(() => io.sink.length >= RATE * 4, { timeoutMs: 60_000, what: 'steady progress before the kill' });
  const killedAt = Date.now();
  await workers[0]!.kill('SIGKILL');
  // The fourth joins once the group took over the dead member's partitions (output from all of them).
  await waitFor(() => partitionsProgressingSince(io, killedAt + 1500) === PARTITIONS, {
    timeoutMs: 90_000, intervalMs: 200, what: 'every partition to make progress after the kill',
  });
  const joinedAt = Date.now();
  const fourth = fleet.start('w4', config);
  await fourth.ready();
  await producing;
  await waitFor(() => io.ledger.accounted >= TOTAL, { timeoutMs: 120_000, intervalMs: 250, what: 'every id in the sink or the dead letters' });

  const crash = stallAround(io.sink, io.partitionOf, killedAt, 60_000);
  const join = stallAround(io.sink, io.partitionOf, joinedAt, 30_000);
  const summary = io.ledger.summary();
  const duplicates = duplicatesBetween(io, [killedAt, joinedAt]);
  console.log(io.ledger.line({
    crashDuplicates: duplicates[1]!,
    joinDuplicates: duplicates[2]!,
    sessionTimeout: SESSION_TIMEOUT,
    crashStallMs: crash.maxMs,
    crashStalledPartitions: crash.partitions,
    joinStallMs: join.maxMs,
    joinStalledPartitions: join.partitions,
  }));
  if (process.env.FAULTS_TIMELINE) console.log(timeline(io, [killedAt, joinedAt]));
  expect(summary.lostIds).toEqual([]);
  expect(summary.lost).toBe(0);
  expect(summary.unknown).toBe(0);
  expect(summary.deadLettered).toBe(0);
  expect(orderViolations(io.sink)).toEqual([]);
  // A crash re-delivers what the dead member had fetched but not committed: its in-flight window plus
  // what it completed since its last commit. The join (eager rebalance) adds at most one more window
  // per surviving member.
  const perWorkerRate = RATE / 3;
  const crashBound = MAX_IN_FLIGHT + Math.ceil((perWorkerRate * COMMIT_INTERVAL_MS) / 1000) * 2;
  expect(summary.duplicates).toBeLessThanOrEqual(crashBound + 3 * MAX_IN_FLIGHT);
  for (const survivor of [workers[1]!, workers[2]!, fourth]) {
    expect(survivor.alive).toBe(true);
    expect(survivor.errors()).toEqual([]);
  }
});

/** Repeated sink arrivals, counted per interval between the marks: [before the first, …, after the last]. */
function duplicatesBetween(io: KafkaFaultIo, marks: readonly number[]): number[] {
  const counts = new Array<number>(marks.length + 1).fill(0);
  const seen = new Set<string>();
  for (const arrival of io.sink) {
    if (seen.has(arrival.id)) counts[marks.filter((m) => arrival.at >= m).length]!++;
    seen.add(arrival.id);
  }
  return counts;
}

/** Partitions with at least one sink arrival after `at`. */
function partitionsProgressingSince(io: KafkaFaultIo, at: number): number {
  const partitions = new Set<number>();
  for (let i = io.sink.length - 1; i >= 0 && io.sink[i]!.at > at; i--) partitions.add(io.partitionOf(io.sink[i]!.key));
  return partitions.size;
}

function timeline(io: KafkaFaultIo, marks: number[]): string {
  const start = io.sink[0]!.at;
  const rows: string[] = [];
  for (let t = start; t < io.sink.at(-1)!.at; t += 500) {
    const inSlot = io.sink.filter((a) => a.at >= t && a.at < t + 500);
    const parts = new Set(inSlot.map((a) => io.partitionOf(a.key)));
    const mark = marks.map((m, i) => (m >= t && m < t + 500 ? ` <== mark ${i}` : '')).join('');
    rows.push(`${((t - start) / 1000).toFixed(1)}s ${inSlot.length} events, ${parts.size} partitions${mark}`);
  }
  return rows.join('\n');
}
