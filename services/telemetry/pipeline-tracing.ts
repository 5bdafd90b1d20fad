/**
 * Tracing of the worker pipeline, behind narrow hooks so the pipeline itself stays free of OpenTelemetry:
 *
 * - `begin()` opens the event's `process` span (kind CONSUMER) as a child of the W3C context the input
 *   carries, and writes the span's context onto the event (`traceparent`, `tracestate`): the model call
 *   and the enriched event continue from there. The span ends when the delivery is acked or nacked.
 * - {@link ConnectorTracing.client} wraps an inference client: one `infer` span (kind CLIENT) per attempt,
 *   whose context goes to the backend.
 * - {@link ConnectorTracing.sink} wraps a sink: one `send` span (kind PRODUCER) per publish attempt.
 * - `failed()` marks the process span as dead-lettered and gives the context to write onto the letter.
 *
 * When tracing is off none of this exists: the worker gets no `ConnectorTracing` and no wrapper.
 *
 * An event the sampler left out costs one non-recording span and its context (still written onto the
 * enriched event and dead letter, with the sampled flag off): no attributes are built, and its model
 * calls and publishes get no span. Their spans would not be recorded either: the configured samplers
 * (parent-based, or by trace id, or always) decide a child as they decided its process span.
 */
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace } from '@opentelemetry/api';
import type { Attributes, Context, Span, SpanContext, Tracer } from '@opentelemetry/api';
import { TraceState, parseTraceParent } from '@opentelemetry/core';
import { ATTR_ERROR_TYPE } from '@opentelemetry/semantic-conventions';
import {
  ATTR_CLOUDEVENTS_EVENT_TYPE,
  ATTR_MESSAGING_CONSUMER_GROUP_NAME,
  ATTR_MESSAGING_DESTINATION_NAME,
  ATTR_MESSAGING_DESTINATION_PARTITION_ID,
  ATTR_MESSAGING_KAFKA_MESSAGE_KEY,
  ATTR_MESSAGING_KAFKA_OFFSET,
  ATTR_MESSAGING_MESSAGE_ID,
  ATTR_MESSAGING_OPERATION_NAME,
  ATTR_MESSAGING_OPERATION_TYPE,
  ATTR_MESSAGING_RABBITMQ_DESTINATION_ROUTING_KEY,
  ATTR_MESSAGING_RABBITMQ_MESSAGE_DELIVERY_TAG,
  ATTR_MESSAGING_SYSTEM,
  MESSAGING_OPERATION_TYPE_VALUE_PROCESS,
  MESSAGING_OPERATION_TYPE_VALUE_SEND,
  MESSAGING_SYSTEM_VALUE_KAFKA,
  MESSAGING_SYSTEM_VALUE_RABBITMQ,
} from '@opentelemetry/semantic-conventions/incubating';
import type { ModelbridgeError } from '../../schemas/errors.ts';
import { findHeader, messageTraceparent } from '../../connectors/decoding/payload.ts';
import type { Delivery, HeaderValue, InboundMessage, InferenceClient, InferOptions, Sink } from '../../connectors/types.ts';
import type { CanonicalEvent } from '../../schemas/event.ts';

/** Attribute names of our own, for what the conventions have no name for. */
export const MODELBRIDGE_ATTRIBUTES = {
  connector: 'modelbridge.connector',
  /** How the event ended: `published` (enriched or passed through), `dead_lettered` or `requeued` (shutdown). */
  outcome: 'modelbridge.outcome',
  stage: 'modelbridge.error.stage',
  backend: 'modelbridge.inference.backend',
  model: 'modelbridge.inference.model',
  modelVersion: 'modelbridge.inference.model_version',
  role: 'modelbridge.inference.role',
  attempt: 'modelbridge.inference.attempt',
  attemptOutcome: 'modelbridge.inference.outcome',
  publishKind: 'modelbridge.publish.kind',
} as const;

/** W3C context written onto an outgoing message. */
export interface TraceHeaders {
  readonly traceparent: string;
  readonly tracestate: string | undefined;
}

/** A connector's ends, as the messaging conventions name them. */
export interface ConnectorDescription {
  readonly connector: string;
  /** The Kafka consumer group; RabbitMQ has none. */
  readonly consumerGroup: string | undefined;
  readonly sinks: Readonly<Record<PublishKind, SinkDescription>>;
}

