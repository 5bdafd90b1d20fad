/**
 * Builders of what the worker publishes: the enriched event (a structured-mode CloudEvent whose id is
 * the input's id) and the dead letter (the original message unchanged plus `mb-dlq-*` headers).
 */
import type { ModelbridgeError } from '../../schemas/errors.ts';
import type { Headers, InboundMessage, OutboundMessage } from '../../connectors/types.ts';
import { DLQ_HEADERS } from '../../schemas/dead-letter.ts';
import type { CanonicalEvent, Provenance } from '../../schemas/event.ts';

export const CLOUDEVENTS_JSON = 'application/cloudevents+json; charset=utf-8';

/** Headers of every structured-mode event the worker writes: one frozen object, not one per event. */
export const STRUCTURED_HEADERS: Headers = Object.freeze({ 'content-type': CLOUDEVENTS_JSON });

/**
 * Headers of a structured-mode event: the content type, and the W3C context of the event as transport
 * headers too (`traceparent`, `tracestate`), so that consumers tracing from headers continue the trace.
 */
export function structuredHeaders(event: CanonicalEvent): Headers {
  if (event.traceparent === undefined) return STRUCTURED_HEADERS;
  const headers: Headers = { 'content-type': CLOUDEVENTS_JSON, traceparent: event.traceparent };
  if (typeof event.tracestate === 'string') headers.tracestate = event.tracestate;
  return headers;
}

let isoMs = Number.NaN;
let iso = '';

/** `new Date().toISOString()`, formatted once per millisecond: many events are enriched within one. */
function isoNow(): string {
  const now = Date.now();
  if (now !== isoMs) {
    iso = new Date(now).toISOString();
    isoMs = now;
  }
  return iso;
}

export interface EnrichOptions {
  readonly source: string;
  readonly type: string | undefined;
}

/** The enriched CloudEvent: input data, mapped outputs and provenance. */
export function buildEnrichedMessage(
  input: CanonicalEvent,
  original: InboundMessage,
  output: Record<string, unknown>,
  provenance: Provenance,
  options: EnrichOptions,
): OutboundMessage {
  const event: Record<string, unknown> = {
    specversion: '1.0',
    id: input.id,
    source: options.source,
    type: options.type ?? `${input.type}.enriched`,
    time: isoNow(),
    datacontenttype: 'application/json',
  };
  if (input.subject !== undefined) event.subject = input.subject;
  if (input.partitionkey !== undefined) event.partitionkey = input.partitionkey;
  if (input.traceparent !== undefined) event.traceparent = input.traceparent;
  if (typeof input.tracestate === 'string') event.tracestate = input.tracestate;
  event.data = { input: input.data, output, provenance };
  return {
    key: original.key ?? input.partitionkey ?? null,
    value: JSON.stringify(event),
    headers: structuredHeaders(input),
    contentType: CLOUDEVENTS_JSON,
  };
}

export interface DeadLetterContext {
  readonly connector: string;
  readonly backend: string;
  readonly model: string;
  readonly attempts: number;
  readonly firstFailureAt: number;
  readonly lastFailureAt: number;
  readonly eventId: string | undefined;
  /** W3C context of the worker's span, when tracing: replaces the original `traceparent`/`tracestate` headers. */
  readonly trace?: { readonly traceparent: string; readonly tracestate: string | undefined } | undefined;
}

const MAX_REASON_LENGTH = 1024;

/** The original message unchanged, with the reason and its origin in `mb-dlq-*` headers. */
export function buildDeadLetter(original: InboundMessage, error: ModelbridgeError, context: DeadLetterContext): OutboundMessage {
  const headers: Headers = {};
  // Original headers first, then ours; stale `mb-dlq-*` headers from an earlier failure are replaced.
  for (const name in original.headers) headers[name] = original.headers[name]!;
  if (context.trace !== undefined) {
    // The next hop (a replay, a DLQ consumer) continues the worker's trace.
    headers.traceparent = context.trace.traceparent;
    if (context.trace.tracestate !== undefined) headers.tracestate = context.trace.tracestate;
    else delete headers.tracestate;
  }
  headers[DLQ_HEADERS.code] = error.code;
  headers[DLQ_HEADERS.retryable] = String(error.retryable);
  headers[DLQ_HEADERS.message] = error.message.length > MAX_REASON_LENGTH ? `${error.message.slice(0, MAX_REASON_LENGTH)}…` : error.message;
  headers[DLQ_HEADERS.stage] = error.stage;
  headers[DLQ_HEADERS.attempts] = String(context.attempts);
  headers[DLQ_HEADERS.firstFailureAt] = new Date(context.firstFailureAt).toISOString();
  headers[DLQ_HEADERS.lastFailureAt] = new Date(context.lastFailureAt).toISOString();
  headers[DLQ_HEADERS.connector] = context.connector;
  headers[DLQ_HEADERS.backend] = context.backend;
  headers[DLQ_HEADERS.model] = context.model;
  if (error.upstreamStatus !== undefined) headers[DLQ_HEADERS.upstreamStatus] = String(error.upstreamStatus);
  if (context.eventId !== undefined) headers[DLQ_HEADERS.eventId] = context.eventId;
  if (original.contentType !== undefined) headers[DLQ_HEADERS.originContentType] = original.contentType;
  if (headers[DLQ_HEADERS.replayCount] === undefined) headers[DLQ_HEADERS.replayCount] = '0';
  const origin = original.origin;
  headers[DLQ_HEADERS.originTransport] = origin.transport;
  if (origin.transport === 'kafka') {
    headers[DLQ_HEADERS.originTopic] = origin.topic;
    headers[DLQ_HEADERS.originPartition] = String(origin.partition);
    headers[DLQ_HEADERS.originOffset] = origin.offset;
    if (origin.timestamp !== undefined) headers[DLQ_HEADERS.originTimestamp] = String(origin.timestamp);
  } else if (origin.transport === 'amqp') {
    headers[DLQ_HEADERS.originExchange] = origin.exchange;
    headers[DLQ_HEADERS.originRoutingKey] = origin.routingKey;
    headers[DLQ_HEADERS.originQueue] = origin.queue;
  } else {
    headers[DLQ_HEADERS.originTopic] = origin.stream;
    headers[DLQ_HEADERS.originOffset] = String(origin.sequence);
  }
  return { key: original.key, value: original.value, headers, contentType: original.contentType };
}
