/**
 * The control API's routes with `inject()`: problem details, validation from the zod schemas, body
 * limits, the operator pause and its audit record (and what happens when that record cannot be
 * written), replay routes over a stand-in engine, and the OpenAPI document.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuditLog } from '../../../services/admin/audit.ts';
import type { AuditLog } from '../../../services/admin/audit.ts';
import { createAuthenticator } from '../../../services/admin/auth.ts';
import { buildAdminApp } from '../../../services/admin/app.ts';
import { fakeConnector, fakeReplay, fakeWorker } from './fakes.ts';

let dir: string;
let app: FastifyInstance;
let audit: AuditLog;
let connector: ReturnType<typeof fakeConnector>;
let replay: ReturnType<typeof fakeReplay>;

function build(options: { auditFile?: string; bodyLimit?: number } = {}): FastifyInstance {
  const logger = pino({ enabled: false });
  audit = createAuditLog({ file: options.auditFile ?? join(dir, 'audit.jsonl') });
  return buildAdminApp({
    worker: fakeWorker([connector, fakeConnector('idle', { state: 'stopped' })]),
    metricsRegistry: new Registry(),
    logger,
    authenticator: createAuthenticator({ mode: 'none' }, { logger }),
    audit,
    replay,
    bodyLimit: options.bodyLimit,
    workerId: 'host-1:9464',
  });
}

function records(): { action: string; outcome: string; target: string; actor: { sub: string }; counts?: unknown; filter?: unknown }[] {
  return readFileSync(join(dir, 'audit.jsonl'), 'utf8').trim().split('\n').filter(Boolean).map((line) => JSON.parse(line));
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mb-admin-'));
  connector = fakeConnector('orders');
  replay = fakeReplay();
  app = build();
});

afterEach(async () => {
  await app.close();
  await audit.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('connectors', () => {
  it('shows one connector in Kafka Connect shape with breaker, model, in-flight, concurrency, lag and last error', async () => {
    const response = await app.inject({ method: 'GET', url: '/v1/connectors/orders' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      name: 'orders',
      connector: { state: 'RUNNING', worker_id: 'host-1:9464' },
      lifecycle: 'running',
      paused: [],
      breaker: 'closed',
      backend: { kind: 'kserve-http', model: 'sentiment', ready: true },
      inFlight: 3,
      concurrency: { limit: 16, max: 64 },
      source: { connected: true, lag: 7, partitions: [{ topic: 'in', partition: 0, lag: 7 }] },
      sinks: { enriched: { connected: true }, deadLetter: { connected: true } },
      lastError: { code: 'INFERENCE_REJECTED', message: 'model said no', stage: 'infer', at: '2026-11-30T10:00:00.000Z' },
    });
  });

  it('lists every connector', async () => {
    const body = (await app.inject({ method: 'GET', url: '/v1/connectors' })).json() as { connectors: { name: string; connector: { state: string } }[] };
    expect(body.connectors.map((c) => [c.name, c.connector.state])).toEqual([['orders', 'RUNNING'], ['idle', 'STOPPED']]);
  });

  it('pause is audited, then shows as PAUSED with the operator reason; resume lifts it', async () => {
    const paused = await app.inject({ method: 'PUT', url: '/v1/connectors/orders/pause' });
    expect(paused.statusCode).toBe(202);
    expect(paused.json()).toMatchObject({ connector: { state: 'PAUSED' }, paused: ['operator'] });
    const resumed = await app.inject({ method: 'PUT', url: '/v1/connectors/orders/resume' });
    expect(resumed.json()).toMatchObject({ connector: { state: 'RUNNING' }, paused: [] });
    expect(records().map((r) => [r.action, r.target, r.outcome, r.actor.sub])).toEqual([
      ['connector.pause', 'orders', 'ok', 'anonymous'],
      ['connector.resume', 'orders', 'ok', 'anonymous'],
    ]);
  });

  it('a pause whose audit record cannot be written answers 503 and does not pause', async () => {
    await app.close();
    await audit.close();
    app = build({ auditFile: join(dir, 'no-such-dir', 'audit.jsonl') });
    const response = await app.inject({ method: 'PUT', url: '/v1/connectors/orders/pause' });
    expect(response.statusCode).toBe(503);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json()).toMatchObject({ type: '/problems/audit-unavailable', detail: 'the audit trail cannot be written; nothing was done' });
    expect(connector.reasons.has('operator')).toBe(false);
  });

  it('unknown connector: 404; a stopped one cannot be paused: 409', async () => {
    expect((await app.inject({ method: 'GET', url: '/v1/connectors/nope' })).json()).toMatchObject({ status: 404, detail: 'no connector named nope' });
    expect((await app.inject({ method: 'PUT', url: '/v1/connectors/idle/pause' })).statusCode).toBe(409);
  });
});

describe('requests and errors', () => {
  it('invalid query parameters get 400 with every issue by path', async () => {
    const response = await app.inject({ method: 'GET', url: '/v1/dead-letters?limit=0&extra=1' });
    expect(response.statusCode).toBe(400);
    const body = response.json() as { errors: { path: string }[] };
    expect(body.errors.map((e) => e.path).sort()).toEqual(['query', 'query.connector', 'query.limit']);
  });

  it('an invalid replay body lists the problems; an unknown key is one', async () => {
    const response = await app.inject({ method: 'POST', url: '/v1/replays', payload: { from: { connector: 'orders' }, rate: -1, surprise: true } });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ type: '/problems/invalid-request', errors: expect.arrayContaining([expect.objectContaining({ path: 'body.rate' })]) });
  });

  it('a body over the limit gets 413, a non-JSON body 415, broken JSON 400: all problem+json', async () => {
    await app.close();
    app = build({ bodyLimit: 1024 });
    const big = await app.inject({ method: 'POST', url: '/v1/replays', payload: { from: { connector: 'orders' }, filter: { predicate: 'x'.repeat(2000) } } });
    expect([big.statusCode, big.json().type]).toEqual([413, '/problems/payload-too-large']);
    const text = await app.inject({ method: 'POST', url: '/v1/replays', headers: { 'content-type': 'text/plain' }, payload: 'hello' });
    expect([text.statusCode, text.headers['content-type']]).toEqual([415, 'application/problem+json; charset=utf-8']);
    const broken = await app.inject({ method: 'POST', url: '/v1/replays', headers: { 'content-type': 'application/json' }, payload: '{"from":' });
    expect(broken.statusCode).toBe(400);
    const poisoned = await app.inject({ method: 'POST', url: '/v1/replays', headers: { 'content-type': 'application/json' }, payload: '{"__proto__":{"dryRun":true}}' });
    expect(poisoned.statusCode).toBe(400);
  });

  it('health endpoints keep their answers; other methods get 405', async () => {
    expect((await app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    expect((await app.inject({ method: 'HEAD', url: '/healthz' })).statusCode).toBe(200);
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({ ready: true, state: 'running', connectors: [{ name: 'orders' }, { name: 'idle' }] });
    const post = await app.inject({ method: 'POST', url: '/readyz' });
    expect([post.statusCode, post.headers.allow]).toEqual([405, 'GET, HEAD']);
  });

  it('/readyz shows an operator pause in the connector status', async () => {
    await app.inject({ method: 'PUT', url: '/v1/connectors/orders/pause' });
    expect((await app.inject({ method: 'GET', url: '/readyz' })).json()).toMatchObject({ connectors: [{ name: 'orders', paused: ['operator'] }, { name: 'idle' }] });
  });
});

describe('replays', () => {
  it('a dry run answers the counts, has no job, and is audited with its filter and counts', async () => {
    const response = await app.inject({ method: 'POST', url: '/v1/replays', payload: { from: { connector: 'orders' }, filter: { codes: ['INFERENCE_REJECTED'] }, dryRun: true } });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ matched: 4, byCode: { INFERENCE_REJECTED: 4 } });
    expect(replay.list()).toEqual([]);
    expect(records()).toEqual([
      expect.objectContaining({ action: 'replay.dry-run', target: 'orders', outcome: 'ok', counts: expect.objectContaining({ matched: 4 }), filter: expect.objectContaining({ filter: { codes: ['INFERENCE_REJECTED'] } }) }),
    ]);
  });

  it('a job starts (202 + Location), is followed, cancelled once (then 409), and leaves start and finish records', async () => {
    const started = await app.inject({ method: 'POST', url: '/v1/replays', payload: { from: { connector: 'orders' }, rate: 50 } });
    expect(started.statusCode).toBe(202);
    const id = (started.json() as { id: string }).id;
    expect(started.headers.location).toBe(`/v1/replays/${id}`);
    expect((await app.inject({ method: 'GET', url: `/v1/replays/${id}` })).json()).toMatchObject({ id, state: 'running' });
    expect((await app.inject({ method: 'GET', url: '/v1/replays' })).json()).toMatchObject({ jobs: [{ id }] });
    expect((await app.inject({ method: 'DELETE', url: `/v1/replays/${id}` })).json()).toMatchObject({ id, state: 'cancelled' });
    expect((await app.inject({ method: 'DELETE', url: `/v1/replays/${id}` })).statusCode).toBe(409);
    expect((await app.inject({ method: 'GET', url: '/v1/replays/nope' })).statusCode).toBe(404);
    expect(records().map((r) => [r.action, r.outcome])).toEqual([
      ['replay.start', 'ok'],
      ['replay.cancel', 'ok'],
      ['replay.finished', 'cancelled'],
    ]);
  });

  it('browses dead letters and shows one by position (404 when absent)', async () => {
    const page = await app.inject({ method: 'GET', url: '/v1/dead-letters?connector=orders&code=INFERENCE_REJECTED&limit=10' });
    expect(page.json()).toMatchObject({ counts: { byCode: { INFERENCE_REJECTED: 4 } }, total: 10 });
    const one = await app.inject({ method: 'GET', url: '/v1/dead-letters/0:5?connector=orders' });
    expect(one.json()).toMatchObject({ position: '0:5', eventId: 'e-5', code: 'INFERENCE_REJECTED' });
    expect((await app.inject({ method: 'GET', url: '/v1/dead-letters/0:6?connector=orders' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/v1/dead-letters/0:5' })).statusCode).toBe(400);
  });

  it("the engine's errors map to problems (unknown connector → 404)", async () => {
    const response = await app.inject({ method: 'POST', url: '/v1/replays', payload: { from: { connector: 'ghost' } } });
    expect(response.json()).toMatchObject({ status: 404, type: '/problems/not-found', detail: 'no connector ghost' });
  });

  it('a job whose start record cannot be written does not start (503)', async () => {
    await app.close();
    await audit.close();
    replay = fakeReplay();
    app = build({ auditFile: join(dir, 'missing-dir', 'audit.jsonl') });
    const response = await app.inject({ method: 'POST', url: '/v1/replays', payload: { from: { connector: 'orders' } } });
    expect(response.statusCode).toBe(503);
    expect(replay.list()).toEqual([]);
  });
});

describe('audit route', () => {
  it('pages newest first with a cursor and refuses a forged cursor', async () => {
    for (let i = 0; i < 5; i++) await app.inject({ method: 'PUT', url: `/v1/connectors/orders/${i % 2 === 0 ? 'pause' : 'resume'}` });
    const first = (await app.inject({ method: 'GET', url: '/v1/audit?limit=2' })).json() as { items: { action: string }[]; nextCursor: string };
    expect(first.items.map((r) => r.action)).toEqual(['connector.pause', 'connector.resume']);
    const second = (await app.inject({ method: 'GET', url: `/v1/audit?limit=10&cursor=${first.nextCursor}` })).json() as { items: unknown[]; nextCursor?: string };
    expect(second.items).toHaveLength(3);
    expect(second.nextCursor).toBeUndefined();
    expect((await app.inject({ method: 'GET', url: '/v1/audit?cursor=3' })).statusCode).toBe(400);
  });
});

describe('OpenAPI', () => {
  it('validates against the OpenAPI 3.1 schema', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/v1/openapi.json' })).json() as Record<string, unknown>;
    const valid = (await SwaggerParser.validate(structuredClone(doc) as never)) as { openapi?: string };
    expect(valid.openapi).toBe('3.1.0');
    // The validator does refuse a broken document.
    const broken = { ...structuredClone(doc), paths: { '/v1/x': { get: { responses: { 200: {} } } } } };
    await expect(SwaggerParser.validate(broken as never)).rejects.toThrow();
  });

  it('is OpenAPI 3.1 with every route, its role, and schemas generated from the request validators', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/v1/openapi.json' })).json() as {
      openapi: string;
      paths: Record<string, Record<string, { 'x-required-role'?: string; parameters?: { name: string; in: string; required: boolean }[]; requestBody?: { content: Record<string, { schema: { properties: Record<string, unknown>; additionalProperties?: unknown } }> } }>>;
    };
    expect(doc.openapi).toBe('3.1.0');
    const operations = Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`));
    expect(operations.sort()).toEqual(
      [
        'GET /v1/connectors',
        'GET /v1/connectors/{name}',
        'PUT /v1/connectors/{name}/pause',
        'PUT /v1/connectors/{name}/resume',
        'GET /v1/dead-letters',
        'GET /v1/dead-letters/{position}',
        'POST /v1/replays',
        'GET /v1/replays',
        'GET /v1/replays/{id}',
        'DELETE /v1/replays/{id}',
        'GET /v1/audit',
        'GET /v1/me',
        'GET /v1/history',
        'GET /healthz',
        'GET /readyz',
        'GET /metrics',
      ].sort(),
    );
    expect(doc.paths['/v1/audit']!.get!['x-required-role']).toBe('admin');
    expect(doc.paths['/v1/history']!.get!['x-required-role']).toBe('viewer');
    expect(doc.paths['/v1/replays']!.post!['x-required-role']).toBe('operator');
    const browse = doc.paths['/v1/dead-letters']!.get!.parameters!;
    expect(browse.map((p) => `${p.name}:${p.in}:${p.required}`)).toEqual(
      expect.arrayContaining(['connector:query:true', 'code:query:false', 'since:query:false', 'limit:query:false', 'cursor:query:false']),
    );
    const replayBody = doc.paths['/v1/replays']!.post!.requestBody!.content['application/json']!.schema;
    expect(Object.keys(replayBody.properties)).toEqual(expect.arrayContaining(['from', 'to', 'filter', 'dryRun', 'rate', 'max']));
    expect(replayBody.additionalProperties).toBe(false);
  });
});