export type PublishKind = 'enriched' | 'dead_letter';

/** Where a sink publishes. */
export interface SinkDescription {
  readonly system: string;
  /** Kafka: the topic (a message's `destination` overrides it). RabbitMQ: the exchange (`amq.default` for `''`). */
  readonly destination: string;
  /** RabbitMQ: the routing key (a message's `destination` overrides it). */
  readonly routingKey?: string | undefined;
}

/** The hooks one connector's pipeline calls when tracing is on. */
export interface ConnectorTracing {
  /**
   * Opens the process span of one delivery (`event` when it decoded) and returns the delivery to use
   * from now on: its ack/nack end the span. Writes the span's context onto `event`.
   */
  begin(delivery: Delivery, event: CanonicalEvent | undefined): Delivery;
  /** The delivery is being dead-lettered: records why; returns the context to write onto the dead letter. */
  failed(delivery: Delivery, error: ModelbridgeError): TraceHeaders | undefined;
  /** An inference client whose attempts are spans, children of the event's process span. */
  client(client: InferenceClient, role: string): InferenceClient;
  /** A sink whose publishes are spans, children of the context the message carries. */
  sink(sink: Sink, kind: PublishKind): Sink;
}

/** Creates the hooks of one connector over an OpenTelemetry tracer. */
export function createConnectorTracing(tracer: Tracer, description: ConnectorDescription): ConnectorTracing {
  const { connector, consumerGroup } = description;
  // Open process spans by the traceparent they gave the event: an attempt finds its event's span (and
  // counts its attempt number) by the traceparent the client is handed, without a change to the retry loop.
  const open = new Map<string, TracedDelivery>();

  function begin(delivery: Delivery, event: CanonicalEvent | undefined): Delivery {
    const message = delivery.message;
    const parent = parentContext(event?.traceparent ?? messageTraceparent(message), stateOf(event, message));
    // The samplers configured (tracing.ts) decide without the attributes: build them only for a recorded span.
    const span = tracer.startSpan(`process ${destinationOf(message)}`, { kind: SpanKind.CONSUMER }, parent);
    const recording = span.isRecording();
    if (recording) {
      const attributes = consumerAttributes(message, connector, consumerGroup);
      if (event !== undefined) {
        attributes[ATTR_MESSAGING_MESSAGE_ID] = event.id;
        attributes[ATTR_CLOUDEVENTS_EVENT_TYPE] = event.type;
      }
      span.setAttributes(attributes);
    }
    const context = span.spanContext();
    const traced = new TracedDelivery(delivery, span, formatTraceparent(context), context.traceState?.serialize() || undefined, open);
    if (event !== undefined) {
      event.traceparent = traced.headers.traceparent;
      if (traced.headers.tracestate !== undefined) event.tracestate = traced.headers.tracestate;
      else delete event.tracestate;
    }
    if (recording) open.set(traced.headers.traceparent, traced);
    return traced;
  }

  function failed(delivery: Delivery, error: ModelbridgeError): TraceHeaders | undefined {
    if (!(delivery instanceof TracedDelivery)) return undefined;
    delivery.fail(error);
    return delivery.headers;
  }

  function client(inner: InferenceClient, role: string): InferenceClient {
    const fixed: Attributes = {
      [MODELBRIDGE_ATTRIBUTES.connector]: connector,
      [MODELBRIDGE_ATTRIBUTES.backend]: inner.kind,
      [MODELBRIDGE_ATTRIBUTES.model]: inner.model,
      [MODELBRIDGE_ATTRIBUTES.role]: role,
    };
    if (inner.version !== undefined) fixed[MODELBRIDGE_ATTRIBUTES.modelVersion] = inner.version;
    const name = `infer ${inner.model}`;
    return {
      kind: inner.kind,
      model: inner.model,
      version: inner.version,
      async infer(request, options) {
        if (options.traceparent !== undefined && !isSampled(options.traceparent)) return inner.infer(request, options);
        const owner = options.traceparent === undefined ? undefined : open.get(options.traceparent);
        const attributes: Attributes = { ...fixed };
        if (owner !== undefined) attributes[MODELBRIDGE_ATTRIBUTES.attempt] = ++owner.attempts;
        const parent = owner !== undefined ? trace.setSpan(ROOT_CONTEXT, owner.span) : parentContext(options.traceparent, undefined);
        const span = tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes }, parent);
        const traced: InferOptions = { ...options, traceparent: formatTraceparent(span.spanContext()) };
        try {
          const response = await inner.infer(request, traced);
          span.setAttribute(MODELBRIDGE_ATTRIBUTES.attemptOutcome, 'ok');
          return response;
        } catch (error) {
          recordError(span, error);
          span.setAttribute(MODELBRIDGE_ATTRIBUTES.attemptOutcome, errorCode(error));
          throw error;
        } finally {
          span.end();
        }
      },
      ready: (signal) => inner.ready(signal),
      close: () => inner.close(),
    };
  }

  function sink(inner: Sink, kind: PublishKind): Sink {
    const target = description.sinks[kind];
    const kafka = target.system === MESSAGING_SYSTEM_VALUE_KAFKA;
    return {
      kind: inner.kind,
      async publish(message) {
        const traceparent = headerString(message.headers.traceparent);
        if (traceparent !== undefined && !isSampled(traceparent)) return inner.publish(message);
        const destination = kafka ? (message.destination ?? target.destination) : target.destination;
        const attributes: Attributes = {
          [ATTR_MESSAGING_SYSTEM]: target.system,
          [ATTR_MESSAGING_DESTINATION_NAME]: destination,
          [ATTR_MESSAGING_OPERATION_TYPE]: MESSAGING_OPERATION_TYPE_VALUE_SEND,
          [ATTR_MESSAGING_OPERATION_NAME]: 'send',
          [MODELBRIDGE_ATTRIBUTES.connector]: connector,
          [MODELBRIDGE_ATTRIBUTES.publishKind]: kind,
        };
        if (kafka && message.key !== null) attributes[ATTR_MESSAGING_KAFKA_MESSAGE_KEY] = message.key.toString();
        if (target.routingKey !== undefined) attributes[ATTR_MESSAGING_RABBITMQ_DESTINATION_ROUTING_KEY] = message.destination ?? target.routingKey;
        const owner = traceparent === undefined ? undefined : open.get(traceparent);
        const parent = owner !== undefined ? trace.setSpan(ROOT_CONTEXT, owner.span) : parentContext(traceparent, headerString(message.headers.tracestate));
        const span = tracer.startSpan(`send ${destination}`, { kind: SpanKind.PRODUCER, attributes }, parent);
        try {
          await inner.publish(message);
        } catch (error) {
          recordError(span, error);
          throw error;
        } finally {
          span.end();
        }
      },
      start: () => inner.start(),
      status: () => inner.status(),
      close: () => inner.close(),
    };
  }

  return { begin, failed, client, sink };
}

