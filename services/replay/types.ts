/**
 * The replay engine's public contract, shared by the CLI and the control API. Requests are zod
 * schemas so that one definition validates API bodies, CLI flags and generates the OpenAPI document.
 *
 * A job reads one dead-letter destination (a connector's Kafka DLQ topic or RabbitMQ DLQ queue),
 * selects messages with AND-combined filters, and re-publishes each selected message to its origin
 * (default) or to an allowed target. A message past the replay cap goes to the parking lot instead.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import type { ConnectorConfig } from '../../schemas/connector-config.ts';
import { replayTargetConfigSchema } from '../../schemas/connector-config.ts';

/** Which dead-letter destination to read. */
export const deadLetterSourceSchema = z
  .object({
    /** The connector whose configured dead-letter destination is read. */
    connector: z.string().min(1),
    /**
     * RabbitMQ: the queue holding the dead letters, when the connector's `deadLetter` declares none.
     * Kafka: the DLQ topic is the connector's `deadLetter.topic`; a different topic may be named here
     * only when it is the connector's parking lot.
     */
    name: z.string().min(1).optional(),
  })
  .strict()
  .describe('A connector dead-letter destination: its Kafka topic or RabbitMQ queue.');

/** Where selected messages go. Absent: each message's own origin (from its `mb-dlq-origin-*` headers). */
export const replayTargetSchema = z
  // The named targets are exactly those a connector's replay configuration may allow.
  .discriminatedUnion('kind', [z.object({ kind: z.literal('origin') }).strict(), ...replayTargetConfigSchema.options])
  .describe('Replay target: origin (default), or a topic / exchange allowed by the replay configuration.');

/** ISO-8601 date-time, as a string. */
const isoTime = z.iso.datetime({ offset: true });

/** Filters; every given one must hold (AND). */
export const replayFilterSchema = z
  .object({
    /** `mb-dlq-connector` equals. */
    connector: z.string().min(1).optional(),
    /** `mb-dlq-code` is one of. */
    codes: z.array(z.string().min(1)).min(1).optional(),
    /** `mb-dlq-stage` is one of. */
    stages: z.array(z.enum(['receive', 'decode', 'validate', 'map', 'infer', 'publish'])).min(1).optional(),
    /** Failure-time window: `since <= t < until` on the first or last failure time (default last). */
    window: z
      .object({
        field: z.enum(['first', 'last']).default('last'),
        since: isoTime.optional(),
        until: isoTime.optional(),
      })
      .strict()
      .optional(),
    /** `mb-dlq-event-id` is one of. */
    eventIds: z.array(z.string().min(1)).min(1).optional(),
    /** Message key (UTF-8) equals. */
    key: z.string().optional(),
    /** Header name → value: each header equals its value (UTF-8). */
    headers: z.record(z.string().min(1), z.string()).optional(),
    /** JSONata predicate over `{ headers, value }` (value parsed when it is JSON); truthy selects. */
    predicate: z.string().min(1).max(4096).optional(),
  })
  .strict()
  .default({});

export const replayRequestSchema = z
  .object({
    from: deadLetterSourceSchema,
    to: replayTargetSchema.default({ kind: 'origin' }),
    filter: replayFilterSchema,
    /** Count and preview only; no broker side effect. */
    dryRun: z.boolean().default(false),
    /** Messages per second moved at most; absent = unlimited. */
    rate: z.number().positive().max(100_000).optional(),
    /** Most messages moved (replayed + parked); absent = all matches. */
    max: z.number().int().positive().optional(),
    /** Dry run: how many matches to preview. */
    previewSize: z.number().int().min(0).max(100).default(10),
    /**
     * Resume an interrupted job: the same id continues where it stopped (Kafka: the job's consumer
     * group keeps its position; RabbitMQ: acked messages are gone, the rest are still queued).
     */
    jobId: z.string().regex(/^[a-zA-Z0-9._-]{1,64}$/).optional(),
  })
  .strict();

