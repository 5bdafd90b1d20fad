/**
 * The worker's end-to-end acceptance suite, run against every real broker: a worker (in-process, or a
 * child process for the crash test) consumes from the broker, calls the reference model server over
 * HTTP, and publishes enriched events and dead letters back to the broker.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { createRegistry } from '../../../connectors/registry.ts';
import { connectorConfigSchema } from '../../../schemas/connector-config.ts';
import type { ConnectorConfigInput } from '../../../schemas/connector-config.ts';
import { DLQ_HEADERS } from '../../../schemas/dead-letter.ts';
import { createModelServer, scoreSentiment } from '../../../services/model-server/index.ts';
import type { ModelServer } from '../../../services/model-server/index.ts';
import { createWorker } from '../../../services/worker/worker.ts';
import type { Worker } from '../../../services/worker/worker.ts';
import { waitFor } from '../../support/wait-for.ts';
import { metricValue } from '../../support/metrics.ts';
import { headerString } from './harness.ts';
import type { E2EEnvironment, E2EHarness, RawMessage, Received } from './harness.ts';

const JSON_HEADERS = { 'content-type': 'application/json' };

export function event(id: string, key: string, text: string, extra: Record<string, string> = {}): RawMessage {
  return { key, value: JSON.stringify({ id, key, text }), headers: { ...JSON_HEADERS, ...extra } };
}

interface EnrichedEvent {
  id: string;
  partitionkey?: string;
  data: {
    input: { id: string; key: string; text: string };
    output: { sentiment: string; score: number };
    provenance: { connector: string; backend: string; model: string; attempts: number; latencyMs: number };
  };
}

export const parseEnriched = (message: Received): EnrichedEvent => JSON.parse(message.value.toString('utf8')) as EnrichedEvent;

export type Protocol = 'kserve-http' | 'kserve-grpc';

/** The backend section for the reference server over the given protocol. */
export function sentimentBackend(server: ModelServer, protocol: Protocol = 'kserve-http'): ConnectorConfigInput['inference']['backend'] {
  return protocol === 'kserve-grpc'
    ? { kind: 'kserve-grpc', url: server.grpcUrl, model: 'sentiment' }
    : { kind: 'kserve-http', url: server.url, model: 'sentiment' };
}

export function connectorConfig(env: E2EEnvironment, modelUrl: string, overrides: Partial<ConnectorConfigInput> = {}, backend?: ConnectorConfigInput['inference']['backend']): ConnectorConfigInput {
  return {
    name: 'e2e-sentiment',
    source: env.source,
    decode: { format: 'json', idPath: 'id', keyPath: 'key', type: 'com.example.feedback' },
    inference: {
      backend: backend ?? { kind: 'kserve-http', url: modelUrl, model: 'sentiment' },
      request: { inputs: { TEXT: 'data.text' } },
      response: { sentiment: 'outputs.LABEL[0]', score: 'outputs.SCORE[0]' },
      timeout: '2s',
      retry: { attempts: 4, minDelay: '20ms', maxDelay: '500ms' },
      breaker: { volumeThreshold: 4, resetTimeout: '300ms', errorThresholdPercentage: 50, rollingWindow: '5s' },
      concurrency: { max: 128 },
    },
    sink: env.sink,
    deadLetter: env.deadLetter,
    ...overrides,
  };
}

/** A reference model server for the enclosing suite: started before its tests, closed after them. */
export function suiteModelServer(): { readonly current: ModelServer } {
  const holder = { current: undefined as unknown as ModelServer };
  beforeAll(async () => {
    holder.current = createModelServer();
    await holder.current.start();
  });
  afterAll(async () => {
    await holder.current.close();
  });
  return holder;
}