/** A delivery whose settlement ends its process span. */
class TracedDelivery implements Delivery {
  readonly inner: Delivery;
  readonly span: Span;
  readonly headers: TraceHeaders;
  /** Inference attempts made for this event so far. */
  attempts = 0;
  private outcome = 'published';
  private readonly open: Map<string, TracedDelivery>;

  constructor(inner: Delivery, span: Span, traceparent: string, tracestate: string | undefined, open: Map<string, TracedDelivery>) {
    this.inner = inner;
    this.span = span;
    this.headers = { traceparent, tracestate };
    this.open = open;
  }

  get message(): InboundMessage {
    return this.inner.message;
  }

  get lane(): string {
    return this.inner.lane;
  }

  get receivedAt(): number {
    return this.inner.receivedAt;
  }

  fail(error: ModelbridgeError): void {
    this.outcome = 'dead_lettered';
    this.span.setAttribute(MODELBRIDGE_ATTRIBUTES.stage, error.stage);
    recordError(this.span, error);
  }

  ack(): void {
    this.inner.ack();
    this.end(this.outcome);
  }

  nack(): void {
    this.inner.nack();
    this.end('requeued');
  }

  private end(outcome: string): void {
    this.open.delete(this.headers.traceparent);
    this.span.setAttribute(MODELBRIDGE_ATTRIBUTES.outcome, outcome);
    this.span.end();
  }
}