export type DeadLetterSource = z.infer<typeof deadLetterSourceSchema>;
export type ReplayTarget = z.infer<typeof replayTargetSchema>;
export type ReplayFilter = z.infer<typeof replayFilterSchema>;
/** A validated replay request (defaults applied). */
export type ReplayRequest = z.infer<typeof replayRequestSchema>;
/** A replay request as callers write it (defaults optional). */
export type ReplayRequestInput = z.input<typeof replayRequestSchema>;

/** Who started a job; the API fills it from the verified token, the CLI from the OS user. */
export interface Actor {
  readonly sub: string;
  readonly username?: string | undefined;
}

/** Counters of one job. Every scanned message is exactly one of: not matched, moved, parked, failed, skipped. */
export interface ReplayProgress {
  /** Dead letters read. */
  readonly scanned: number;
  /** Read and selected by the filters. */
  readonly matched: number;
  /** Re-published and confirmed by the target broker, then removed/committed from the DLQ. */
  readonly moved: number;
  /** Selected but not replayable (no origin headers, or an origin that is no configured source); it stays. */
  readonly skipped: number;
  /** Past the replay cap: sent to the parking lot (confirmed). */
  readonly parked: number;
  /** Selected, but the publish failed; the dead letter stays in the DLQ. */
  readonly failed: number;
  /** Dead letters in the DLQ when the job started (estimate, for the ETA). */
  readonly total: number | undefined;
  /** Seconds left at the current rate; undefined until known. */
  readonly etaSeconds: number | undefined;
}

export type ReplayJobState = 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface ReplayJob {
  readonly id: string;
  readonly state: ReplayJobState;
  readonly request: ReplayRequest;
  readonly actor: Actor;
  readonly progress: ReplayProgress;
  /** ISO-8601. */
  readonly startedAt: string;
  readonly finishedAt: string | undefined;
  /** Why the job failed; no secrets, no stack. */
  readonly error: string | undefined;
}

/** One dead letter as shown to operators: headers (secrets redacted) and a value excerpt. */
export interface DeadLetterView {
  /** Position in the DLQ: `partition:offset` (Kafka) or the index in the queue (RabbitMQ). */
  readonly position: string;
  readonly key: string | null;
  readonly headers: Readonly<Record<string, string>>;
  readonly contentType: string | undefined;
  /** UTF-8 excerpt of the value (or base64 when binary), secrets redacted; `full` says if cut. */
  readonly value: string | null;
  readonly valueBytes: number;
  readonly truncated: boolean;
  readonly code: string | undefined;
  readonly connector: string | undefined;
  readonly eventId: string | undefined;
  readonly replayCount: number;
}

export interface DryRunResult {
  readonly scanned: number;
  readonly matched: number;
  readonly byCode: Readonly<Record<string, number>>;
  readonly byConnector: Readonly<Record<string, number>>;
  /** Matches past the replay cap, that a replay would park. */
  readonly wouldPark: number;
  readonly preview: readonly DeadLetterView[];
}

export const browseQuerySchema = z
  .object({
    connector: z.string().min(1),
    /** RabbitMQ DLQ queue / parking lot, as in {@link deadLetterSourceSchema}. */
    name: z.string().min(1).optional(),
    code: z.string().min(1).optional(),
    /** Last failure at or after (ISO-8601). */
    since: isoTime.optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    /** Opaque; from the previous page's `nextCursor`. */
    cursor: z.string().min(1).max(4096).optional(),
  })
  .strict();

export type BrowseQuery = z.infer<typeof browseQuerySchema>;

export const showQuerySchema = z
  .object({
    connector: z.string().min(1),
    name: z.string().min(1).optional(),
    /** A `position` from a browse page. */
    position: z.string().min(1).max(64),
  })
  .strict();

