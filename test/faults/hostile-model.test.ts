/**
 * Hostile model answers, through a real broker (RabbitMQ) and a worker running in this process (so
 * its memory can be read): an answer that never ends, one far larger than `maxResponseBytes`, a 200
 * with an HTML page, and a gRPC answer cut off mid-message. Each is a typed error; the event is held or
 * dead-lettered by the rules; memory stays bounded; the worker keeps going.
 */
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { createRegistry } from '../../connectors/registry.ts';
import { connectorConfigSchema } from '../../schemas/connector-config.ts';
import type { ConnectorConfigInput } from '../../schemas/connector-config.ts';
import { DLQ_HEADERS } from '../../schemas/dead-letter.ts';
import { createModelServer } from '../../services/model-server/index.ts';
import type { ModelServer } from '../../services/model-server/index.ts';
import { createWorker } from '../../services/worker/worker.ts';
import type { Worker } from '../../services/worker/worker.ts';
import { headerString } from '../integration/worker/harness.ts';
import type { E2EEnvironment } from '../integration/worker/harness.ts';
import { rabbitmqHarness } from '../integration/worker/harness-rabbitmq.ts';
import { waitFor } from '../support/wait-for.ts';
import { metricValue } from '../support/metrics.ts';
import { faultConnector } from './support/connector.ts';
import { startHostileHttpBackend, startTruncatingGrpcBackend } from './support/hostile-backend.ts';
import type { HostileHttpBackend } from './support/hostile-backend.ts';
import { faultEventValue } from './support/kafka-io.ts';
import { Ledger } from './support/ledger.ts';
import type { NumberedEvent } from './support/ledger.ts';

let model: ModelServer;
let hostile: HostileHttpBackend;
let env: E2EEnvironment | undefined;
let worker: Worker | undefined;

beforeAll(async () => {
  model = createModelServer({ grpcPort: false });
  await model.start();
  hostile = await startHostileHttpBackend(model.url);
});

afterEach(async () => {
  await worker?.close(2000);
  worker = undefined;
  await env?.cleanup();
  env = undefined;
  hostile.everyCall = undefined;
});

afterAll(async () => {
  await hostile?.close();
  await model?.close();
});

async function start(name: string, inference: Partial<ConnectorConfigInput['inference']>): Promise<{ env: E2EEnvironment; worker: Worker; metrics: Registry }> {
  env = await rabbitmqHarness.setup();
  const metrics = new Registry();
  const config = faultConnector(name, hostile.url, env, {
    timeout: '500ms',
    retry: { attempts: 3, minDelay: '10ms', maxDelay: '50ms' },
    breaker: { volumeThreshold: 4, resetTimeout: '300ms', errorThresholdPercentage: 50, rollingWindow: '5s' },
    maxResponseBytes: '64KiB',
    ...inference,
  });
  worker = createWorker({ connectors: [connectorConfigSchema.parse(config)], registry: createRegistry(), logger: pino({ level: 'silent' }), metricsRegistry: metrics });
  await worker.start();
  return { env, worker, metrics };
}

function numbered(prefix: string, count: number, marked: (i: number) => string | undefined): NumberedEvent[] {
  return Ledger.numbered(prefix, count, 5).map((event, i) => ({ ...event, marker: marked(i) }));
}

async function produce(e: E2EEnvironment, events: readonly (NumberedEvent & { marker?: string | undefined })[]): Promise<void> {
  await e.produce(events.map((event) => {
    const value = JSON.parse(faultEventValue(event)) as { text: string };
    if (event.marker) value.text = `${event.marker} ${value.text}`;
    return { key: event.key, value: JSON.stringify({ ...value, id: event.id, key: event.key, seq: event.seq }), headers: { 'content-type': 'application/json' } };
  }));
}

/** Every sent id in sink ∪ dead letters; returns the ledger and the dead letters' codes by id. */
async function account(name: string, e: E2EEnvironment, events: readonly NumberedEvent[]): Promise<{ ledger: Ledger; codes: Map<string, string> }> {
  const ledger = new Ledger(name);
  ledger.sent(events);
  await waitFor(() => {
    const ids = new Set([
      ...e.enriched.messages.map((m) => (JSON.parse(m.value.toString()) as { id: string }).id),
      ...e.deadLetters.messages.map((m) => headerString(m.headers, DLQ_HEADERS.eventId)),
    ]);
    return events.every((event) => ids.has(event.id));
  }, { timeoutMs: 60_000, intervalMs: 100, what: `every ${name} id in the sink or the dead letters` });
  const codes = new Map<string, string>();
  for (const m of e.enriched.messages) ledger.enriched((JSON.parse(m.value.toString()) as { id: string }).id);
  for (const m of e.deadLetters.messages) {
    const id = headerString(m.headers, DLQ_HEADERS.eventId)!;
    ledger.deadLettered(id);
    codes.set(id, headerString(m.headers, DLQ_HEADERS.code)!);
  }
  console.log(ledger.line({ codes: [...new Set(codes.values())].join('+') || 'none' }));
  expect(ledger.summary().lost).toBe(0);
  return { ledger, codes };
}