function consumerAttributes(message: InboundMessage, connector: string, consumerGroup: string | undefined): Attributes {
  const origin = message.origin;
  const attributes: Attributes = {
    [ATTR_MESSAGING_OPERATION_TYPE]: MESSAGING_OPERATION_TYPE_VALUE_PROCESS,
    [ATTR_MESSAGING_OPERATION_NAME]: 'process',
    [MODELBRIDGE_ATTRIBUTES.connector]: connector,
  };
  if (origin.transport === 'kafka') {
    attributes[ATTR_MESSAGING_SYSTEM] = MESSAGING_SYSTEM_VALUE_KAFKA;
    attributes[ATTR_MESSAGING_DESTINATION_NAME] = origin.topic;
    attributes[ATTR_MESSAGING_DESTINATION_PARTITION_ID] = String(origin.partition);
    attributes[ATTR_MESSAGING_KAFKA_OFFSET] = Number(origin.offset);
    if (message.key !== null) attributes[ATTR_MESSAGING_KAFKA_MESSAGE_KEY] = message.key.toString();
    if (consumerGroup !== undefined) attributes[ATTR_MESSAGING_CONSUMER_GROUP_NAME] = consumerGroup;
  } else if (origin.transport === 'amqp') {
    attributes[ATTR_MESSAGING_SYSTEM] = MESSAGING_SYSTEM_VALUE_RABBITMQ;
    attributes[ATTR_MESSAGING_DESTINATION_NAME] = origin.queue;
    attributes[ATTR_MESSAGING_RABBITMQ_DESTINATION_ROUTING_KEY] = origin.routingKey;
    attributes[ATTR_MESSAGING_RABBITMQ_MESSAGE_DELIVERY_TAG] = origin.deliveryTag;
  } else {
    attributes[ATTR_MESSAGING_SYSTEM] = 'memory';
    attributes[ATTR_MESSAGING_DESTINATION_NAME] = origin.stream;
  }
  return attributes;
}

function destinationOf(message: InboundMessage): string {
  const origin = message.origin;
  return origin.transport === 'kafka' ? origin.topic : origin.transport === 'amqp' ? origin.queue : origin.stream;
}

/** `tracestate` of the input: the CloudEvent's attribute, else the transport header. */
function stateOf(event: CanonicalEvent | undefined, message: InboundMessage): string | undefined {
  const attribute = event?.tracestate;
  if (typeof attribute === 'string') return attribute;
  return headerString(findHeader(message.headers, 'tracestate'));
}

function headerString(value: HeaderValue | undefined): string | undefined {
  return value === undefined ? undefined : typeof value === 'string' ? value : value.toString('latin1');
}

/** The context to start a span under: the remote parent, or the root (a new trace) when there is none. */
function parentContext(traceparent: string | undefined, tracestate: string | undefined): Context {
  if (traceparent === undefined) return ROOT_CONTEXT;
  const parsed = parseTraceParent(traceparent);
  if (parsed === null) return ROOT_CONTEXT;
  const remote: SpanContext = { ...parsed, isRemote: true };
  if (tracestate !== undefined && tracestate !== '') remote.traceState = new TraceState(tracestate);
  return trace.setSpanContext(ROOT_CONTEXT, remote);
}

/** True when a W3C `traceparent` has the sampled flag (its last hex digit is odd); one that does not parse counts as sampled. */
function isSampled(traceparent: string): boolean {
  if (traceparent.length !== 55) return true;
  const last = traceparent.charCodeAt(54);
  // '0'..'9' → 48..57, 'a'..'f' → 97..102: the digit's low bit is the code's low bit, offset by one for letters.
  return last >= 97 ? (last & 1) === 0 : (last & 1) === 1;
}

/** A span's W3C `traceparent`. */
export function formatTraceparent(context: SpanContext): string {
  return `00-${context.traceId}-${context.spanId}-0${(context.traceFlags & TraceFlags.SAMPLED).toString(16)}`;
}

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : error instanceof Error ? error.name : 'unknown';
}

function recordError(span: Span, error: unknown): void {
  const code = errorCode(error);
  span.setAttribute(ATTR_ERROR_TYPE, code);
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}
