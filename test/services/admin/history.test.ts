/**
 * The history behind the console's plots, on a fake clock: dead letters per code per minute from the
 * worker's counter, breaker changes from its status, the window sliding, and the route.
 */
import { pino } from 'pino';
import { Counter, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { buildAdminApp } from '../../../services/admin/app.ts';
import { createAuthenticator } from '../../../services/admin/auth.ts';
import { createHistory } from '../../../services/admin/history.ts';
import { fakeConnector, fakeWorker } from './fakes.ts';

const MINUTE = 60_000;

function setup() {
  let clock = Date.parse('2026-11-30T10:00:30.000Z');
  let breaker: 'closed' | 'open' | 'half-open' = 'closed';
  const registry = new Registry();
  const deadLettered = new Counter({ name: 'modelbridge_events_dead_lettered_total', help: 'h', labelNames: ['connector', 'code'], registers: [registry] });
  const worker = fakeWorker([fakeConnector('orders', {}), fakeConnector('idle')]);
  const status = worker.status;
  worker.status = () => ({ ...status(), connectors: status().connectors.map((c) => (c.name === 'orders' ? { ...c, breaker } : c)) });
  const history = createHistory({ worker, metricsRegistry: registry, stepMs: MINUTE, buckets: 5, now: () => clock });
  return {
    history,
    deadLettered,
    advance: (ms: number) => void (clock += ms),
    setBreaker: (state: typeof breaker) => void (breaker = state),
  };
}

describe('history', () => {
  it('counts dead letters per code in one-minute buckets and records breaker changes', async () => {
    const t = setup();
    await t.history.sample();
    t.deadLettered.inc({ connector: 'orders', code: 'INFERENCE_REJECTED' }, 3);
    await t.history.sample();
    t.advance(MINUTE);
    t.deadLettered.inc({ connector: 'orders', code: 'INFERENCE_REJECTED' }, 1);
    t.deadLettered.inc({ connector: 'orders', code: 'MALFORMED_PAYLOAD' }, 2);
    t.setBreaker('open');
    await t.history.sample();
    t.advance(MINUTE);
    t.setBreaker('half-open');
    await t.history.sample();
    t.setBreaker('closed');
    await t.history.sample();

    const view = t.history.view();
    expect(view.stepSeconds).toBe(60);
    expect(view.since).toBe('2026-11-30T09:58:00.000Z');
    const orders = view.connectors.find((c) => c.name === 'orders')!;
    expect(orders.deadLetters).toEqual({ INFERENCE_REJECTED: [0, 0, 3, 1, 0], MALFORMED_PAYLOAD: [0, 0, 0, 2, 0] });
    expect(orders.breaker.map((b) => [b.at, b.state])).toEqual([
      ['2026-11-30T10:00:30.000Z', 'closed'],
      ['2026-11-30T10:01:30.000Z', 'open'],
      ['2026-11-30T10:02:30.000Z', 'half-open'],
      ['2026-11-30T10:02:30.000Z', 'closed'],
    ]);
    expect(view.connectors.find((c) => c.name === 'idle')).toEqual({ name: 'idle', deadLetters: {}, breaker: [{ at: '2026-11-30T10:00:30.000Z', state: 'closed' }] });
  });

  it('forgets what slid out of the window but keeps the breaker state at its start', async () => {
    const t = setup();
    t.deadLettered.inc({ connector: 'orders', code: 'INFERENCE_REJECTED' }, 5);
    await t.history.sample();
    t.setBreaker('open');
    t.advance(MINUTE);
    await t.history.sample();
    t.advance(10 * MINUTE);
    t.deadLettered.inc({ connector: 'orders', code: 'INFERENCE_REJECTED' }, 1);
    await t.history.sample();
    const orders = t.history.view().connectors.find((c) => c.name === 'orders')!;
    expect(orders.deadLetters).toEqual({ INFERENCE_REJECTED: [0, 0, 0, 0, 1] });
    // Open since before the window: one entry, placed at the window's start.
    expect(orders.breaker).toEqual([{ at: t.history.view().since, state: 'open' }]);
  });

  it('is served at GET /v1/history to viewers, sampled on every read', async () => {
    const logger = pino({ enabled: false });
    const registry = new Registry();
    const deadLettered = new Counter({ name: 'modelbridge_events_dead_lettered_total', help: 'h', labelNames: ['connector', 'code'], registers: [registry] });
    const app = buildAdminApp({ worker: fakeWorker([fakeConnector('orders')]), metricsRegistry: registry, logger, authenticator: createAuthenticator({ mode: 'none' }, { logger }) });
    try {
      deadLettered.inc({ connector: 'orders', code: 'INFERENCE_REJECTED' }, 2);
      const response = await app.inject({ method: 'GET', url: '/v1/history' });
      expect(response.statusCode).toBe(200);
      const body = response.json() as { stepSeconds: number; connectors: { name: string; deadLetters: Record<string, number[]> }[] };
      expect(body.stepSeconds).toBe(60);
      const counts = body.connectors.find((c) => c.name === 'orders')!.deadLetters.INFERENCE_REJECTED!;
      expect(counts).toHaveLength(60);
      expect(counts.reduce((a, b) => a + b, 0)).toBe(2);
      expect((await app.inject({ method: 'GET', url: '/v1/me' })).json()).toEqual({ sub: 'anonymous', role: 'admin' });
    } finally {
      await app.close();
    }
  });
});