export function runWorkerEndToEnd(harness: E2EHarness, protocol: Protocol = 'kserve-http'): void {
  describe(`worker end to end over ${harness.name}, model over ${protocol}`, () => {
    const server = suiteModelServer();
    let model: ModelServer;
    let env: E2EEnvironment | undefined;
    let worker: Worker | undefined;
    let metrics: Registry;

    beforeEach(() => {
      model = server.current;
    });
    afterEach(async () => {
      await worker?.close(2000);
      worker = undefined;
      await env?.cleanup();
      env = undefined;
      model.faults.clear();
      model.stats.reset();
    });

    async function start(overrides: (env: E2EEnvironment) => Partial<ConnectorConfigInput> = () => ({}), setup: { partitions?: number } = {}) {
      env = await harness.setup(setup);
      metrics = new Registry();
      worker = createWorker({
        connectors: [connectorConfigSchema.parse(connectorConfig(env, model.url, overrides(env), sentimentBackend(model, protocol)))],
        registry: createRegistry(),
        logger: pino({ level: 'silent' }),
        metricsRegistry: metrics,
      });
      await worker.start();
      return env;
    }

    it('N events in → N enriched events out, ids and keys preserved, provenance present', async () => {
      const e = await start();
      const texts = ['great service, thank you', 'the delivery is late and broken', 'invoice attached'];
      const input = Array.from({ length: 300 }, (_, i) => event(`evt-${i}`, `customer-${i % 30}`, texts[i % 3]!));
      await e.produce(input);
      await waitFor(() => e.enriched.messages.length >= 300, { timeoutMs: 60_000, what: '300 enriched events' });
      const enriched = e.enriched.messages.map((m) => ({ message: m, event: parseEnriched(m) }));
      expect(new Set(enriched.map((x) => x.event.id))).toEqual(new Set(input.map((_, i) => `evt-${i}`)));
      for (const { message, event: out } of enriched) {
        expect(message.key).toBe(out.data.input.key);
        expect(out.partitionkey).toBe(out.data.input.key);
        expect(out.data.output.sentiment).toBe(scoreSentiment(out.data.input.text).label);
        expect(out.data.provenance).toMatchObject({ connector: 'e2e-sentiment', backend: protocol, model: 'sentiment', attempts: 1 });
      }
      expect(e.deadLetters.messages).toHaveLength(0);
      expect(model.stats.model('sentiment').requests).toBeGreaterThanOrEqual(300);
    });

    it('dead-letters malformed, invalid, mistyped and oversized input unchanged with the reason, and keeps going', async () => {
      const e = await start((env) => ({ source: { ...env.source, maxMessageBytes: '4KiB' } }));
      const hostile: RawMessage[] = [
        { key: 'k1', value: '{"id": "truncated", "text": "abc', headers: { ...JSON_HEADERS, 'x-trace': 'one' } },
        { key: 'k2', value: JSON.stringify({ key: 'k2', text: 'no id here' }), headers: JSON_HEADERS },
        { key: 'k3', value: 'id,text\n1,hello', headers: { 'content-type': 'text/csv' } },
        event('too-big', 'k4', 'y'.repeat(10_000)),
        { key: 'k5', value: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), headers: JSON_HEADERS },
      ];
      await e.produce([...hostile, event('good-1', 'k1', 'fine'), event('good-2', 'k2', 'fine')]);
      await waitFor(() => e.deadLetters.messages.length >= 5 && e.enriched.messages.length >= 2, { timeoutMs: 30_000, what: 'dead letters' });
      expect(e.deadLetters.messages.map((m) => headerString(m.headers, DLQ_HEADERS.code)).sort()).toEqual(
        ['INVALID_EVENT', 'MALFORMED_PAYLOAD', 'MALFORMED_PAYLOAD', 'MESSAGE_TOO_LARGE', 'UNSUPPORTED_CONTENT_TYPE'],
      );
      for (const letter of e.deadLetters.messages) {
        const original = hostile.find((h) => h.key === letter.key)!;
        expect(letter.value.equals(Buffer.from(original.value))).toBe(true);
        expect(headerString(letter.headers, DLQ_HEADERS.retryable)).toBe('false');
        expect(headerString(letter.headers, DLQ_HEADERS.connector)).toBe('e2e-sentiment');
        expect(headerString(letter.headers, DLQ_HEADERS.message)).toBeTruthy();
        expect(headerString(letter.headers, DLQ_HEADERS.originTransport)).toBe(harness.name === 'kafka' ? 'kafka' : 'amqp');
      }
      const truncated = e.deadLetters.messages.find((m) => m.key === 'k1')!;
      expect(headerString(truncated.headers, 'x-trace')).toBe('one');
      expect(headerString(truncated.headers, DLQ_HEADERS.stage)).toBe('decode');
      expect(e.enriched.messages.map((m) => parseEnriched(m).id).sort()).toEqual(['good-1', 'good-2']);
    });

    it('holds events through a backend outage: breaker opens, intake pauses, zero dead letters', async () => {
      const e = await start();
      model.faults.set('sentiment', { errorRate: 1, errorStatus: 503 });
      await e.produce(Array.from({ length: 60 }, (_, i) => event(`o-${i}`, `k${i % 12}`, 'good news')));
      await waitFor(() => worker!.status().connectors[0]!.breaker !== 'closed', { what: 'breaker to open' });
      await waitFor(() => worker!.status().connectors[0]!.paused.includes('breaker'), { what: 'intake paused' });
      // Several half-open probes come and go while the backend keeps failing.
      await waitFor(async () => (await metricValue(metrics, 'modelbridge_breaker_transitions_total', { state: 'open' })) >= 2, { what: 'breaker to re-open' });
      expect(e.deadLetters.messages).toHaveLength(0);
      model.faults.clear('sentiment');
      await waitFor(() => e.enriched.messages.length >= 60, { timeoutMs: 60_000, what: '60 enriched after recovery' });
      expect(new Set(e.enriched.messages.map((m) => parseEnriched(m).id)).size).toBe(60);
      expect(e.deadLetters.messages).toHaveLength(0);
      const byStatus = model.stats.model('sentiment').byStatus;
      expect(byStatus[protocol === 'kserve-grpc' ? 'UNAVAILABLE' : '503']).toBeGreaterThan(0);
      expect(await metricValue(metrics, 'modelbridge_intake_pauses_total', { reason: 'breaker' })).toBeGreaterThan(0);
      expect(await metricValue(metrics, 'modelbridge_events_dead_lettered_total')).toBe(0);
    });

    it('dead-letters only the event the backend rejects with 400', async () => {
      const e = await start();
      model.faults.set('sentiment', { rejectMarker: 'POISON' });
      const input = Array.from({ length: 20 }, (_, i) => event(`p-${i}`, `k${i % 4}`, i === 7 ? 'POISON pill' : 'ok'));
      await e.produce(input);
      await waitFor(() => e.enriched.messages.length >= 19 && e.deadLetters.messages.length >= 1, { timeoutMs: 30_000 });
      expect(e.deadLetters.messages).toHaveLength(1);
      const letter = e.deadLetters.messages[0]!;
      expect(headerString(letter.headers, DLQ_HEADERS.code)).toBe('INFERENCE_REJECTED');
      expect(headerString(letter.headers, DLQ_HEADERS.upstreamStatus)).toBe(protocol === 'kserve-grpc' ? 'INVALID_ARGUMENT' : '400');
      expect(headerString(letter.headers, DLQ_HEADERS.eventId)).toBe('p-7');
      expect(headerString(letter.headers, DLQ_HEADERS.stage)).toBe('infer');
      expect(JSON.parse(letter.value.toString()).id).toBe('p-7');
      expect(e.enriched.messages.map((m) => parseEnriched(m).id)).not.toContain('p-7');
    });

    it('one partition, many keys, a slow model: per-key order holds and keys overlap', async () => {
      const e = await start(undefined, { partitions: 1 });
      model.faults.set('sentiment', { latencyMs: 20 });
      const keys = 25;
      const perKey = 8;
      const input: RawMessage[] = [];
      for (let seq = 0; seq < perKey; seq++) for (let k = 0; k < keys; k++) input.push(event(`key${k}-${seq}`, `key${k}`, `message ${seq}`));
      await e.produce(input);
      await waitFor(() => e.enriched.messages.length >= keys * perKey, { timeoutMs: 60_000 });
      for (let k = 0; k < keys; k++) {
        const order = e.enriched.messages.map(parseEnriched).filter((x) => x.partitionkey === `key${k}`).map((x) => x.id);
        expect(order).toEqual(Array.from({ length: perKey }, (_, seq) => `key${k}-${seq}`));
      }
      expect(model.stats.maxConcurrent('sentiment')).toBeGreaterThan(1);
    });

    it('SIGTERM drains in-flight events, commits and exits 0: a restarted worker duplicates nothing', async () => {
      env = await harness.setup({ partitions: harness.name === 'kafka' ? 2 : 1 });
      const e = env;
      model.faults.set('sentiment', { latencyMs: { min: 2, max: 8 } });
      const dir = mkdtempSync(join(tmpdir(), 'mb-term-'));
      const file = join(dir, 'connector.yaml');
      const source = e.source.kind === 'kafka' ? { ...e.source, sessionTimeout: '6s' } : e.source;
      writeFileSync(file, stringify(connectorConfig(e, model.url, { name: 'term-test', source, intake: { maxEvents: 100 } }, sentimentBackend(model, protocol))));
      const children: ChildProcess[] = [];
      try {
        // The buffer (intake.maxEvents) is well below the total: SIGTERM finds events not yet consumed.
        const total = 800;
        await e.produce(Array.from({ length: total }, (_, i) => event(`t-${i}`, `k${i % 40}`, 'text')));
        const first = spawnWorker(file, children);
        await waitFor(() => e.enriched.messages.length >= 100, { timeoutMs: 60_000, what: 'progress before SIGTERM' });
        const exited = new Promise<number | null>((resolve) => first.once('exit', (code) => resolve(code)));
        first.kill('SIGTERM');
        expect(await exited).toBe(0);
        expect(e.enriched.messages.length).toBeLessThan(total);
        spawnWorker(file, children);
        await waitFor(() => e.enriched.messages.length >= total, { timeoutMs: 90_000, intervalMs: 200, what: 'every event enriched' });
        const ids = e.enriched.messages.map((m) => parseEnriched(m).id);
        expect(new Set(ids).size).toBe(total);
        expect(ids.length - new Set(ids).size).toBe(0);
      } finally {
        for (const child of children) child.kill('SIGKILL');
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('loses nothing when the worker process is SIGKILLed mid-stream and restarted', async () => {
      env = await harness.setup({ partitions: harness.name === 'kafka' ? 3 : 1 });
      const e = env;
      model.faults.set('sentiment', { latencyMs: { min: 1, max: 4 } });
      const dir = mkdtempSync(join(tmpdir(), 'mb-crash-'));
      const file = join(dir, 'connector.yaml');
      // A short session timeout lets the restarted worker take over the dead member's partitions quickly.
      const source = e.source.kind === 'kafka' ? { ...e.source, sessionTimeout: '6s' } : e.source;
      writeFileSync(file, stringify(connectorConfig(e, model.url, { name: 'crash-test', source }, sentimentBackend(model, protocol))));
      const children: ChildProcess[] = [];
      try {
        const total = 1500;
        const input = Array.from({ length: total }, (_, i) => event(`c-${i}`, `k${i % 50}`, i % 97 === 5 ? 'POISON' : 'text'));
        model.faults.set('sentiment', { latencyMs: { min: 1, max: 4 }, rejectMarker: 'POISON' });
        await e.produce(input);
        const first = spawnWorker(file, children);
        await waitFor(() => e.enriched.messages.length >= 200, { timeoutMs: 60_000, what: 'the first worker to make progress' });
        first.kill('SIGKILL');
        await new Promise((resolve) => first.once('exit', resolve));
        const seenAtKill = e.enriched.messages.length;
        expect(seenAtKill).toBeLessThan(total);
        spawnWorker(file, children);
        const ids = (): Set<string> =>
          new Set([
            ...e.enriched.messages.map((m) => parseEnriched(m).id),
            ...e.deadLetters.messages.map((m) => headerString(m.headers, DLQ_HEADERS.eventId) ?? ''),
          ]);
        await waitFor(() => ids().size >= total, { timeoutMs: 90_000, intervalMs: 200, what: 'every id in the sink or the DLQ' });
        const all = ids();
        const missing = input.map((_, i) => `c-${i}`).filter((id) => !all.has(id));
        expect(missing).toEqual([]);
        const poisoned = input.filter((_, i) => i % 97 === 5).length;
        expect(new Set(e.deadLetters.messages.map((m) => headerString(m.headers, DLQ_HEADERS.eventId))).size).toBe(poisoned);
      } finally {
        for (const child of children) child.kill('SIGKILL');
        rmSync(dir, { recursive: true, force: true });
      }
    });

  });
}

function spawnWorker(configFile: string, children: ChildProcess[]): ChildProcess {
  const child = spawn(process.execPath, ['services/cli/main.ts', 'run', '--config', configFile, '--port', '0', '--log-level', 'warn'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(child);
  return child;
}
