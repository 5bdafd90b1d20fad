/**
 * Dead-letter headers. A dead letter is the original message unchanged (key, value, original headers)
 * plus these headers, all under one prefix so that they are easy to find, strip and filter on.
 */

export const DEAD_LETTER_HEADER_PREFIX = 'mb-dlq-';

export const DLQ_HEADERS = {
  /** Closed error code, e.g. `MALFORMED_PAYLOAD`. */
  code: 'mb-dlq-code',
  /** `true` when the failure was transient and the budget ran out; `false` for poison. */
  retryable: 'mb-dlq-retryable',
  /** Human-readable reason; never a stack trace, never a payload excerpt with secrets. */
  message: 'mb-dlq-message',
  /** decode | validate | map | infer | publish | receive */
  stage: 'mb-dlq-stage',
  /** Inference attempts made. */
  attempts: 'mb-dlq-attempts',
  /** ISO-8601 times of the first and the last failure. */
  firstFailureAt: 'mb-dlq-first-failure-at',
  lastFailureAt: 'mb-dlq-last-failure-at',
  connector: 'mb-dlq-connector',
  backend: 'mb-dlq-backend',
  model: 'mb-dlq-model',
  /** HTTP status or gRPC code behind an inference failure. */
  upstreamStatus: 'mb-dlq-upstream-status',
  /** Origin: `kafka` | `amqp` | `memory`. */
  originTransport: 'mb-dlq-origin-transport',
  originTopic: 'mb-dlq-origin-topic',
  originPartition: 'mb-dlq-origin-partition',
  originOffset: 'mb-dlq-origin-offset',
  originTimestamp: 'mb-dlq-origin-timestamp',
  originExchange: 'mb-dlq-origin-exchange',
  originRoutingKey: 'mb-dlq-origin-routing-key',
  originQueue: 'mb-dlq-origin-queue',
  /** Event id, when the message decoded far enough to have one. */
  eventId: 'mb-dlq-event-id',
  /** Content type of the original (AMQP property), so replay restores it. */
  originContentType: 'mb-dlq-origin-content-type',
  /** How often this message was replayed from a dead-letter queue, and by which job last. */
  replayCount: 'mb-dlq-replay-count',
  replayJobId: 'mb-dlq-replay-job-id',
  /**
   * JSON array of the earlier failures of a replayed message, oldest first ({@link DeadLetterHistoryEntry});
   * a replay appends the failure it replays, and the worker keeps it on the next dead letter.
   */
  history: 'mb-dlq-history',
  /** On a parked message: when and by which replay job it was parked. */
  parkedAt: 'mb-dlq-parked-at',
  parkedByJob: 'mb-dlq-parked-by-job',
} as const;

/**
 * Headers a replay keeps on the message it re-publishes. Every other `mb-dlq-*` header describes the
 * last failure and is dropped (it moves into {@link DLQ_HEADERS.history}).
 */
export const REPLAY_KEPT_HEADERS: ReadonlySet<string> = new Set([DLQ_HEADERS.replayCount, DLQ_HEADERS.replayJobId, DLQ_HEADERS.history]);

/** One earlier failure in {@link DLQ_HEADERS.history}. */
export interface DeadLetterHistoryEntry {
  readonly code: string | undefined;
  readonly stage: string | undefined;
  /** Cut to 200 characters. */
  readonly message: string | undefined;
  readonly attempts: number | undefined;
  readonly connector: string | undefined;
  readonly firstFailureAt: string | undefined;
  readonly lastFailureAt: string | undefined;
  /** The replay job that had re-published the message before this failure, if any. */
  readonly replayJobId: string | undefined;
  /** The replay job that read this failure from the DLQ and replayed or parked it. */
  readonly handledByJob: string;
}

export type DeadLetterHeaderName = (typeof DLQ_HEADERS)[keyof typeof DLQ_HEADERS];
