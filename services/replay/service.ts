/**
 * The replay service behind the CLI and the control API: validates requests, plans them against the
 * configured connectors, runs jobs in the background, keeps their progress and tells listeners (the
 * audit trail) when a job starts and ends.
 */
import { randomBytes } from 'node:crypto';
import { ZodError } from 'zod';
import { ModelbridgeError } from '../../schemas/errors.ts';
import { createRegistry } from '../../connectors/registry.ts';
import type { ConnectorRegistry } from '../../connectors/registry.ts';
import { compileFilter } from './filter.ts';
import { browse, dryRun, show } from './inspect.ts';
import { runJob } from './job.ts';
import type { Counters } from './job.ts';
import { createReplayMetrics } from './metrics.ts';
import { planReplay, readPlan } from './plan.ts';
import { ReplayError, browseQuerySchema, replayRequestSchema, showQuerySchema } from './types.ts';
import type { Actor, ReplayJob, ReplayJobListener, ReplayJobState, ReplayRequest, ReplayService, ReplayServiceOptions } from './types.ts';

/** Finished jobs remembered by `list()` / `get()`, newest kept. */
const KEEP_FINISHED = 100;

interface JobRecord {
  readonly id: string;
  readonly request: ReplayRequest;
  readonly actor: Actor;
  readonly counters: Counters;
  readonly startedMs: number;
  readonly controller: AbortController;
  state: ReplayJobState;
  finishedMs: number | undefined;
  error: string | undefined;
  done: Promise<ReplayJob>;
}

/** Dependencies beyond {@link ReplayServiceOptions}: the connector registry (tests pass a memory broker's). */
export interface ReplayServiceDeps {
  readonly registry?: ConnectorRegistry | undefined;
  /** Job ids; default `r-<time>-<random>`. */
  readonly newJobId?: (() => string) | undefined;
}

function parse<T>(parser: { parse(input: unknown): T }, input: unknown): T {
  try {
    return parser.parse(input);
  } catch (error) {
    if (error instanceof ZodError) {
      throw new ReplayError('INVALID_REQUEST', error.issues.map((i) => `${i.path.join('.') || '(request)'}: ${i.message}`).join('; '), { cause: error });
    }
    throw error;
  }
}

/** Errors from reading or planning as the engine reports them: a closed code, no stack, no secrets. */
function asReplayError(error: unknown): ReplayError {
  if (error instanceof ReplayError) return error;
  if (error instanceof ModelbridgeError && error.code === 'CONFIG_INVALID') return new ReplayError('INVALID_REQUEST', error.message, { cause: error });
  return new ReplayError('BROKER_UNAVAILABLE', `the broker failed: ${(error as Error).message ?? String(error)}`, { cause: error });
}

function newId(): string {
  return `r-${new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${randomBytes(3).toString('hex')}`;
}

