/**
 * The small contracts every connector implements. Broker and HTTP client types never cross this file:
 * the worker pipeline speaks only these interfaces, `schemas/*` types and {@link ModelbridgeError}.
 */
import type { CanonicalEvent } from '../schemas/event.ts';

/** Header values as the pipeline sees them: UTF-8 strings, or raw bytes where the transport had bytes. */
export type HeaderValue = string | Buffer;
export type Headers = Record<string, HeaderValue>;

/** Where an inbound message came from; dead letters carry it so replay can route it back. */
export type MessageOrigin =
  | {
      readonly transport: 'kafka';
      readonly topic: string;
      readonly partition: number;
      /** Kafka offsets are int64; kept as the decimal string kafkajs gives. */
      readonly offset: string;
      readonly timestamp: number | undefined;
    }
  | {
      readonly transport: 'amqp';
      readonly exchange: string;
      readonly routingKey: string;
      readonly queue: string;
      readonly redelivered: boolean;
      readonly deliveryTag: number;
    }
  | {
      readonly transport: 'memory';
      readonly stream: string;
      readonly sequence: number;
    };

/** A message as consumed, before decoding. Never mutated: dead letters carry it unchanged. */
export interface InboundMessage {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  /** Original headers, unchanged. Kafka header values arrive as bytes; AMQP's as their table values. */
  readonly headers: Headers;
  /** The content type, when the transport has a first-class property for it (AMQP `content-type`). */
  readonly contentType: string | undefined;
  /** Epoch milliseconds, when the transport records it. */
  readonly timestamp: number | undefined;
  readonly origin: MessageOrigin;
}

/** A message to publish. */
export interface OutboundMessage {
  readonly key: Buffer | string | null;
  readonly value: Buffer | string | null;
  readonly headers: Headers;
  readonly contentType?: string | undefined;
  /** Kafka: partition override (dead letters to the same partition); ignored elsewhere. */
  readonly partition?: number | undefined;
  /** Override of the sink's configured destination: Kafka topic or AMQP routing key. */
  readonly destination?: string | undefined;
}

/**
 * One consumed message handed to the pipeline. Exactly one of `ack` / `nack` is called, once.
 *
 * - `ack()`: the message is done (its enriched event or its dead letter was durably accepted). Kafka
 *   sources commit the highest contiguous acked offset; AMQP sources ack the delivery tag.
 * - `nack()`: the message was not processed (shutdown); make it available again. Kafka: do not commit
 *   past it; AMQP: `basic.nack` with requeue.
 */
export interface Delivery {
  readonly message: InboundMessage;
  /**
   * The ordering lane within the source: a Kafka partition (`topic/partition`) or the AMQP queue.
   * Per-key order is kept within a lane.
   */
  readonly lane: string;
  /** `performance.now()` when the source handed it to the pipeline: the start of the latency the worker adds. */
  readonly receivedAt: number;
  ack(): void;
  nack(): void;
}

/** Called for every delivery, synchronously; the pipeline never blocks the source. */
export type DeliveryHandler = (delivery: Delivery) => void;

export interface SourceStatus {
  readonly connected: boolean;
  /** Intake paused (backpressure or an open breaker). */
  readonly paused: boolean;
  /** Consumer lag in messages, where the transport reports it. */
  readonly lag?: number | undefined;
}

/** What waits in the source, as the transport can tell it: lag per partition or a queue's depth. */
export interface SourceBacklog {
  readonly partitions?: readonly { readonly topic: string; readonly partition: number; readonly lag: number }[];
  readonly queue?: { readonly name: string; readonly ready: number };
}

/**
 * One partition's offsets as the broker has them, in kafka_exporter's terms: `committed` is the group's
 * committed offset (-1 when it has none), `end` the high watermark, `start` the low watermark.
 */
export interface PartitionOffsets {
  readonly topic: string;
  readonly partition: number;
  readonly committed: number;
  readonly start: number;
  readonly end: number;
}

/** The pipeline's buffering window, as a hint to sources. */
export interface IntakeWindow {
  /** Events the pipeline buffers (received, not yet acked) before it pauses intake. */
  readonly maxEvents: number;
}

/**
 * A stream of deliveries. `pause()` is best effort: already fetched messages may still arrive, so the
 * pipeline's in-flight bound is soft by at most one fetch (Kafka batch / AMQP prefetch).
 */
export interface Source {
  readonly kind: string;
  /**
   * Connect and start delivering. Resolves once consuming has started. `intake` tells how many events
   * the pipeline buffers, so a source with several lanes can share that window among them.
   */
  start(handler: DeliveryHandler, intake?: IntakeWindow): Promise<void>;
  pause(): void;
  resume(): void;
  status(): SourceStatus;
  /** Read-only look at the backlog for operators; transports that cannot tell leave it out. */
  backlog?(): Promise<SourceBacklog>;
  /**
   * Kafka: the offsets of the partitions this group member owns (for metrics: several members of one
   * group then report disjoint partitions, and sums across them are right). Other transports leave it out.
   */
  offsets?(): Promise<readonly PartitionOffsets[]>;
  /**
   * Stop intake, commit what was acked, disconnect. Idempotent. Deliveries not acked by then are
   * redelivered later (at-least-once).
   */
  close(): Promise<void>;
}

