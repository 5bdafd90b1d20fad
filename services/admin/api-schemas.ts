/**
 * zod schemas of the control API's requests and responses. Requests are validated with them (the
 * replay schemas come from the engine itself); responses are documented with them in the OpenAPI
 * document, and the type checks at the bottom keep those in step with the engine's types.
 */
import { z } from 'zod';
import { ROLES } from '../../schemas/admin-config.ts';
import type { BrowsePage, DeadLetterView, DryRunResult, ReplayJob } from '../replay/types.ts';
import type { AuditRecord } from './audit.ts';

export const connectorNameParams = z.object({ name: z.string().min(1).max(100).describe('Connector name') }).strict();
export const jobIdParams = z.object({ id: z.string().min(1).max(64).describe('Replay job id') }).strict();
export const positionParams = z.object({ position: z.string().min(1).max(64).describe('`partition:offset` (Kafka) or index (RabbitMQ), from a browse page') }).strict();
export const showQuery = z.object({ connector: z.string().min(1), name: z.string().min(1).optional() }).strict();

export const auditQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(500).default(50),
    /** Opaque; the previous page's `nextCursor`. */
    cursor: z.string().regex(/^\d{1,15}$/).optional(),
  })
  .strict();

const nullable = <T extends z.ZodType>(schema: T) => schema.nullable();

const lastError = z.object({ code: z.string(), message: z.string(), stage: nullable(z.string()), at: z.iso.datetime() });

/** One connector in one view; `connector.state` takes Kafka Connect's vocabulary. */
export const connectorStatusSchema = z.object({
  name: z.string(),
  connector: z.object({
    state: z.enum(['UNASSIGNED', 'RUNNING', 'PAUSED', 'STOPPED', 'FAILED']),
    worker_id: z.string(),
  }),
  /** Modelbridge's own lifecycle state. */
  lifecycle: z.enum(['created', 'starting', 'waiting-for-model', 'running', 'draining', 'stopped', 'failed']),
  /** Why intake is paused; `operator` until an operator resumes it. */
  paused: z.array(z.enum(['backpressure', 'breaker', 'draining', 'failed', 'operator'])),
  breaker: z.enum(['closed', 'open', 'half-open']),
  backend: z.object({ kind: z.string(), model: z.string(), ready: nullable(z.boolean()) }),
  inFlight: z.number().int(),
  concurrency: z.object({ limit: z.number().int(), max: z.number().int() }),
  source: z.object({
    connected: z.boolean(),
    /** Total lag in messages, where the transport reports it. */
    lag: nullable(z.number()),
    /** Kafka: the group's lag per partition (high watermark − committed offset). */
    partitions: z.array(z.object({ topic: z.string(), partition: z.number().int(), lag: z.number() })).optional(),
    /** RabbitMQ: messages ready in the queue. */
    queue: z.object({ name: z.string(), ready: z.number().int() }).optional(),
  }),
  sinks: z.object({ enriched: z.object({ connected: z.boolean() }), deadLetter: z.object({ connected: z.boolean() }) }),
  lastError: nullable(lastError),
});

export const connectorListSchema = z.object({ connectors: z.array(connectorStatusSchema) });

export const deadLetterViewSchema = z.object({
  position: z.string(),
  key: nullable(z.string()),
  headers: z.record(z.string(), z.string()),
  contentType: z.string().optional(),
  value: nullable(z.string()),
  valueBytes: z.number().int(),
  truncated: z.boolean(),
  code: z.string().optional(),
  connector: z.string().optional(),
  eventId: z.string().optional(),
  replayCount: z.number().int(),
});

const countsByKey = z.record(z.string(), z.number().int());

export const browsePageSchema = z.object({
  items: z.array(deadLetterViewSchema),
  counts: z.object({ byCode: countsByKey, byConnector: countsByKey }),
  total: z.number().int().optional(),
  nextCursor: z.string().optional(),
});

export const dryRunResultSchema = z.object({
  scanned: z.number().int(),
  matched: z.number().int(),
  byCode: countsByKey,
  byConnector: countsByKey,
  wouldPark: z.number().int(),
  preview: z.array(deadLetterViewSchema),
});

export const replayJobSchema = z.object({
  id: z.string(),
  state: z.enum(['running', 'succeeded', 'failed', 'cancelled']),
  /** The validated request, defaults applied. */
  request: z.record(z.string(), z.unknown()),
  actor: z.object({ sub: z.string(), username: z.string().optional() }),
  progress: z.object({
    scanned: z.number().int(),
    matched: z.number().int(),
    moved: z.number().int(),
    skipped: z.number().int(),
    parked: z.number().int(),
    failed: z.number().int(),
    total: z.number().int().optional(),
    etaSeconds: z.number().optional(),
  }),
  startedAt: z.iso.datetime(),
  finishedAt: z.iso.datetime().optional(),
  error: z.string().optional(),
});

export const replayListSchema = z.object({ jobs: z.array(replayJobSchema) });

export const auditRecordSchema = z.object({
  id: z.string(),
  time: z.iso.datetime(),
  actor: z.object({ sub: z.string(), username: z.string().optional() }),
  action: z.enum(['connector.pause', 'connector.resume', 'replay.start', 'replay.dry-run', 'replay.cancel', 'replay.finished']),
  target: z.string(),
  outcome: z.string(),
  filter: z.unknown().optional(),
  counts: z.unknown().optional(),
  detail: z.string().optional(),
});

export const auditPageSchema = z.object({ items: z.array(auditRecordSchema), nextCursor: z.string().optional() });

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .describe('RFC 9457 problem details');

export const roleSchema = z.enum(ROLES);

// Documentation drift is a type error: each engine type must fit its documented schema.
type DeepReadonly<T> = T extends (infer U)[] ? readonly DeepReadonly<U>[] : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;
type Fits<Actual, Documented> = [Actual] extends [DeepReadonly<Documented>] ? true : false;
type Assert<T extends true> = T;
export type DocumentedTypesFit = [
  Assert<Fits<DeadLetterView, z.input<typeof deadLetterViewSchema>>>,
  Assert<Fits<BrowsePage, z.input<typeof browsePageSchema>>>,
  Assert<Fits<DryRunResult, z.input<typeof dryRunResultSchema>>>,
  Assert<Fits<Omit<ReplayJob, 'request'>, Omit<z.input<typeof replayJobSchema>, 'request'>>>,
  Assert<Fits<AuditRecord['action'], z.input<typeof auditRecordSchema>['action']>>,
];
