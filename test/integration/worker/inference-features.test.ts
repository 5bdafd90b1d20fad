/**
 * Micro-batching, readiness gating, fallback and shadow models, each end to end through a real broker
 * (RabbitMQ) and the reference model server over HTTP.
 */
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRegistry } from '../../../connectors/registry.ts';
import { connectorConfigSchema } from '../../../schemas/connector-config.ts';
import type { ConnectorConfigInput } from '../../../schemas/connector-config.ts';
import { DLQ_HEADERS } from '../../../schemas/dead-letter.ts';
import { createModelServer } from '../../../services/model-server/index.ts';
import type { ModelServer } from '../../../services/model-server/index.ts';
import { createWorker } from '../../../services/worker/worker.ts';
import type { Worker } from '../../../services/worker/worker.ts';
import { queueDepth } from '../../support/rabbitmq.ts';
import { waitFor } from '../../support/wait-for.ts';
import { metricValue } from '../../support/metrics.ts';
import { connectorConfig, event, parseEnriched } from './e2e-suite.ts';
import { headerString } from './harness.ts';
import type { E2EEnvironment } from './harness.ts';
import { rabbitmqHarness } from './harness-rabbitmq.ts';

let primary: ModelServer;
let secondary: ModelServer;
let env: E2EEnvironment | undefined;
let worker: Worker | undefined;
let metrics: Registry;

beforeAll(async () => {
  primary = createModelServer({ grpcPort: false } as never);
  secondary = createModelServer({ grpcPort: false } as never);
  await Promise.all([primary.start(), secondary.start()]);
});
afterAll(async () => {
  await Promise.all([primary.close(), secondary.close()]);
});
afterEach(async () => {
  await worker?.close(2000);
  worker = undefined;
  await env?.cleanup();
  env = undefined;
  for (const server of [primary, secondary]) {
    server.faults.clear();
    server.stats.reset();
  }
});

async function start(
  overrides: (e: E2EEnvironment) => Partial<ConnectorConfigInput>,
  options: { waitForRunning?: boolean; beforeStart?: (e: E2EEnvironment) => Promise<void> } = {},
): Promise<E2EEnvironment> {
  env = await rabbitmqHarness.setup();
  const e = env;
  await options.beforeStart?.(e);
  const base = connectorConfig(e, primary.url);
  metrics = new Registry();
  worker = createWorker({
    connectors: [connectorConfigSchema.parse({ ...base, ...overrides(e), inference: { ...base.inference, ...overrides(e).inference } })],
    registry: createRegistry(),
    logger: pino({ level: 'silent' }),
    metricsRegistry: metrics,
  });
  const starting = worker.start();
  if (options.waitForRunning !== false) await starting;
  else starting.catch(() => undefined);
  return e;
}

