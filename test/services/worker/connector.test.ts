import pino from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { ModelbridgeError } from '../../../schemas/errors.ts';
import { createMemoryBroker, createMemorySink, createMemorySource } from '../../../connectors/memory/index.ts';
import type { MemoryBroker } from '../../../connectors/memory/index.ts';
import type { Decoder, InferenceClient, InferenceRequest, InferenceResponse, Sink } from '../../../connectors/types.ts';
import { connectorConfigSchema } from '../../../schemas/connector-config.ts';
import type { ConnectorConfig, ConnectorConfigInput } from '../../../schemas/connector-config.ts';
import { DLQ_HEADERS } from '../../../schemas/dead-letter.ts';
import type { CanonicalEvent } from '../../../schemas/event.ts';
import { createConnector } from '../../../services/worker/connector.ts';
import type { ConnectorRuntime } from '../../../services/worker/connector.ts';
import { createWorkerMetrics } from '../../../services/worker/metrics.ts';
import { waitFor } from '../../support/wait-for.ts';
import { metricValue } from '../../support/metrics.ts';

/** A minimal JSON decoder for these tests; the real decoders are tested on their own. */
const decoder: Decoder = {
  format: 'test',
  decode(message) {
    let body: { id?: string; key?: string; text?: string };
    try {
      body = JSON.parse(message.value!.toString('utf8'));
    } catch (error) {
      throw new ModelbridgeError('MALFORMED_PAYLOAD', 'not JSON', { cause: error, stage: 'decode' });
    }
    if (typeof body.id !== 'string') throw new ModelbridgeError('INVALID_EVENT', 'no id');
    return { specversion: '1.0', id: body.id, source: '/test', type: 'test.event', partitionkey: body.key, data: body } as CanonicalEvent;
  },
};

type Behaviour = (request: InferenceRequest, signal: AbortSignal) => Promise<InferenceResponse>;

/** A scripted inference client: the behaviour can change while the test runs. */
function scriptedClient(initial: Behaviour): InferenceClient & { behaviour: Behaviour; calls: InferenceRequest[]; isReady: boolean } {
  const client = {
    kind: 'kserve-http',
    model: 'm',
    version: undefined,
    behaviour: initial,
    calls: [] as InferenceRequest[],
    isReady: true,
    infer(request: InferenceRequest, options: { signal: AbortSignal }) {
      client.calls.push(request);
      return client.behaviour(request, options.signal);
    },
    async ready() {
      return client.isReady;
    },
    async close() {},
  };
  return client;
}

const upper: Behaviour = async (request) => ({
  modelName: 'm',
  modelVersion: '1',
  outputs: { UPPER: [String(request.inputs.TEXT).toUpperCase()] },
});

/** The inference section the tests start from, as a file would write it. */
const INFERENCE = {
  backend: { kind: 'kserve-http', url: 'http://127.0.0.1:1', model: 'm' },
  request: { inputs: { TEXT: 'data.text' } },
  response: { upper: 'outputs.UPPER[0]' },
  retry: { attempts: 3, minDelay: '1ms', maxDelay: '5ms' },
  breaker: { volumeThreshold: 3, resetTimeout: '50ms' },
  timeout: '1s',
} as const;

function config(overrides: Partial<ConnectorConfigInput> = {}): ConnectorConfig {
  return connectorConfigSchema.parse({
    name: 'test',
    source: { kind: 'memory', stream: 'in', maxMessageBytes: 1024 },
    inference: INFERENCE,
    sink: { kind: 'memory', stream: 'out' },
    deadLetter: { kind: 'memory', stream: 'dlq' },
    ...overrides,
  });
}

let running: ConnectorRuntime | undefined;
afterEach(async () => {
  await running?.close(1000);
  running = undefined;
});