export type ShowQuery = z.input<typeof showQuerySchema>;
export type BrowseQueryInput = z.input<typeof browseQuerySchema>;

export interface BrowsePage {
  readonly items: readonly DeadLetterView[];
  /** Counts over the messages scanned for this page (the whole DLQ up to the scan bound). */
  readonly counts: { readonly byCode: Readonly<Record<string, number>>; readonly byConnector: Readonly<Record<string, number>> };
  /** Dead letters in the destination (broker's count). */
  readonly total: number | undefined;
  readonly nextCursor: string | undefined;
}

/** Lifecycle events of a job: one `started` and one `finished` per job, for the audit trail. */
export type ReplayJobEvent =
  | { readonly type: 'started'; readonly job: ReplayJob }
  | { readonly type: 'finished'; readonly job: ReplayJob };

/**
 * Called for job lifecycle events. `started` is awaited before the job moves anything, and a rejection
 * fails the start (a failed audit write fails the operation); `finished` is awaited before the job
 * leaves `running` for good.
 */
export type ReplayJobListener = (event: ReplayJobEvent) => Promise<void> | void;

/** The engine behind CLI and API. Errors are {@link ReplayError}s with a closed code. */
export interface ReplayService {
  /**
   * Validates and starts a job in the background; resolves once it runs. A refused target, a bad
   * filter or a running job of the same id reject before anything is read. `dryRun: true` requests
   * belong to {@link ReplayService.dryRun} and are refused here.
   */
  start(request: ReplayRequestInput, actor: Actor): Promise<ReplayJob>;
  /** Runs a dry run to the end. No broker side effect. */
  dryRun(request: ReplayRequestInput, signal?: AbortSignal): Promise<DryRunResult>;
  /** Jobs of this process, newest first. */
  list(): readonly ReplayJob[];
  get(id: string): ReplayJob | undefined;
  /** Resolves when the job stopped (`cancelled`); publishes in flight finish first. Undefined for an unknown id. */
  cancel(id: string): Promise<ReplayJob | undefined>;
  /** Resolves with the final job. */
  wait(id: string): Promise<ReplayJob>;
  /** Browses without consuming. */
  browse(query: BrowseQueryInput, signal?: AbortSignal): Promise<BrowsePage>;
  /** One dead letter in full (value redacted, not cut), by its `position`; undefined when absent. */
  show(query: ShowQuery, signal?: AbortSignal): Promise<DeadLetterView | undefined>;
  /** Registers a lifecycle listener; returns the unsubscribe function. */
  onJobEvent(listener: ReplayJobListener): () => void;
  /** Cancels running jobs and closes broker connections. */
  close(): Promise<void>;
}

/** What `createReplayService(options)` (services/replay/service.ts) takes. */
export interface ReplayServiceOptions {
  /** The configured connectors: their dead-letter destinations, origins and `replay` sections. */
  readonly connectors: readonly ConnectorConfig[];
  readonly logger: Logger;
  /** Where `modelbridge_replay_*` metrics are registered; none = not exported. */
  readonly metricsRegistry?: Registry | undefined;
}

export const REPLAY_ERROR_CODES = [
  /** The request is malformed or names an unknown connector. → 400/404 */
  'INVALID_REQUEST',
  'UNKNOWN_CONNECTOR',
  /** The target is neither an origin of a configured connector nor an allowed destination. → 403/422 */
  'TARGET_NOT_ALLOWED',
  /** A job with this id is already running. → 409 */
  'JOB_CONFLICT',
  'JOB_NOT_FOUND',
  /** The broker could not be reached or refused. → 502/503 */
  'BROKER_UNAVAILABLE',
] as const;

export type ReplayErrorCode = (typeof REPLAY_ERROR_CODES)[number];

/** Every error the engine throws to its callers. */
export class ReplayError extends Error {
  override readonly name: string = 'ReplayError';
  readonly code: ReplayErrorCode;
  constructor(code: ReplayErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
