/**
 * Stand-ins for the app's unit tests only: a worker whose connectors are plain state, and a replay
 * engine implementing the engine's interface in memory. The real worker and engine are exercised by
 * test/integration/admin.
 */
import type { ReplayJob, ReplayRequestInput, ReplayService, ReplayJobListener, DryRunResult, BrowsePage } from '../../../services/replay/types.ts';
import { ReplayError, replayRequestSchema } from '../../../services/replay/types.ts';
import type { ConnectorRuntime, ConnectorSnapshot, PauseReason } from '../../../services/worker/connector.ts';
import type { Worker } from '../../../services/worker/worker.ts';

export function fakeConnector(name: string, overrides: Partial<ConnectorSnapshot> = {}): ConnectorRuntime & { reasons: Set<PauseReason> } {
  const reasons = new Set<PauseReason>();
  const base = (): ConnectorSnapshot => ({
    name,
    state: 'running',
    inFlight: 3,
    paused: [...reasons],
    breaker: 'closed',
    source: { connected: true, paused: reasons.size > 0, lag: 7 },
    sinkConnected: true,
    deadLetterConnected: true,
    backend: { kind: 'kserve-http', model: 'sentiment', ready: true },
    concurrency: { limit: 16, max: 64 },
    backlog: { partitions: [{ topic: 'in', partition: 0, lag: 7 }] },
    lastError: { code: 'INFERENCE_REJECTED', message: 'model said no', stage: 'infer', at: '2026-11-30T10:00:00.000Z' },
    ...overrides,
  });
  return {
    name,
    reasons,
    start: async () => undefined,
    close: async () => undefined,
    status: () => base(),
    ready: () => true,
    snapshot: async () => base(),
    pauseByOperator() {
      reasons.add('operator');
      return true;
    },
    resumeByOperator() {
      reasons.delete('operator');
      return true;
    },
  };
}

export function fakeWorker(connectors: ConnectorRuntime[]): Pick<Worker, 'status' | 'ready' | 'connector'> {
  return {
    status: () => ({ state: 'running', connectors: connectors.map((c) => c.status()) }),
    ready: () => true,
    connector: (name) => connectors.find((c) => c.name === name),
  };
}

/** Jobs finish only when the test says so; listeners are awaited like the engine's contract says. */
export function fakeReplay(): ReplayService & { finish(id: string): Promise<void>; listeners: ReplayJobListener[] } {
  const jobs = new Map<string, ReplayJob>();
  const listeners: ReplayJobListener[] = [];
  let next = 1;
  const progress = { scanned: 10, matched: 4, moved: 0, skipped: 0, parked: 0, failed: 0, total: 10, etaSeconds: undefined };
  const dryRun: DryRunResult = { scanned: 10, matched: 4, byCode: { INFERENCE_REJECTED: 4 }, byConnector: { orders: 4 }, wouldPark: 0, preview: [] };
  const page: BrowsePage = { items: [], counts: { byCode: { INFERENCE_REJECTED: 4 }, byConnector: { orders: 4 } }, total: 10, nextCursor: undefined };
  async function emit(type: 'started' | 'finished', job: ReplayJob): Promise<void> {
    for (const listener of listeners) await listener({ type, job });
  }
  return {
    listeners,
    async start(input: ReplayRequestInput, actor) {
      const request = replayRequestSchema.parse(input);
      if (request.from.connector !== 'orders') throw new ReplayError('UNKNOWN_CONNECTOR', `no connector ${request.from.connector}`);
      const job: ReplayJob = { id: `job-${next++}`, state: 'running', request, actor, progress, startedAt: new Date().toISOString(), finishedAt: undefined, error: undefined };
      await emit('started', job);
      jobs.set(job.id, job);
      return job;
    },
    async dryRun() {
      return dryRun;
    },
    list: () => [...jobs.values()].reverse(),
    get: (id) => jobs.get(id),
    async cancel(id) {
      const job = jobs.get(id);
      if (!job) return undefined;
      const cancelled = { ...job, state: 'cancelled' as const, finishedAt: new Date().toISOString() };
      await emit('finished', cancelled);
      jobs.set(id, cancelled);
      return cancelled;
    },
    async wait(id) {
      return jobs.get(id)!;
    },
    async browse() {
      return page;
    },
    async show(query) {
      if (query.position !== '0:5') return undefined;
      return { position: '0:5', key: 'k', headers: { 'mb-dlq-code': 'INFERENCE_REJECTED' }, contentType: 'application/json', value: '{"id":"e-5"}', valueBytes: 12, truncated: false, code: 'INFERENCE_REJECTED', connector: 'orders', eventId: 'e-5', replayCount: 0 };
    },
    onJobEvent(listener) {
      listeners.push(listener);
      return () => listeners.splice(listeners.indexOf(listener), 1);
    },
    async finish(id) {
      const job = { ...jobs.get(id)!, state: 'succeeded' as const, progress: { ...progress, moved: 4 }, finishedAt: new Date().toISOString() };
      await emit('finished', job);
      jobs.set(id, job);
    },
    close: async () => undefined,
  };
}
