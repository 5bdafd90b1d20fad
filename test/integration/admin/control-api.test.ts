/**
 * The control API over real HTTP in front of a running worker on a real broker (Kafka, RabbitMQ), the
 * reference model server, and a real OpenID Provider issuing the tokens:
 * - a pause through the API stops consumption (the consumed counter stays put while new events wait
 *   in the broker, and the status and metrics say so), a resume restarts it and every event is
 *   accounted for;
 * - the role matrix and hostile tokens over HTTP against the running worker;
 * - the audit trail names who paused and resumed.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createRegistry } from '../../../connectors/registry.ts';
import { adminConfigSchema } from '../../../schemas/admin-config.ts';
import { connectorConfigSchema, kafkaSinkSchema } from '../../../schemas/connector-config.ts';
import { createAuditLog } from '../../../services/admin/audit.ts';
import type { AuditLog } from '../../../services/admin/audit.ts';
import { createAuthenticator } from '../../../services/admin/auth.ts';
import { createAdminServer } from '../../../services/admin/server.ts';
import type { AdminServer } from '../../../services/admin/server.ts';
import { createModelServer } from '../../../services/model-server/index.ts';
import type { ModelServer } from '../../../services/model-server/index.ts';
import { createWorker } from '../../../services/worker/worker.ts';
import type { Worker } from '../../../services/worker/worker.ts';
import { readAll } from '../../support/kafka.ts';
import { uniqueName, waitFor } from '../../support/wait-for.ts';
import { AUDIENCE, startTestIssuer } from '../../services/admin/oidc-provider.ts';
import type { TestClient, TestIssuer } from '../../services/admin/oidc-provider.ts';
import { connectorConfig, event, parseEnriched } from '../worker/e2e-suite.ts';
import type { E2EEnvironment, E2EHarness } from '../worker/harness.ts';
import { kafkaHarness } from '../worker/harness-kafka.ts';
import { rabbitmqHarness } from '../worker/harness-rabbitmq.ts';

const NAME = 'e2e-sentiment';

interface Running {
  readonly env: E2EEnvironment;
  readonly worker: Worker;
  readonly metrics: Registry;
  readonly admin: AdminServer;
  readonly audit: AuditLog;
  readonly url: string;
  stop(): Promise<void>;
}

let issuer: TestIssuer;
let model: ModelServer;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mb-control-api-'));
  [issuer, model] = await Promise.all([startTestIssuer(), createModelServer()]);
  await model.start();
});

afterAll(async () => {
  await Promise.allSettled([issuer?.close(), model?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

async function startRunning(harness: E2EHarness, options: { auditTopic?: string } = {}): Promise<Running> {
  const env = await harness.setup();
  const metrics = new Registry();
  const logger = pino({ level: 'silent' });
  const worker = createWorker({
    connectors: [connectorConfigSchema.parse(connectorConfig(env, model.url, { name: NAME }))],
    registry: createRegistry(),
    logger,
    metricsRegistry: metrics,
  });
  await worker.start();
  const config = adminConfigSchema.parse({ auth: { mode: 'oidc', issuer: issuer.issuer, audience: AUDIENCE }, audit: { file: join(dir, `${harness.name}.jsonl`) } });
  if (config.auth.mode !== 'oidc') throw new Error('unreachable');
  const auditSink = options.auditTopic ? createRegistry().createSink(kafkaSinkSchema.parse({ kind: 'kafka', brokers: inject('kafkaBrokers'), topic: options.auditTopic }), logger) : undefined;
  await auditSink?.start();
  const audit = createAuditLog({ file: config.audit.file, sink: auditSink });
  const admin = createAdminServer({ worker, metricsRegistry: metrics, logger, authenticator: createAuthenticator(config.auth, { logger }), audit });
  const { url } = await admin.listen(0);
  return {
    env,
    worker,
    metrics,
    admin,
    audit,
    url,
    async stop() {
      await worker.close(2000);
      await admin.close();
      await audit.close();
      await env.cleanup();
    },
  };
}

async function api(running: Running, client: TestClient | undefined, method: string, path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = client ? { authorization: `Bearer ${await issuer.token(client)}` } : {};
  const response = await fetch(`${running.url}${path}`, { method, headers });
  const text = await response.text();
  return { status: response.status, body: text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : { text } };
}

async function metricValue(running: Running, name: string, labels: Record<string, string>): Promise<number> {
  const metric = await running.metrics.getSingleMetric(name)?.get();
  const match = metric?.values.find((v) => Object.entries(labels).every(([k, value]) => v.labels[k] === value));
  return match?.value ?? 0;
}

const consumed = (running: Running): Promise<number> => metricValue(running, 'modelbridge_events_consumed_total', { connector: NAME });

for (const harness of [kafkaHarness, rabbitmqHarness]) {
  describe(`operator pause over ${harness.name}`, () => {
    let running: Running;
    beforeAll(async () => void (running = await startRunning(harness)));
    afterAll(async () => running?.stop());

    it('a pause through the API stops consumption, shows in status, /readyz and metrics; a resume restarts it; every event accounted for', async () => {
      const first = Array.from({ length: 40 }, (_, i) => event(`a-${i}`, `k-${i % 5}`, 'great service'));
      await running.env.produce([...first, { key: 'bad', value: '{"text":"no id"}', headers: { 'content-type': 'application/json' } }]);
      await waitFor(() => running.env.enriched.messages.length >= 40 && running.env.deadLetters.messages.length >= 1, { timeoutMs: 60_000, what: 'first batch' });

      const paused = await api(running, 'operator', 'PUT', `/v1/connectors/${NAME}/pause`);
      expect(paused.status).toBe(202);
      expect(paused.body).toMatchObject({ connector: { state: 'PAUSED' }, paused: expect.arrayContaining(['operator']) });
      // What the source had already handed over finishes; from then on the count must not move.
      await waitFor(async () => (await api(running, 'viewer', 'GET', `/v1/connectors/${NAME}`)).body.inFlight === 0, { what: 'in-flight to drain' });
      const before = await consumed(running);

      const second = Array.from({ length: 60 }, (_, i) => event(`b-${i}`, `k-${i % 5}`, 'invoice attached'));
      await running.env.produce(second);
      // The broker shows the waiting events: the queue's depth, or the group's lag.
      const waiting = (source: { queue?: { ready: number }; partitions?: { lag: number }[] }): number =>
        source.queue?.ready ?? (source.partitions ?? []).reduce((sum, p) => sum + p.lag, 0);
      await waitFor(async () => waiting((await api(running, 'viewer', 'GET', `/v1/connectors/${NAME}`)).body.source as never) === 60, { what: '60 events waiting' });
      // A window well beyond the source's fetch wait (500 ms) and prefetch refill.
      await new Promise((resolve) => setTimeout(resolve, 2500));
      expect(await consumed(running)).toBe(before);
      expect(running.env.enriched.messages.filter((m) => parseEnriched(m).id.startsWith('b-'))).toHaveLength(0);
      expect(await metricValue(running, 'modelbridge_intake_paused', { connector: NAME, reason: 'operator' })).toBe(1);

      const status = await api(running, 'viewer', 'GET', `/v1/connectors/${NAME}`);
      expect(status.body).toMatchObject({
        connector: { state: 'PAUSED' },
        breaker: 'closed',
        backend: { kind: 'kserve-http', model: 'sentiment', ready: true },
        lastError: { code: 'INVALID_EVENT' },
        sinks: { enriched: { connected: true }, deadLetter: { connected: true } },
      });
      if (harness.name === 'kafka') {
        expect((status.body.source as { partitions: unknown[] }).partitions).toEqual([{ topic: expect.any(String), partition: 0, lag: 60 }]);
      }
      const ready = await fetch(`${running.url}/readyz`);
      expect(((await ready.json()) as { connectors: { paused: string[] }[] }).connectors[0]!.paused).toContain('operator');

      const resumed = await api(running, 'operator', 'PUT', `/v1/connectors/${NAME}/resume`);
      expect(resumed.status).toBe(202);
      await waitFor(() => running.env.enriched.messages.length >= 100, { timeoutMs: 60_000, what: 'all 100 enriched after resume' });
      expect(await consumed(running)).toBeGreaterThanOrEqual(before + 60);
      await waitFor(async () => waiting((await api(running, 'viewer', 'GET', `/v1/connectors/${NAME}`)).body.source as never) === 0, { what: 'nothing waiting' });
      expect(await metricValue(running, 'modelbridge_intake_paused', { connector: NAME, reason: 'operator' })).toBe(0);

      // Ledger: every id enriched, the one bad message dead-lettered, nothing lost; duplicates counted.
      const ids = running.env.enriched.messages.map((m) => parseEnriched(m).id);
      const expected = [...first, ...second].map((m) => JSON.parse(String(m.value)).id as string);
      expect(new Set(ids)).toEqual(new Set(expected));
      expect(running.env.deadLetters.messages).toHaveLength(1);
      expect(ids.length - new Set(ids).size, 'duplicates').toBe(0);

      const records = readFileSync(join(dir, `${harness.name}.jsonl`), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(records.map((r) => [r.action, r.target, r.outcome, (r.actor as { sub: string }).sub])).toEqual([
        ['connector.pause', NAME, 'ok', 'operator'],
        ['connector.resume', NAME, 'ok', 'operator'],
      ]);
    });
  });
}

describe('auth matrix over HTTP against the running worker', () => {
  let running: Running;
  const auditTopic = uniqueName('mb-audit');
  beforeAll(async () => void (running = await startRunning(kafkaHarness, { auditTopic })));
  afterAll(async () => running?.stop());

  const matrix: [TestClient | undefined, string, string, number][] = [
    [undefined, 'GET', `/v1/connectors`, 401],
    [undefined, 'PUT', `/v1/connectors/${NAME}/pause`, 401],
    ['nobody', 'GET', `/v1/connectors`, 403],
    ['viewer', 'GET', `/v1/connectors`, 200],
    ['viewer', 'GET', `/v1/connectors/${NAME}`, 200],
    ['viewer', 'PUT', `/v1/connectors/${NAME}/pause`, 403],
    ['viewer', 'GET', '/v1/audit', 403],
    ['operator', 'PUT', `/v1/connectors/${NAME}/pause`, 202],
    ['operator', 'PUT', `/v1/connectors/${NAME}/resume`, 202],
    ['operator', 'GET', '/v1/audit', 403],
    ['admin', 'GET', '/v1/audit', 200],
  ];

  it.each(matrix)('%s: %s %s → %i', async (client, method, path, status) => {
    const response = await api(running, client, method, path);
    expect(response.status).toBe(status);
    if (status >= 400) expect(response.body).toMatchObject({ status, type: expect.stringMatching(/^\/problems\//) });
  });

  it('hostile tokens get the same 401 from the running worker', async () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: issuer.issuer, aud: AUDIENCE, sub: 'mallory', realm_access: { roles: ['admin'] } };
    const tokens = [
      await issuer.signWith({ ...claims, iat: now - 7200, exp: now - 3600 }),
      await issuer.signWith({ ...claims, aud: 'account', exp: now + 300 }),
      await issuer.signWith({ ...claims, iss: 'http://127.0.0.1:1', exp: now + 300 }),
      `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ ...claims, exp: now + 300 })).toString('base64url')}.`,
    ];
    for (const token of tokens) {
      const response = await fetch(`${running.url}/v1/connectors/${NAME}/pause`, { method: 'PUT', headers: { authorization: `Bearer ${token}` } });
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ detail: 'a valid bearer token is required' });
    }
    expect(running.worker.status().connectors[0]!.paused).not.toContain('operator');
  });

  it('the audit records are on the Kafka topic too, the same lines as in the file', async () => {
    const file = readFileSync(join(dir, 'kafka.jsonl'), 'utf8').trim().split('\n');
    const onTopic = (await readAll(inject('kafkaBrokers'), auditTopic)).map((record) => record.value?.toString() ?? '');
    expect(onTopic.length).toBeGreaterThanOrEqual(2);
    // The file may hold earlier records of this run's other Kafka test; the topic only this worker's.
    expect(file.slice(-onTopic.length)).toEqual(onTopic);
    expect(onTopic.map((line) => (JSON.parse(line) as { action: string; outcome: string }).action)).toEqual(expect.arrayContaining(['connector.pause', 'connector.resume']));
  });
});