/** Creates the service. */
export function createReplayService(options: ReplayServiceOptions, deps: ReplayServiceDeps = {}): ReplayService {
  const registry = deps.registry ?? createRegistry();
  const logger = options.logger.child({ component: 'replay' });
  const metrics = createReplayMetrics(options.metricsRegistry);
  const jobs = new Map<string, JobRecord>();
  const listeners = new Set<ReplayJobListener>();

  function snapshot(record: JobRecord): ReplayJob {
    const { counters } = record;
    const elapsed = ((record.finishedMs ?? Date.now()) - record.startedMs) / 1000;
    const remaining = counters.total === undefined ? undefined : Math.max(0, counters.total - counters.scanned);
    let etaSeconds: number | undefined;
    if (record.state !== 'running') etaSeconds = 0;
    else if (remaining !== undefined && counters.scanned > 0 && elapsed > 0) etaSeconds = Math.ceil(remaining / (counters.scanned / elapsed));
    return {
      id: record.id,
      state: record.state,
      request: record.request,
      actor: record.actor,
      progress: { ...counters, etaSeconds },
      startedAt: new Date(record.startedMs).toISOString(),
      finishedAt: record.finishedMs === undefined ? undefined : new Date(record.finishedMs).toISOString(),
      error: record.error,
    };
  }

  /** Ids whose start is being recorded (audited) and not yet in `jobs`. */
  const starting = new Set<string>();

  async function emit(type: 'started' | 'finished', record: JobRecord): Promise<void> {
    for (const listener of listeners) await listener({ type, job: snapshot(record) });
  }

  function forgetOld(): void {
    const finished = [...jobs.values()].filter((j) => j.state !== 'running');
    for (const record of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED))) jobs.delete(record.id);
  }

  async function execute(record: JobRecord, run: () => Promise<void>): Promise<ReplayJob> {
    try {
      await run();
      record.state = record.controller.signal.aborted ? 'cancelled' : 'succeeded';
    } catch (error) {
      record.state = 'failed';
      record.error = asReplayError(error).message;
      logger.error({ err: error, job: record.id }, 'replay job failed');
    }
    record.finishedMs = Date.now();
    metrics.activeJobs.dec();
    metrics.jobs.inc({ state: record.state });
    logger.info({ job: record.id, state: record.state, progress: record.counters }, 'replay job finished');
    await emit('finished', record).catch((error: unknown) => logger.error({ err: error, job: record.id }, 'replay job listener failed on finish'));
    forgetOld();
    return snapshot(record);
  }

  return {
    async start(input, actor) {
      const request = parse(replayRequestSchema, input);
      if (request.dryRun) throw new ReplayError('INVALID_REQUEST', 'a dry run has no job: call dryRun()');
      const plan = planReplay(options.connectors, request.from, request.to);
      const predicate = compileFilter(request.filter);
      const id = request.jobId ?? (deps.newJobId ?? newId)();
      // Reserved before the first await, so two starts of one id cannot both pass this check.
      if (jobs.get(id)?.state === 'running' || starting.has(id)) throw new ReplayError('JOB_CONFLICT', `job ${id} is running`);
      starting.add(id);
      const record: JobRecord = {
        id,
        request: { ...request, jobId: id },
        actor,
        counters: { scanned: 0, matched: 0, moved: 0, skipped: 0, parked: 0, failed: 0, total: undefined },
        startedMs: Date.now(),
        controller: new AbortController(),
        state: 'running',
        finishedMs: undefined,
        error: undefined,
        done: Promise.resolve(undefined as unknown as ReplayJob),
      };
      // The start is recorded (audited) before anything moves; a failed record refuses the job.
      try {
        await emit('started', record);
        jobs.set(id, record);
      } finally {
        starting.delete(id);
      }
      metrics.activeJobs.inc();
      logger.info({ job: id, actor: actor.sub, from: request.from, to: request.to, filter: request.filter }, 'replay job started');
      const run = (): Promise<void> =>
        runJob({ id, request, plan, predicate, registry, logger: logger.child({ job: id }), metrics, counters: record.counters, signal: record.controller.signal });
      record.done = execute(record, run);
      return snapshot(record);
    },

    async dryRun(input, signal = new AbortController().signal) {
      const request = parse(replayRequestSchema, input);
      const plan = planReplay(options.connectors, request.from, request.to);
      const predicate = compileFilter(request.filter);
      try {
        return await dryRun(registry, plan, predicate, request.previewSize, logger, signal);
      } catch (error) {
        throw asReplayError(error);
      }
    },

    list() {
      return [...jobs.values()].reverse().map(snapshot);
    },

    get(id) {
      const record = jobs.get(id);
      return record && snapshot(record);
    },

    async cancel(id) {
      const record = jobs.get(id);
      if (!record) return undefined;
      record.controller.abort(new Error('cancelled'));
      return record.done;
    },

    async wait(id) {
      const record = jobs.get(id);
      if (!record) throw new ReplayError('JOB_NOT_FOUND', `no job ${id}`);
      return record.done;
    },

    async browse(input, signal = new AbortController().signal) {
      const query = parse(browseQuerySchema, input);
      const { store } = readPlan(options.connectors, { connector: query.connector, name: query.name });
      try {
        return await browse(registry, store, query, logger, signal);
      } catch (error) {
        throw asReplayError(error);
      }
    },

    async show(input, signal = new AbortController().signal) {
      const query = parse(showQuerySchema, input);
      const { store } = readPlan(options.connectors, { connector: query.connector, name: query.name });
      try {
        return await show(registry, store, query.position, logger, signal);
      } catch (error) {
        throw asReplayError(error);
      }
    },

    onJobEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    async close() {
      const running = [...jobs.values()].filter((j) => j.state === 'running');
      for (const record of running) record.controller.abort(new Error('service closing'));
      await Promise.allSettled(running.map((j) => j.done));
    },
  };
}
