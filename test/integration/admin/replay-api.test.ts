/**
 * The operator's loop through the control API on real Kafka: a running worker dead-letters what the
 * model rejects (and a malformed event), the fault is cleared, the dry run over HTTP reports exactly
 * the rejected ones, the job started over HTTP moves them back, the worker enriches every one, the
 * ledger accounts for every event, and the audit trail shows who did what with which counts. A job
 * run from the CLI is audited the same way.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelServer } from '../../../services/model-server/index.ts';
import type { Worker } from '../../../services/worker/worker.ts';
import { waitFor } from '../../support/wait-for.ts';
import type { TestClient, TestIssuer } from '../../services/admin/oidc-provider.ts';
import { CONNECTOR, MARKER, keysOf, spawnCli, testEvent } from '../replay/replay-env.ts';
import type { ReplayEnv } from '../replay/replay-env.ts';
import { startControlPlane } from './control-plane.ts';
import type { ControlPlane } from './control-plane.ts';

const N = 40;
const kindOf = (i: number): 'ok' | 'marker' | 'malformed' => (i % 4 === 0 ? 'marker' : i === 7 ? 'malformed' : 'ok');
const keys = (kind: string): string[] => Array.from({ length: N }, (_, i) => i).filter((i) => kindOf(i) === kind).map((i) => `k-${i}`);

let plane: ControlPlane;
let issuer: TestIssuer;
let model: ModelServer;
let env: ReplayEnv;
let worker: Worker;
let base: string;
let dir: string;

beforeAll(async () => {
  plane = await startControlPlane();
  ({ issuer, model, env, worker, base, dir } = plane);
});

afterAll(() => plane?.close());

async function api<T = Record<string, unknown>>(client: TestClient, method: string, path: string, body?: unknown): Promise<{ status: number; body: T; location: string | null }> {
  const headers: Record<string, string> = { authorization: `Bearer ${await issuer.token(client)}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as T, location: response.headers.get('location') };
}

describe('replay through the control API over kafka', () => {
  it('dry run counts exactly the rejected events, the job moves them, the worker enriches every one, all audited', async () => {
    model.faults.set('sentiment', { rejectMarker: MARKER, rejectStatus: 400 });
    await worker.start();
    await env.produce(Array.from({ length: N }, (_, i) => testEvent(i, kindOf(i))));
    const rejected = keys('marker');
    const ok = keys('ok');

    const browse = `/v1/dead-letters?connector=${CONNECTOR}&limit=500`;
    await waitFor(async () => env.enriched.messages.length >= ok.length && (await api<{ items: unknown[] }>('viewer', 'GET', browse)).body.items.length >= rejected.length + 1, {
      timeoutMs: 60_000,
      intervalMs: 500,
      what: 'enriched events and dead letters',
    });
    const page = await api<{ counts: { byCode: Record<string, number> } }>('viewer', 'GET', browse);
    expect(page.body.counts.byCode).toEqual({ INFERENCE_REJECTED: rejected.length, MALFORMED_PAYLOAD: 1 });
    const status = await api('viewer', 'GET', `/v1/connectors/${CONNECTOR}`);
    expect(status.body).toMatchObject({ lastError: { code: expect.stringMatching(/^(INFERENCE_REJECTED|MALFORMED_PAYLOAD)$/) } });

    model.faults.clear();
    const request = { from: { connector: CONNECTOR }, filter: { codes: ['INFERENCE_REJECTED'] } };
    expect((await api('viewer', 'POST', '/v1/replays', { ...request, dryRun: true })).status).toBe(403);
    const dry = await api<{ matched: number; byCode: Record<string, number> }>('operator', 'POST', '/v1/replays', { ...request, dryRun: true, previewSize: 3 });
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ matched: rejected.length, byCode: { INFERENCE_REJECTED: rejected.length } });

    const started = await api<{ id: string }>('operator', 'POST', '/v1/replays', { ...request, rate: 500 });
    expect(started.status).toBe(202);
    expect(started.location).toBe(`/v1/replays/${started.body.id}`);
    const done = await waitFor(
      async () => {
        const job = await api<{ state: string; progress: Record<string, number> }>('viewer', 'GET', started.location!);
        return job.body.state === 'running' ? undefined : job.body;
      },
      { timeoutMs: 60_000, intervalMs: 200, what: 'replay job to finish' },
    );
    expect(done).toMatchObject({ state: 'succeeded', progress: { matched: rejected.length, moved: rejected.length, failed: 0, parked: 0 } });

    await waitFor(() => new Set(keysOf(env.enriched.messages)).size >= ok.length + rejected.length, { timeoutMs: 60_000, what: 'replayed events enriched' });
    const enriched = keysOf(env.enriched.messages);
    const left = await api<{ items: { key: string; code: string }[] }>('viewer', 'GET', browse);
    const seen = new Set([...enriched, ...left.body.items.map((v) => v.key)]);
    const lost = Array.from({ length: N }, (_, i) => `k-${i}`).filter((key) => !seen.has(key));
    expect(lost).toEqual([]);
    expect(enriched.length - new Set(enriched).size, 'duplicates').toBe(0);
    // A log: the replayed dead letters stay in the topic (the job's group has passed them); the other code is still there.
    expect(left.body.items.filter((v) => v.code === 'MALFORMED_PAYLOAD').map((v) => v.key)).toEqual(keys('malformed'));

    const trail = await api<{ items: { action: string; outcome: string; actor: { sub: string }; counts?: { moved?: number; matched?: number } }[] }>('admin', 'GET', '/v1/audit');
    expect(trail.body.items.map((r) => [r.action, r.outcome, r.actor.sub])).toEqual([
      ['replay.finished', 'succeeded', 'operator'],
      ['replay.start', 'ok', 'operator'],
      ['replay.dry-run', 'ok', 'operator'],
      ['replay.dry-run', 'refused', 'viewer'],
    ]);
    expect(trail.body.items[0]!.counts).toMatchObject({ moved: rejected.length });
  });

  it('a replay job run from the CLI with --audit-file leaves its start and finish records too', async () => {
    const file = join(dir, 'cli-audit.jsonl');
    const cli = spawnCli(['replay', '--config', env.configFile(), '--from', CONNECTOR, '--code', 'MALFORMED_PAYLOAD', '--audit-file', file]);
    expect(await cli.exit, cli.stderr()).toBe(0);
    const records = readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { action: string; outcome: string; actor: { sub: string }; counts: { moved: number } });
    expect(records.map((r) => [r.action, r.outcome])).toEqual([
      ['replay.start', 'ok'],
      ['replay.finished', 'succeeded'],
    ]);
    expect(records[0]!.actor.sub).toMatch(/^cli:/);
    expect(records[1]!.counts.moved).toBe(1);
  });
});