it('an answer larger than maxResponseBytes is cut off unread: that event is dead-lettered, memory stays flat', async () => {
  const { env: e } = await start('hostile-huge', {});
  const events = numbered('huge', 30, (i) => (i % 10 === 3 ? 'HUGE' : undefined));
  const before = process.memoryUsage().rss;
  await produce(e, events);
  const { codes } = await account('hostile-huge', e, events);
  const growthMiB = (process.memoryUsage().rss - before) / 1024 / 1024;
  console.log(`hostile-huge: rss growth ${growthMiB.toFixed(1)} MiB while ${hostile.counts.huge} answers of 256 MiB were offered`);
  const huge = events.filter((_, i) => i % 10 === 3).map((x) => x.id);
  expect([...codes.keys()].sort()).toEqual([...huge].sort());
  for (const id of huge) expect(codes.get(id)).toBe('INFERENCE_BAD_RESPONSE');
  expect(hostile.counts.huge).toBeGreaterThanOrEqual(huge.length);
  // Reading even one answer whole would add 256 MiB.
  expect(growthMiB).toBeLessThan(128);
  expect(worker!.state).toBe('running');
});

it('a 200 with an HTML page is a broken answer: dead-lettered after its trials, the rest enriched', async () => {
  const { env: e } = await start('hostile-html', {});
  const events = numbered('html', 30, (i) => (i % 10 === 5 ? 'HTML' : undefined));
  await produce(e, events);
  const { codes } = await account('hostile-html', e, events);
  const html = events.filter((_, i) => i % 10 === 5).map((x) => x.id);
  expect([...codes.keys()].sort()).toEqual([...html].sort());
  for (const id of html) expect(codes.get(id)).toBe('INFERENCE_BAD_RESPONSE');
  expect(worker!.state).toBe('running');
});

it('an answer that drips forever times out: while every call drips, events are held, none dead-lettered; then all enriched', async () => {
  const { env: e, metrics } = await start('hostile-drip', {});
  hostile.everyCall = 'drip';
  const events = numbered('drip', 20, () => undefined);
  await produce(e, events);
  await waitFor(() => worker!.status().connectors[0]!.paused.includes('breaker'), { timeoutMs: 30_000, what: 'intake paused by the breaker' });
  await waitFor(() => hostile.counts.drip >= 8, { timeoutMs: 30_000, what: 'several dripping answers' });
  expect(e.deadLetters.messages).toHaveLength(0);
  expect(await metricValue(metrics, 'modelbridge_inference_retries_total', { code: 'INFERENCE_TIMEOUT' })).toBeGreaterThan(0);
  hostile.everyCall = undefined;
  const { ledger } = await account('hostile-drip', e, events);
  expect(ledger.summary().deadLettered).toBe(0);
  expect(worker!.state).toBe('running');
});

it('a gRPC answer cut off mid-message is a typed failure: the events end as dead letters, the worker keeps running', async () => {
  const grpc = await startTruncatingGrpcBackend();
  try {
    const { env: e } = await start('hostile-grpc', {
      backend: { kind: 'kserve-grpc', url: grpc.url, model: 'sentiment', preflight: false },
      retry: { attempts: 2, minDelay: '10ms', maxDelay: '50ms' },
      breaker: { volumeThreshold: 20, resetTimeout: '100ms', errorThresholdPercentage: 50, rollingWindow: '5s' },
    });
    const events = numbered('grpc', 6, () => undefined);
    await produce(e, events);
    const { codes } = await account('hostile-grpc', e, events);
    expect(new Set(codes.values())).toEqual(new Set(['INFERENCE_FAILED']));
    expect(grpc.truncated).toBeGreaterThanOrEqual(events.length * 2);
    expect(worker!.state).toBe('running');
  } finally {
    await grpc.close();
  }
});