describe('inference features through RabbitMQ', () => {
  it('micro-batching: N events make ⌈N/maxSize⌉ model requests, each output back on its event', async () => {
    const texts = ['great, thank you', 'broken and late', 'neutral note'];
    const n = 70;
    const input = Array.from({ length: n }, (_, i) => event(`b-${i}`, `k${i}`, `${texts[i % 3]} #${i}`));
    // A backlog waiting before the worker starts, and a generous maxWait: every batch fills but the last.
    const e = await start(() => ({ ordering: 'none', inference: { batch: { maxSize: 8, maxWait: '500ms' } } as never }), {
      beforeStart: (env) => env.produce(input),
    });
    await waitFor(() => e.enriched.messages.length >= n, { timeoutMs: 30_000 });
    expect(primary.stats.model('sentiment').requests).toBe(Math.ceil(n / 8));
    expect(new Set(e.enriched.messages.map((m) => parseEnriched(m).id)).size).toBe(n);
    for (const message of e.enriched.messages) {
      const out = parseEnriched(message);
      expect(out.data.input.text).toBe(`${texts[Number(out.id.slice(2)) % 3]} #${out.id.slice(2)}`);
      expect(out.data.output.sentiment).toBe(out.data.input.text.startsWith('great') ? 'positive' : out.data.input.text.startsWith('broken') ? 'negative' : 'neutral');
    }
  });

  it('micro-batching: one poison event in a batch → only it is dead-lettered', async () => {
    const e = await start(() => ({ ordering: 'none', inference: { batch: { maxSize: 16, maxWait: '100ms' } } as never }));
    primary.faults.set('sentiment', { rejectMarker: 'POISON' });
    await e.produce(Array.from({ length: 16 }, (_, i) => event(`p-${i}`, `k${i}`, i === 9 ? 'POISON' : 'fine')));
    await waitFor(() => e.enriched.messages.length + e.deadLetters.messages.length >= 16, { timeoutMs: 30_000 });
    expect(e.deadLetters.messages.map((m) => headerString(m.headers, DLQ_HEADERS.eventId))).toEqual(['p-9']);
    expect(headerString(e.deadLetters.messages[0]!.headers, DLQ_HEADERS.code)).toBe('INFERENCE_REJECTED');
    expect(e.enriched.messages).toHaveLength(15);
  });

  it('readiness gating: nothing is consumed until the model reports ready', async () => {
    primary.faults.set('sentiment', { notReady: true });
    const e = await start(() => ({}), { waitForRunning: false });
    await e.produce(Array.from({ length: 10 }, (_, i) => event(`r-${i}`, `k${i}`, 'hello')));
    await waitFor(() => worker!.status().connectors[0]!.state === 'waiting-for-model');
    // The worker has asked for readiness (and been told no) before we look for traffic.
    const readyAnswer = (await (await fetch(`${primary.url}/v2/models/sentiment/ready`)).json()) as { ready: boolean };
    expect(readyAnswer.ready).toBe(false);
    expect(primary.stats.model('sentiment').requests).toBe(0);
    expect(e.enriched.messages).toHaveLength(0);
    // Not even fetched: all ten are still ready in the queue (a consumer with prefetch would hold them unacked).
    expect(await queueDepth((e.source as { queue: string }).queue)).toBe(10);
    primary.faults.clear('sentiment');
    await waitFor(() => e.enriched.messages.length >= 10, { timeoutMs: 30_000 });
    expect(e.deadLetters.messages).toHaveLength(0);
  });

  it('fallback: while the primary is down the fallback answers, and the enriched event says so', async () => {
    const e = await start(() => ({ inference: { fallback: { backend: { kind: 'kserve-http', url: secondary.url, model: 'sentiment' } } } as never }));
    primary.faults.set('sentiment', { errorRate: 1, errorStatus: 503 });
    await e.produce(Array.from({ length: 30 }, (_, i) => event(`f-${i}`, `k${i % 5}`, 'thank you, great')));
    await waitFor(() => e.enriched.messages.length >= 30, { timeoutMs: 30_000 });
    expect(e.deadLetters.messages).toHaveLength(0);
    const viaFallback = e.enriched.messages.map(parseEnriched).filter((x) => (x.data.provenance as { fallback?: boolean }).fallback === true);
    expect(viaFallback.length).toBeGreaterThan(0);
    expect(secondary.stats.model('sentiment').requests).toBe(viaFallback.length);
    for (const out of e.enriched.messages.map(parseEnriched)) expect(out.data.output.sentiment).toBe('positive');
    expect(await metricValue(metrics, 'modelbridge_fallback_requests_total')).toBeGreaterThan(0);
  });

  it('shadow: a share of requests also go to the shadow, outputs unchanged, agreement counted', async () => {
    const e = await start(() => ({ inference: { shadow: { backend: { kind: 'kserve-http', url: secondary.url, model: 'sentiment' }, share: 1 } } as never }));
    secondary.faults.set('sentiment', { rejectMarker: 'DISAGREE' });
    await e.produce(Array.from({ length: 20 }, (_, i) => event(`s-${i}`, `k${i}`, i < 5 ? 'DISAGREE but good' : 'good')));
    await waitFor(() => e.enriched.messages.length >= 20, { timeoutMs: 30_000 });
    await waitFor(() => secondary.stats.model('sentiment').requests >= 20);
    expect(e.enriched.messages.map(parseEnriched).every((x) => x.data.provenance.model === 'sentiment' && x.data.output.sentiment === 'positive')).toBe(true);
    await waitFor(async () => (await metricValue(metrics, 'modelbridge_shadow_requests_total', { outcome: 'agree' })) === 15);
    expect(await metricValue(metrics, 'modelbridge_shadow_requests_total', { outcome: 'error' })).toBe(5);
    expect(e.deadLetters.messages).toHaveLength(0);
  });
});