async function startConnector(broker: MemoryBroker, client: InferenceClient, connectorConfig = config()) {
  const registry = new Registry();
  const metrics = createWorkerMetrics(registry);
  const connector = createConnector(connectorConfig, {
    source: createMemorySource(connectorConfig.source as never, broker),
    sink: createMemorySink({ kind: 'memory', stream: 'out' }, broker),
    deadLetter: createMemorySink({ kind: 'memory', stream: 'dlq' }, broker),
    decoder,
    client,
    logger: pino({ level: 'silent' }),
    metrics,
  });
  running = connector;
  await connector.start();
  return { connector, registry };
}

function send(broker: MemoryBroker, body: unknown, key: string | null = null): void {
  const value = typeof body === 'string' ? Buffer.from(body) : Buffer.from(JSON.stringify(body));
  broker.publish('in', { key: key === null ? null : Buffer.from(key), value, headers: { origin: 'test' }, contentType: undefined });
}

const parse = (value: Buffer | null) => JSON.parse(value!.toString('utf8'));

describe('connector pipeline (memory transport)', () => {
  it('enriches every event, keeping id, key and adding provenance', async () => {
    const broker = createMemoryBroker();
    await startConnector(broker, scriptedClient(upper));
    for (let i = 0; i < 50; i++) send(broker, { id: `e${i}`, key: `k${i % 7}`, text: `hello ${i}` }, `k${i % 7}`);
    await waitFor(() => broker.stream('out').log.length === 50);
    const ids = broker.stream('out').log.map((m) => parse(m.value).id).sort();
    expect(ids).toEqual(Array.from({ length: 50 }, (_, i) => `e${i}`).sort());
    const first = broker.stream('out').log.find((m) => parse(m.value).id === 'e3')!;
    const event = parse(first.value);
    expect(first.key?.toString()).toBe('k3');
    expect(event).toMatchObject({ specversion: '1.0', source: '/modelbridge/test', type: 'test.event.enriched', partitionkey: 'k3' });
    expect(event.data.output).toEqual({ upper: 'HELLO 3' });
    expect(event.data.provenance).toMatchObject({ connector: 'test', backend: 'kserve-http', model: 'm', modelVersion: '1', attempts: 1 });
    expect(broker.stream('dlq').log).toHaveLength(0);
    expect(broker.stream('in').pending).toHaveLength(0);
  });

  it('dead-letters malformed, invalid and oversized input with the original unchanged, and keeps going', async () => {
    const broker = createMemoryBroker();
    await startConnector(broker, scriptedClient(upper));
    send(broker, '{"id": "broken"');
    send(broker, { text: 'no id' });
    send(broker, { id: 'big', text: 'x'.repeat(2000) });
    send(broker, { id: 'no-text' });
    send(broker, { id: 'good', text: 'ok' });
    await waitFor(() => broker.stream('dlq').log.length === 4 && broker.stream('out').log.length === 1);
    const codes = broker.stream('dlq').log.map((m) => m.headers[DLQ_HEADERS.code]);
    expect(codes.sort()).toEqual(['INVALID_EVENT', 'MALFORMED_PAYLOAD', 'MAPPING_FAILED', 'MESSAGE_TOO_LARGE']);
    const malformed = broker.stream('dlq').log.find((m) => m.headers[DLQ_HEADERS.code] === 'MALFORMED_PAYLOAD')!;
    expect(malformed.value?.toString()).toBe('{"id": "broken"');
    expect(malformed.headers).toMatchObject({
      origin: 'test',
      [DLQ_HEADERS.stage]: 'decode',
      [DLQ_HEADERS.retryable]: 'false',
      [DLQ_HEADERS.connector]: 'test',
      [DLQ_HEADERS.originTransport]: 'memory',
      [DLQ_HEADERS.replayCount]: '0',
    });
    expect(broker.stream('dlq').log.find((m) => m.headers[DLQ_HEADERS.code] === 'MAPPING_FAILED')!.headers[DLQ_HEADERS.eventId]).toBe('no-text');
  });

  it('dead-letters only the event the model rejects', async () => {
    const broker = createMemoryBroker();
    const client = scriptedClient(async (request) => {
      if (request.inputs.TEXT === 'POISON') throw new ModelbridgeError('INFERENCE_REJECTED', 'bad input', { upstreamStatus: 400 });
      return upper(request, AbortSignal.timeout(1000));
    });
    await startConnector(broker, client);
    for (let i = 0; i < 10; i++) send(broker, { id: `e${i}`, text: i === 4 ? 'POISON' : 'fine' });
    await waitFor(() => broker.stream('out').log.length === 9 && broker.stream('dlq').log.length === 1);
    const letter = broker.stream('dlq').log[0]!;
    expect(letter.headers).toMatchObject({ [DLQ_HEADERS.code]: 'INFERENCE_REJECTED', [DLQ_HEADERS.upstreamStatus]: '400', [DLQ_HEADERS.attempts]: '1' });
    expect(client.calls.filter((c) => c.inputs.TEXT === 'POISON')).toHaveLength(1);
  });

  it('dead-letters an event whose enriched form cannot be serialised, instead of stalling it', async () => {
    const broker = createMemoryBroker();
    const client = scriptedClient(async (request) =>
      request.inputs.TEXT === 'bigint' ? { modelName: 'm', modelVersion: '1', outputs: { UPPER: [10n] } } : upper(request, AbortSignal.timeout(1000)),
    );
    const { connector } = await startConnector(broker, client);
    send(broker, { id: 'weird', text: 'bigint' }, 'k');
    send(broker, { id: 'after', text: 'fine' }, 'k');
    await waitFor(() => broker.stream('dlq').log.length === 1 && broker.stream('out').log.length === 1);
    expect(broker.stream('dlq').log[0]!.headers).toMatchObject({ [DLQ_HEADERS.code]: 'INTERNAL', [DLQ_HEADERS.eventId]: 'weird' });
    await waitFor(() => connector.status().inFlight === 0);
  });

  it('forwards events the decoder marks as pass-through without calling the model', async () => {
    const broker = createMemoryBroker();
    const client = scriptedClient(upper);
    const passing: Decoder = { ...decoder, passThrough: (event) => event.id.startsWith('gap-') };
    const registry = new Registry();
    const connector = createConnector(config(), {
      source: createMemorySource({ kind: 'memory', stream: 'in', maxMessageBytes: 1024 }, broker),
      sink: createMemorySink({ kind: 'memory', stream: 'out' }, broker),
      deadLetter: createMemorySink({ kind: 'memory', stream: 'dlq' }, broker),
      decoder: passing,
      client,
      logger: pino({ level: 'silent' }),
      metrics: createWorkerMetrics(registry),
    });
    running = connector;
    await connector.start();
    send(broker, { id: 'gap-1', text: 'x' }, 'k');
    send(broker, { id: 'normal', text: 'y' }, 'k');
    await waitFor(() => broker.stream('out').log.length === 2);
    const [first, second] = broker.stream('out').log.map((m) => parse(m.value));
    expect(first).toMatchObject({ id: 'gap-1', type: 'test.event', data: { id: 'gap-1', text: 'x' } });
    expect(second).toMatchObject({ id: 'normal', type: 'test.event.enriched' });
    expect(client.calls.map((c) => c.id)).toEqual(['normal']);
    expect(await metricValue(registry, 'modelbridge_events_passed_through_total')).toBe(1);
  });

  it('retries transient failures and dead-letters when the budget is spent while the backend is healthy', async () => {
    const broker = createMemoryBroker();
    let flaky = 0;
    const client = scriptedClient(async (request) => {
      if (request.inputs.TEXT === 'always-busy') throw new ModelbridgeError('INFERENCE_RATE_LIMITED', '429');
      if (request.inputs.TEXT === 'flaky' && flaky++ < 2) throw new ModelbridgeError('INFERENCE_FAILED', '500');
      return upper(request, AbortSignal.timeout(1000));
    });
    // A high volume threshold keeps the breaker closed: this is about one message, not an outage.
    const { registry } = await startConnector(broker, client, config({
      inference: { ...INFERENCE, breaker: { volumeThreshold: 100, resetTimeout: 50, errorThresholdPercentage: 50, rollingWindow: 10_000 } },
    } as never));
    // The backend serves other events well: the failures are these messages', not an outage.
    for (let i = 0; i < 20; i++) send(broker, { id: `ok-${i}`, text: 'fine' });
    await waitFor(() => broker.stream('out').log.length === 20);
    send(broker, { id: 'a', text: 'flaky' });
    send(broker, { id: 'b', text: 'always-busy' });
    await waitFor(() => broker.stream('out').log.length === 21 && broker.stream('dlq').log.length === 1);
    expect(parse(broker.stream('out').log[20]!.value).data.provenance.attempts).toBe(3);
    expect(broker.stream('dlq').log[0]!.headers).toMatchObject({ [DLQ_HEADERS.code]: 'INFERENCE_RATE_LIMITED', [DLQ_HEADERS.attempts]: '3', [DLQ_HEADERS.retryable]: 'true' });
    expect(await metricValue(registry, 'modelbridge_inference_retries_total', { code: 'INFERENCE_FAILED' })).toBe(2);
  });

  it('holds events through an outage: breaker opens, intake pauses, nothing is dead-lettered', async () => {
    const broker = createMemoryBroker();
    const down = scriptedClient(async () => {
      throw new ModelbridgeError('INFERENCE_UNAVAILABLE', '503', { upstreamStatus: 503 });
    });
    const { connector: second, registry: metrics } = await startConnector(broker, down);
    for (let i = 0; i < 60; i++) send(broker, { id: `e${i}`, text: 't' }, `k${i}`);
    await waitFor(() => second.status().breaker === 'open');
    await waitFor(async () => (await metricValue(metrics, 'modelbridge_intake_paused', { reason: 'breaker' })) === 1);
    expect(second.status().paused).toContain('breaker');
    // The model keeps saying "ready" while every request fails: several half-open trials come and go.
    await waitFor(async () => (await metricValue(metrics, 'modelbridge_breaker_transitions_total', { state: 'open' })) >= 4, { timeoutMs: 10_000 });
    expect(broker.stream('dlq').log).toHaveLength(0);
    const callsDuringOutage = down.calls.length;
    const opens = await metricValue(metrics, 'modelbridge_breaker_transitions_total', { state: 'open' });
    down.behaviour = upper;
    await waitFor(() => broker.stream('out').log.length === 60, { timeoutMs: 10_000 });
    expect(broker.stream('dlq').log).toHaveLength(0);
    expect(second.status().breaker).toBe('closed');
    expect(second.status().paused).toEqual([]);
    // Each event was tried once before the breaker opened; after that only one trial per half-open period.
    expect(callsDuringOutage).toBeLessThanOrEqual(60 + opens);
    expect(await metricValue(metrics, 'modelbridge_breaker_transitions_total', { state: 'open' })).toBeGreaterThan(0);
  });

  it('holds a lone event whose retries open the breaker instead of dead-lettering it', async () => {
    const broker = createMemoryBroker();
    const down = scriptedClient(async () => {
      throw new ModelbridgeError('INFERENCE_UNAVAILABLE', 'connection refused');
    });
    down.isReady = true;
    const { connector } = await startConnector(broker, down);
    send(broker, { id: 'lonely', text: 't' });
    // attempts (3) == volumeThreshold (3): the last attempt's failure opens the breaker.
    await waitFor(() => connector.status().breaker !== 'closed');
    await waitFor(() => down.calls.length >= 3);
    expect(broker.stream('dlq').log).toHaveLength(0);
    down.behaviour = upper;
    await waitFor(() => broker.stream('out').log.length === 1, { timeoutMs: 10_000 });
    expect(broker.stream('dlq').log).toHaveLength(0);
    expect(parse(broker.stream('out').log[0]!.value).data.provenance.attempts).toBeGreaterThanOrEqual(4);
  });

  it('refused credentials open the breaker at once: events are held, none dead-lettered', async () => {
    const broker = createMemoryBroker();
    const refused = scriptedClient(async () => {
      throw new ModelbridgeError('INFERENCE_UNAUTHORIZED', 'HTTP 401', { upstreamStatus: 401 });
    });
    refused.isReady = true;
    const { connector } = await startConnector(broker, refused);
    send(broker, { id: 'only', text: 't' });
    await waitFor(() => connector.status().breaker !== 'closed');
    expect(refused.calls).toHaveLength(1);
    refused.isReady = false;
    await waitFor(() => connector.status().paused.includes('breaker'));
    expect(broker.stream('dlq').log).toHaveLength(0);
    refused.isReady = true;
    refused.behaviour = upper;
    await waitFor(() => broker.stream('out').log.length === 1, { timeoutMs: 10_000 });
    expect(broker.stream('dlq').log).toHaveLength(0);
  });

  it('aborts an attempt past the timeout with a TimeoutError reason, then retries it', async () => {
    const broker = createMemoryBroker();
    const reasons: unknown[] = [];
    let calls = 0;
    const client = scriptedClient(async (request, signal) => {
      if (++calls > 1) return upper(request, signal);
      // The first attempt hangs until the worker gives up on it.
      return new Promise((_, reject) =>
        signal.addEventListener('abort', () => {
          reasons.push(signal.reason);
          reject(new ModelbridgeError('INFERENCE_TIMEOUT', 'timed out'));
        }),
      );
    });
    await startConnector(broker, client, config({ inference: { ...INFERENCE, timeout: 30 } } as never));
    send(broker, { id: 'slow', text: 'x' });
    await waitFor(() => broker.stream('out').log.length === 1);
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toBeInstanceOf(DOMException);
    expect((reasons[0] as DOMException).name).toBe('TimeoutError');
    expect(parse(broker.stream('out').log[0]!.value).data.provenance.attempts).toBe(2);
  });

  it('holds events when the backend starts failing everything, before the breaker rate over its window catches up', async () => {
    const broker = createMemoryBroker();
    const client = scriptedClient(upper);
    // A volume threshold this high means the rate-based breaker alone would not open in this test.
    const { connector } = await startConnector(broker, client, config({
      inference: { ...INFERENCE, breaker: { volumeThreshold: 500, resetTimeout: 50, errorThresholdPercentage: 50, rollingWindow: 10_000 } },
    } as never));
    for (let i = 0; i < 40; i++) send(broker, { id: `before-${i}`, text: 'x' });
    await waitFor(() => broker.stream('out').log.length === 40);
    client.behaviour = async () => {
      throw new ModelbridgeError('INFERENCE_UNAVAILABLE', '503', { upstreamStatus: 503 });
    };
    for (let i = 0; i < 10; i++) send(broker, { id: `during-${i}`, text: 'x' }, `k${i}`);
    await waitFor(() => connector.status().breaker !== 'closed');
    await waitFor(() => client.calls.length >= 40 + 10 * 3);
    expect(broker.stream('dlq').log).toHaveLength(0);
    client.behaviour = upper;
    await waitFor(() => broker.stream('out').log.length === 50, { timeoutMs: 10_000 });
    expect(broker.stream('dlq').log).toHaveLength(0);
  });

  it('dead-letters a message that keeps failing as the half-open trial while the model says it is ready', async () => {
    const broker = createMemoryBroker();
    const client = scriptedClient(async (request) => {
      if (request.inputs.TEXT === 'crashes-the-model') throw new ModelbridgeError('INFERENCE_FAILED', '500', { upstreamStatus: 500 });
      return upper(request, AbortSignal.timeout(1000));
    });
    const { connector } = await startConnector(broker, client);
    send(broker, { id: 'bad', text: 'crashes-the-model' });
    await waitFor(() => broker.stream('dlq').log.length === 1, { timeoutMs: 10_000 });
    const letter = broker.stream('dlq').log[0]!;
    expect(letter.headers).toMatchObject({ [DLQ_HEADERS.code]: 'INFERENCE_FAILED', [DLQ_HEADERS.retryable]: 'true' });
    // Its budget (3), then three trials while the readiness probe kept saying ready.
    expect(client.calls.filter((c) => c.inputs.TEXT === 'crashes-the-model').length).toBeGreaterThanOrEqual(6);
    // And the connector is not stuck: the next event goes through.
    send(broker, { id: 'next', text: 'fine' });
    await waitFor(() => broker.stream('out').log.length === 1, { timeoutMs: 10_000 });
    expect(connector.status().state).toBe('running');
  });

  it('never dead-letters a held event for failed trials that say the backend is down (503), however long it lasts', async () => {
    const broker = createMemoryBroker();
    const client = scriptedClient(async () => {
      throw new ModelbridgeError('INFERENCE_UNAVAILABLE', '503', { upstreamStatus: 503 });
    });
    const { connector, registry } = await startConnector(broker, client);
    send(broker, { id: 'lonely', text: 'x' });
    // Many more trials than retry.attempts (3): the model keeps saying ready and keeps answering 503.
    await waitFor(async () => (await metricValue(registry, 'modelbridge_breaker_transitions_total', { state: 'open' })) >= 8, { timeoutMs: 15_000 });
    expect(broker.stream('dlq').log).toHaveLength(0);
    client.behaviour = upper;
    await waitFor(() => broker.stream('out').log.length === 1, { timeoutMs: 10_000 });
    expect(broker.stream('dlq').log).toHaveLength(0);
    expect(connector.status().breaker).toBe('closed');
  });

  it('keeps per-key order while different keys overlap', async () => {
    const broker = createMemoryBroker();
    let active = 0;
    let maxActive = 0;
    const seen = new Map<string, number[]>();
    const client = scriptedClient(async (request) => {
      active++;
      maxActive = Math.max(maxActive, active);
      const [key, seq] = String(request.inputs.TEXT).split(':');
      seen.set(key!, [...(seen.get(key!) ?? []), Number(seq)]);
      await new Promise((resolve) => setTimeout(resolve, 5));
      active--;
      return upper(request, AbortSignal.timeout(1000));
    });
    await startConnector(broker, client);
    for (let seq = 0; seq < 10; seq++) {
      for (const key of ['a', 'b', 'c', 'd']) send(broker, { id: `${key}${seq}`, key, text: `${key}:${seq}` }, key);
    }
    await waitFor(() => broker.stream('out').log.length === 40);
    for (const key of ['a', 'b', 'c', 'd']) {
      expect(seen.get(key)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      const published = broker.stream('out').log.map((m) => parse(m.value)).filter((e) => e.partitionkey === key).map((e) => e.id);
      expect(published).toEqual(Array.from({ length: 10 }, (_, i) => `${key}${i}`));
    }
    expect(maxActive).toBeGreaterThan(1);
    expect(maxActive).toBeLessThanOrEqual(4);
  });

  it('bounds buffered events (intake.maxEvents) apart from model calls (concurrency.max) and pauses intake', async () => {
    const broker = createMemoryBroker();
    const release: Array<() => void> = [];
    const client = scriptedClient(async (request) => {
      await new Promise<void>((resolve) => release.push(resolve));
      return upper(request, AbortSignal.timeout(1000));
    });
    const { connector } = await startConnector(broker, client, config({
      inference: { ...INFERENCE, concurrency: { max: 8 } },
      intake: { maxEvents: 20 },
      ordering: 'none',
    } as never));
    for (let i = 0; i < 100; i++) send(broker, { id: `e${i}`, text: 't' });
    await waitFor(() => release.length === 8 && connector.status().inFlight === 20);
    expect(connector.status().paused).toContain('backpressure');
    expect(broker.stream('in').pending.length).toBe(80);
    while (broker.stream('out').log.length < 100) {
      release.splice(0).forEach((fn) => fn());
      await new Promise((resolve) => setImmediate(resolve));
      expect(connector.status().inFlight).toBeLessThanOrEqual(20);
      expect(client.calls.length - broker.stream('out').log.length).toBeLessThanOrEqual(8);
    }
  });

  it('bounds buffered events by bytes (intake.maxBytes)', async () => {
    const broker = createMemoryBroker();
    const release: Array<() => void> = [];
    const client = scriptedClient(async (request) => {
      await new Promise<void>((resolve) => release.push(resolve));
      return upper(request, AbortSignal.timeout(1000));
    });
    const { connector, registry } = await startConnector(broker, client, config({
      inference: { ...INFERENCE, concurrency: { max: 64 } },
      intake: { maxEvents: 1000, maxBytes: 1000 },
      ordering: 'none',
    } as never));
    // Each message is 100 bytes: intake stops after 10.
    const text = 'x'.repeat(100 - JSON.stringify({ id: 'e00', text: '' }).length);
    for (let i = 10; i < 40; i++) send(broker, { id: `e${i}`, text });
    await waitFor(() => release.length === 10);
    expect(connector.status().inFlight).toBe(10);
    expect(connector.status().paused).toContain('backpressure');
    expect(await metricValue(registry, 'modelbridge_events_in_flight_bytes')).toBe(1000);
    while (broker.stream('out').log.length < 30) {
      release.splice(0).forEach((fn) => fn());
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(connector.status().inFlight).toBe(0);
  });

  it('dispatches across keys: with more keys than concurrency.max the model sees concurrency.max calls, per-key order kept', async () => {
    const broker = createMemoryBroker();
    const release: Array<() => void> = [];
    const seen = new Map<string, number[]>();
    const client = scriptedClient(async (request) => {
      const [key, seq] = String(request.inputs.TEXT).split(':');
      seen.set(key!, [...(seen.get(key!) ?? []), Number(seq)]);
      await new Promise<void>((resolve) => release.push(resolve));
      return upper(request, AbortSignal.timeout(1000));
    });
    const { registry } = await startConnector(broker, client, config({ inference: { ...INFERENCE, concurrency: { max: 16 } } } as never));
    // 100 keys, 5 events each, sent key by key: the first events of every key sit behind one key's run.
    const keys = Array.from({ length: 100 }, (_, i) => `k${i}`);
    for (const key of keys) for (let seq = 0; seq < 5; seq++) send(broker, { id: `${key}-${seq}`, key, text: `${key}:${seq}` }, key);
    await waitFor(() => release.length === 16);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(release.length).toBe(16);
    expect(await metricValue(registry, 'modelbridge_model_calls_in_flight')).toBe(16);
    while (broker.stream('out').log.length < 500) {
      expect(release.length).toBeLessThanOrEqual(16);
      release.splice(0).forEach((fn) => fn());
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    for (const key of keys) expect(seen.get(key)).toEqual([0, 1, 2, 3, 4]);
  });

  it('calls the model for a key\'s next event while its previous publish is unconfirmed, and publishes in order', async () => {
    const broker = createMemoryBroker();
    const client = scriptedClient(upper);
    const connectorConfig = config();
    const inner = createMemorySink({ kind: 'memory', stream: 'out' }, broker);
    const held: Array<() => void> = [];
    const order: string[] = [];
    const sink: Sink = {
      kind: 'memory',
      start: () => inner.start(),
      status: () => inner.status(),
      close: () => inner.close(),
      async publish(message) {
        await new Promise<void>((resolve) => held.push(resolve));
        order.push(parse(Buffer.from(String(message.value))).id);
        return inner.publish(message);
      },
    };
    const connector = createConnector(connectorConfig, {
      source: createMemorySource(connectorConfig.source as never, broker),
      sink,
      deadLetter: createMemorySink({ kind: 'memory', stream: 'dlq' }, broker),
      decoder,
      client,
      logger: pino({ level: 'silent' }),
      metrics: createWorkerMetrics(new Registry()),
    });
    running = connector;
    await connector.start();
    for (let seq = 0; seq < 3; seq++) send(broker, { id: `a${seq}`, key: 'a', text: `a:${seq}` }, 'a');
    // The later events' model calls happen while the first publish is held; their publishes wait.
    await waitFor(() => client.calls.length === 3 && held.length === 1);
    expect(order).toEqual([]);
    while (order.length < 3) {
      held.splice(0).forEach((release) => release());
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    expect(order).toEqual(['a0', 'a1', 'a2']);
    await waitFor(() => broker.stream('out').log.length === 3);
  });

  it('with fewer keys than concurrency.max, runs one call per key at a time', async () => {
    const broker = createMemoryBroker();
    const release: Array<() => void> = [];
    const client = scriptedClient(async (request) => {
      await new Promise<void>((resolve) => release.push(resolve));
      return upper(request, AbortSignal.timeout(1000));
    });
    await startConnector(broker, client, config({ inference: { ...INFERENCE, concurrency: { max: 64 } } } as never));
    for (let seq = 0; seq < 20; seq++) for (const key of ['a', 'b', 'c']) send(broker, { id: `${key}-${seq}`, key, text: `${key}:${seq}` }, key);
    await waitFor(() => release.length === 3);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(release.length).toBe(3);
    while (broker.stream('out').log.length < 60) {
      release.splice(0).forEach((fn) => fn());
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  });

  it('nacks what is unfinished at shutdown so it is redelivered, and acks what finished', async () => {
    const broker = createMemoryBroker();
    const client = scriptedClient(async (request, signal) => {
      if (request.inputs.TEXT === 'hang') {
        await new Promise((_, reject) => signal.addEventListener('abort', () => reject(new ModelbridgeError('ABORTED', 'aborted'))));
      }
      return upper(request, signal);
    });
    const { connector } = await startConnector(broker, client);
    send(broker, { id: 'done', text: 'quick' }, 'a');
    send(broker, { id: 'stuck', text: 'hang' }, 'b');
    await waitFor(() => broker.stream('out').log.length === 1 && client.calls.length === 2);
    await connector.close(50);
    running = undefined;
    expect(connector.status().state).toBe('stopped');
    expect(broker.stream('dlq').log).toHaveLength(0);
    expect(broker.stream('in').pending.map((m) => parse(m.value).id)).toEqual(['stuck']);
  });

  it('closes cleanly while still waiting for the model: start() returns, nothing is consumed', async () => {
    const broker = createMemoryBroker();
    const client = scriptedClient(upper);
    client.isReady = false;
    send(broker, { id: 'never', text: 't' });
    const connector = createConnector(config(), {
      source: createMemorySource({ kind: 'memory', stream: 'in', maxMessageBytes: 1024 }, broker),
      sink: createMemorySink({ kind: 'memory', stream: 'out' }, broker),
      deadLetter: createMemorySink({ kind: 'memory', stream: 'dlq' }, broker),
      decoder,
      client,
      logger: pino({ level: 'silent' }),
      metrics: createWorkerMetrics(new Registry()),
    });
    const starting = connector.start();
    await waitFor(() => connector.status().state === 'waiting-for-model');
    await connector.close(100);
    await expect(starting).resolves.toBeUndefined();
    expect(connector.status().state).toBe('stopped');
    expect(client.calls).toHaveLength(0);
    expect(broker.stream('in').pending).toHaveLength(1);
  });

  it('waits for the model to be ready before consuming', async () => {
    const broker = createMemoryBroker();
    const client = scriptedClient(upper);
    client.isReady = false;
    send(broker, { id: 'early', text: 't' });
    const registry = new Registry();
    const connector = createConnector(config(), {
      source: createMemorySource({ kind: 'memory', stream: 'in', maxMessageBytes: 1024 }, broker),
      sink: createMemorySink({ kind: 'memory', stream: 'out' }, broker),
      deadLetter: createMemorySink({ kind: 'memory', stream: 'dlq' }, broker),
      decoder,
      client,
      logger: pino({ level: 'silent' }),
      metrics: createWorkerMetrics(registry),
    });
    running = connector;
    const starting = connector.start();
    await waitFor(() => connector.status().state === 'waiting-for-model');
    expect(client.calls).toHaveLength(0);
    client.isReady = true;
    await starting;
    await waitFor(() => broker.stream('out').log.length === 1, { timeoutMs: 10_000 });
  });
});
