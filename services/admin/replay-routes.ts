/**
 * `/v1/dead-letters`, `/v1/replays` and `/v1/audit`, over the replay engine and the audit trail.
 *
 * A replay job's audit records are written by `auditReplayJobs` (audit.ts), which the engine awaits before
 * the job moves anything (`replay.start`) and before it ends (`replay.finished`); so the API writes no
 * record of its own for a start. A cancel is audited here before it happens; a dry run, which changes
 * nothing, once it finished (with its counts).
 */
import { browseQuerySchema, replayRequestSchema, ReplayError } from '../replay/types.ts';
import type { ReplayErrorCode, ReplayService } from '../replay/types.ts';
import {
  auditPageSchema,
  auditQuery,
  browsePageSchema,
  deadLetterViewSchema,
  dryRunResultSchema,
  jobIdParams,
  positionParams,
  replayJobSchema,
  replayListSchema,
  showQuery,
} from './api-schemas.ts';
import { actorOf } from './audit.ts';
import type { AuditLog } from './audit.ts';
import { ProblemError } from './problem.ts';
import type { ProblemType } from './problem.ts';
import { defineRoute } from './route-spec.ts';
import type { RouteSpec } from './route-spec.ts';

const REPLAY_PROBLEMS: Record<ReplayErrorCode, [number, ProblemType]> = {
  INVALID_REQUEST: [400, 'invalid-request'],
  UNKNOWN_CONNECTOR: [404, 'not-found'],
  TARGET_NOT_ALLOWED: [422, 'not-allowed-target'],
  JOB_CONFLICT: [409, 'conflict'],
  JOB_NOT_FOUND: [404, 'not-found'],
  BROKER_UNAVAILABLE: [503, 'broker-unavailable'],
};

/** The engine's errors as problems; anything else is left to the error handler (500, logged). */
export function replayProblem(error: unknown): unknown {
  if (!(error instanceof ReplayError)) return error;
  const [status, type] = REPLAY_PROBLEMS[error.code];
  return new ProblemError(status, type, error.message, { cause: error });
}

/** The dead-letter, replay and audit routes; without an engine they answer 503. */
export function replayRoutes(deps: { replay: ReplayService | undefined; audit: AuditLog | undefined }): RouteSpec[] {
  const { audit } = deps;

  function engine(): ReplayService {
    if (!deps.replay) throw new ProblemError(503, 'internal', 'replay is not available in this process');
    return deps.replay;
  }

  async function call<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw replayProblem(error);
    }
  }

  return [
    defineRoute({
      method: 'GET',
      path: '/v1/dead-letters',
      operationId: 'browseDeadLetters',
      summary: "Browse a connector's dead letters without consuming them",
      description: 'Counts by code and connector, and one page of dead letters (headers and a value excerpt, secrets redacted).',
      tag: 'dead-letters',
      role: 'viewer',
      query: browseQuerySchema,
      responses: { 200: { description: 'One page', schema: browsePageSchema } },
      async handler({ query, signal }) {
        return { status: 200, body: await call(() => engine().browse(query, signal)) };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/v1/dead-letters/{position}',
      operationId: 'showDeadLetter',
      summary: 'One dead letter in full (value not cut, secrets redacted), by its position from a browse page',
      tag: 'dead-letters',
      role: 'viewer',
      params: positionParams,
      query: showQuery,
      responses: { 200: { description: 'The dead letter', schema: deadLetterViewSchema } },
      async handler({ params, query, signal }) {
        const view = await call(() => engine().show({ ...query, position: params.position }, signal));
        if (!view) throw new ProblemError(404, 'not-found', `no dead letter at ${params.position}`);
        return { status: 200, body: view };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/v1/replays',
      operationId: 'startReplay',
      summary: 'Start a replay job, or run a dry run (`dryRun: true`)',
      description:
        'A dry run answers 200 with the counts and a preview and has no side effect on any broker. A job answers 202 with its id; follow it at `/v1/replays/{id}`.',
      tag: 'replays',
      role: 'operator',
      audit: (body) => ((body as { dryRun?: unknown } | null)?.dryRun === true ? 'replay.dry-run' : 'replay.start'),
      body: replayRequestSchema,
      responses: {
        200: { description: 'Dry run result', schema: dryRunResultSchema },
        202: { description: 'Job started', schema: replayJobSchema },
      },
      async handler({ body, principal, signal }) {
        const replay = engine();
        const actor = actorOf(principal);
        if (body.dryRun) {
          const result = await call(() => replay.dryRun(body, signal));
          const { preview: _preview, ...counts } = result;
          await audit?.append({ actor, action: 'replay.dry-run', target: body.from.connector, outcome: 'ok', filter: body, counts });
          return { status: 200, body: result };
        }
        const job = await call(() => replay.start(body, actor));
        return { status: 202, body: job, headers: { location: `/v1/replays/${encodeURIComponent(job.id)}` } };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/v1/replays',
      operationId: 'listReplays',
      summary: 'Replay jobs of this process, newest first',
      tag: 'replays',
      role: 'viewer',
      responses: { 200: { description: 'The jobs', schema: replayListSchema } },
      async handler() {
        return { status: 200, body: { jobs: engine().list() } };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/v1/replays/{id}',
      operationId: 'getReplay',
      summary: 'One replay job with its progress',
      tag: 'replays',
      role: 'viewer',
      params: jobIdParams,
      responses: { 200: { description: 'The job', schema: replayJobSchema } },
      async handler({ params }) {
        const job = engine().get(params.id);
        if (!job) throw new ProblemError(404, 'not-found', `no replay job ${params.id}`);
        return { status: 200, body: job };
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/v1/replays/{id}',
      operationId: 'cancelReplay',
      summary: 'Cancel a running job; what it moved stays moved',
      tag: 'replays',
      role: 'operator',
      audit: 'replay.cancel',
      params: jobIdParams,
      responses: { 200: { description: 'The job once stopped', schema: replayJobSchema } },
      async handler({ params, principal }) {
        const replay = engine();
        const job = replay.get(params.id);
        if (!job) throw new ProblemError(404, 'not-found', `no replay job ${params.id}`);
        if (job.state !== 'running') throw new ProblemError(409, 'conflict', `replay job ${params.id} is already ${job.state}`);
        await audit?.append({ actor: actorOf(principal), action: 'replay.cancel', target: job.id, outcome: 'ok', counts: job.progress });
        const stopped = await call(() => replay.cancel(params.id));
        return { status: 200, body: stopped ?? job };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/v1/audit',
      operationId: 'readAudit',
      summary: 'The audit trail, newest first',
      tag: 'audit',
      role: 'admin',
      query: auditQuery,
      responses: { 200: { description: 'One page of records', schema: auditPageSchema } },
      async handler({ query }) {
        if (!audit) throw new ProblemError(503, 'audit-unavailable', 'no audit trail is configured');
        try {
          return { status: 200, body: await audit.read(query) };
        } catch (error) {
          if (error instanceof RangeError) throw new ProblemError(400, 'invalid-request', 'invalid cursor');
          throw error;
        }
      },
    }),
  ];
}