/** A destination for enriched events or dead letters. */
export interface Sink {
  readonly kind: string;
  /** Resolves only when the broker durably accepted the message (Kafka acks=-1, AMQP confirm). */
  publish(message: OutboundMessage): Promise<void>;
  /** Connect eagerly so that readiness reflects the broker. */
  start(): Promise<void>;
  status(): { readonly connected: boolean };
  /** Flush what is pending, then disconnect. Idempotent. */
  close(): Promise<void>;
}

/** Raw message → canonical event. Throws a `ModelbridgeError` with a decode code. */
export interface Decoder {
  readonly format: string;
  decode(message: InboundMessage): CanonicalEvent;
  /**
   * True for events to forward to the sink unchanged, without inference (e.g. Salesforce gap events
   * configured to pass through). Absent means every event is enriched.
   */
  passThrough?(event: CanonicalEvent): boolean;
  /**
   * How events of `type` get their partition key, in words, or `undefined` when no rule covers the type
   * (its events are keyed by the message key, else by their own id). Used by `validate`; absent means the
   * decoder cannot tell.
   */
  keyRule?(type: string): string | undefined;
}

/** Inference request after mapping: named inputs, each a scalar or a (nested) array. */
export interface InferenceRequest {
  readonly id: string;
  readonly inputs: Readonly<Record<string, unknown>>;
  readonly parameters?: Readonly<Record<string, string | number | boolean>> | undefined;
}

/** Inference response as the response mapping sees it: named outputs as flat data arrays. */
export interface InferenceResponse {
  readonly modelName: string;
  readonly modelVersion: string | undefined;
  readonly outputs: Readonly<Record<string, unknown>>;
  /** Token usage, where the backend reports it. */
  readonly usage?: { readonly promptTokens: number; readonly completionTokens: number } | undefined;
}

export interface InferOptions {
  /** Aborts the call: the per-attempt timeout and the worker's lifecycle. */
  readonly signal: AbortSignal;
  /** W3C trace context propagated to the backend. */
  readonly traceparent?: string | undefined;
  /** Epoch milliseconds by which this attempt must finish (gRPC deadline, Triton `timeout`). */
  readonly deadline?: number | undefined;
}

/** A client of one model on one backend. Failures are `ModelbridgeError`s classified in the client. */
export interface InferenceClient {
  readonly kind: string;
  readonly model: string;
  readonly version: string | undefined;
  infer(request: InferenceRequest, options: InferOptions): Promise<InferenceResponse>;
  /** Model readiness, for readiness gating and the breaker's half-open probe. Never throws. */
  ready(signal: AbortSignal): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * One message read from a dead-letter destination. Exactly one of `remove` / `keep` is called, once;
 * an entry settled by neither (the reader closed first) stays in the destination.
 */
export interface StoredDeadLetter {
  /** The dead letter as stored: original bytes, headers incl. `mb-dlq-*`; `origin` is its DLQ position. */
  readonly message: InboundMessage;
  /** Stable position: `partition:offset` (Kafka), index in the queue when read (RabbitMQ, memory). */
  readonly position: string;
  /** Its replay (or parking) was confirmed: remove it (AMQP ack) / let the reader's position pass it (Kafka commit). */
  remove(): void;
  /** Leave it where it is (not selected). Kafka: the position passes it; AMQP: it is requeued in place on close. */
  keep(): void;
}

/** How a {@link DeadLetterReader} reads. */
export type DeadLetterReadMode =
  /** Browse or dry run: nothing is removed or committed; `cursor` resumes a previous page. */
  | { readonly kind: 'browse'; readonly cursor?: string | undefined }
  /**
   * A replay job: removed entries are gone for good. Kafka keeps the job's position in the consumer
   * group `group`, so a reader opened again with the same group continues where the last one stopped.
   */
  | { readonly kind: 'consume'; readonly group: string };

/**
 * Reads the messages a dead-letter destination held when the reader opened (a snapshot of its end),
 * in order per partition/queue. A pull interface: nothing is fetched beyond a small bounded buffer.
 */
export interface DeadLetterReader {
  /** Messages in the destination when reading began (from the broker), where known. */
  readonly total: number | undefined;
  /** The next message, or `undefined` once every message of the snapshot was read. */
  next(signal: AbortSignal): Promise<StoredDeadLetter | undefined>;
  /** Browse: a cursor that resumes just after the entries returned by `next()` so far. */
  cursor(): string;
  /**
   * Commits what was settled (Kafka), requeues kept messages in place (AMQP: the channel closes with
   * them unacked) and disconnects. Idempotent.
   */
  close(): Promise<void>;
}

/** Opens readers on one dead-letter destination (a Kafka topic or an AMQP queue). */
export interface DeadLetterStore {
  readonly kind: string;
  /** The topic or queue name, for logs and errors. */
  readonly name: string;
  open(mode: DeadLetterReadMode): Promise<DeadLetterReader>;
}
