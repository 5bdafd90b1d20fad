/**
 * One connector's runtime: source → size check → decode → (per-key lane) map → infer → map back →
 * publish enriched event or dead letter → ack. A delivery is acked only after what it produced was
 * durably accepted by the broker; on shutdown what is unfinished is nacked and comes back later.
 */
import type { Logger } from 'pino';
import { ModelbridgeError, toModelbridgeError } from '../../schemas/errors.ts';
import type { Decoder, Delivery, InferenceClient, InboundMessage, OutboundMessage, Sink, Source, SourceBacklog } from '../../connectors/types.ts';
import type { ConnectorConfig } from '../../schemas/connector-config.ts';
import type { CompiledMappings } from '../../schemas/mapping.ts';
import type { CanonicalEvent } from '../../schemas/event.ts';
import type { ConnectorTracing } from '../telemetry/pipeline-tracing.ts';
import { backoffDelay, sleep } from './backoff.ts';
import { ACK, decide } from './fate.ts';
import type { Fate } from './fate.ts';
import type { BreakerState } from './guarded-backend.ts';
import type { HistogramSeries } from './histogram.ts';
import { createInference } from './inference.ts';
import type { InferenceResult } from './inference.ts';
import { createKeyedExecutor } from './key-executor.ts';
import { CLOUDEVENTS_JSON, buildDeadLetter, buildEnrichedMessage, structuredHeaders } from './messages.ts';
import type { WorkerMetrics } from './metrics.ts';

export type ConnectorState = 'created' | 'starting' | 'waiting-for-model' | 'running' | 'draining' | 'stopped' | 'failed';
/** `operator`: paused through the control API; only the operator's resume lifts it. */
export type PauseReason = 'backpressure' | 'breaker' | 'draining' | 'failed' | 'operator';

export interface ConnectorDeps {
  readonly source: Source;
  readonly sink: Sink;
  readonly deadLetter: Sink;
  readonly decoder: Decoder;
  readonly client: InferenceClient;
  /** Clients of `inference.fallback` and `inference.shadow`, when configured. */
  readonly fallbackClient?: InferenceClient | undefined;
  readonly shadowClient?: InferenceClient | undefined;
  readonly logger: Logger;
  readonly metrics: WorkerMetrics;
  /** Present when tracing is on; the clients and sinks above are then traced already. */
  readonly tracing?: ConnectorTracing | undefined;
}

export interface ConnectorStatus {
  readonly name: string;
  readonly state: ConnectorState;
  readonly inFlight: number;
  readonly paused: readonly PauseReason[];
  readonly breaker: BreakerState;
  readonly source: ReturnType<Source['status']>;
  readonly sinkConnected: boolean;
  readonly deadLetterConnected: boolean;
}

/** The last message this connector dead-lettered, for operators. */
export interface LastError {
  readonly code: string;
  readonly message: string;
  readonly stage: string | undefined;
  readonly at: string;
}

/** A read-only view for the control API: the status plus what takes a look outside (model, broker). */
export interface ConnectorSnapshot extends ConnectorStatus {
  readonly backend: { readonly kind: string; readonly model: string; readonly ready: boolean | undefined };
  readonly concurrency: { readonly limit: number; readonly max: number };
  readonly backlog: SourceBacklog;
  readonly lastError: LastError | undefined;
}

export interface ConnectorRuntime {
  readonly name: string;
  start(): Promise<void>;
  /** Stop intake, drain for up to `graceMs`, then abort what is left (nacked) and disconnect. */
  close(graceMs: number): Promise<void>;
  status(): ConnectorStatus;
  /** True when running with connected source and sinks and a closed breaker. */
  ready(): boolean;
  /** Operator pause: holds intake until {@link resumeByOperator}. False when the connector is stopping or stopped. */
  pauseByOperator(): boolean;
  resumeByOperator(): boolean;
  /** Status plus a bounded readiness probe of the model and the source's backlog. Never throws. */
  snapshot(signal: AbortSignal): Promise<ConnectorSnapshot>;
}

/** Receipt to settlement, for the added-latency histogram. */
function secondsSinceReceipt(delivery: Delivery): number {
  return (performance.now() - delivery.receivedAt) / 1000;
}

const PAUSE_REASONS: readonly PauseReason[] = ['backpressure', 'breaker', 'draining', 'failed', 'operator'];

/** A connector's configuration; `mappings` are those compiled when it was loaded (compiled here when absent). */
export type ConnectorRuntimeConfig = ConnectorConfig & { readonly mappings?: CompiledMappings | undefined };

export function createConnector(config: ConnectorRuntimeConfig, deps: ConnectorDeps): ConnectorRuntime {
  const { source, sink, deadLetter: deadLetterSink, decoder, client, metrics, tracing } = deps;
  const passThrough = decoder.passThrough?.bind(decoder);
  const name = config.name;
  const logger = deps.logger.child({ connector: name });
  const backendKind = config.inference.backend.kind;
  const model = config.inference.backend.model;
  const lifecycle = new AbortController();
  const executor = createKeyedExecutor();
  // Per key, the model call runs in `executor` and the publish that follows it in `publishes`: the next
  // event of a key calls the model while the previous one is still being confirmed, and publishes after it.
  const publishes = createKeyedExecutor();
  // The buffer (received, not yet acked) is bounded apart from model calls in flight (the limiter, at
  // concurrency.max): events waiting behind their key must not take the call slots other keys could use.
  const maxEvents = config.intake.maxEvents ?? Math.max(1024, 4 * config.inference.concurrency.max);
  const maxBytes = config.intake.maxBytes;
  // Resume at three quarters: draining to half before refilling left the model idle in bursts.
  const resumeEvents = Math.floor(maxEvents * 0.75);
  const resumeBytes = Math.floor(maxBytes * 0.75);
  const maxMessageBytes = config.source.maxMessageBytes;
  const enrichOptions = { source: config.enriched.source ?? `/modelbridge/${name}`, type: config.enriched.type };

  // Label children resolved once: the hot path does no label lookups.
  const consumed = metrics.consumed.labels(name);
  const keyedById = metrics.keyedById.labels(name);
  const passedThrough = metrics.passedThrough.labels(name);
  const succeeded = metrics.succeeded.labels(name);
  const inFlightGauge = metrics.inFlight.labels(name);
  const inFlightBytesGauge = metrics.inFlightBytes.labels(name);
  // Publish durations: resolved at the first confirmed publish of each, as prom-client showed a series once observed.
  const enrichedPublish = metrics.publishDuration.lazyLabels(name, 'enriched');
  const deadLetterPublish = metrics.publishDuration.lazyLabels(name, 'dead_letter');
  const succeededDuration = metrics.eventDuration.labels(name, 'succeeded');
  const passedThroughDuration = metrics.eventDuration.labels(name, 'passed_through');
  const deadLetteredDuration = metrics.eventDuration.labels(name, 'dead_lettered');

  let state: ConnectorState = 'created';
  let inFlight = 0;
  let inFlightBytes = 0;
  const pauseReasons = new Set<PauseReason>();
  let drained: PromiseWithResolvers<void> | undefined;
  let closing: Promise<void> | undefined;
  let lastError: LastError | undefined;

  const inference = createInference(config.inference, {
    connector: name,
    clients: { primary: client, fallback: deps.fallbackClient, shadow: deps.shadowClient },
    lifecycle: lifecycle.signal,
    metrics,
    logger,
    mappings: config.mappings,
    onAvailability(down) {
      if (down) pause('breaker');
      else unpause('breaker');
    },
  });
  for (const reason of PAUSE_REASONS) metrics.intakePaused.set({ connector: name, reason }, 0);

  // The source is paused exactly while some reason holds.
  function pause(reason: PauseReason): void {
    if (pauseReasons.has(reason)) return;
    pauseReasons.add(reason);
    metrics.intakePaused.set({ connector: name, reason }, 1);
    metrics.intakePauses.inc({ connector: name, reason });
    if (pauseReasons.size === 1) source.pause();
  }

  function unpause(reason: PauseReason): void {
    if (!pauseReasons.delete(reason)) return;
    metrics.intakePaused.set({ connector: name, reason }, 0);
    if (pauseReasons.size === 0) source.resume();
  }

  function settle(delivery: Delivery, ok: boolean): void {
    if (ok) delivery.ack();
    else delivery.nack();
    inFlight--;
    inFlightBytes -= sizeOf(delivery.message);
    inFlightGauge.dec();
    inFlightBytesGauge.set(inFlightBytes);
    if (inFlight <= resumeEvents && inFlightBytes <= resumeBytes && pauseReasons.has('backpressure')) unpause('backpressure');
    if (inFlight === 0) drained?.resolve();
  }

  function onDelivery(received: Delivery): void {
    const message = received.message;
    inFlight++;
    inFlightBytes += sizeOf(message);
    inFlightGauge.inc();
    inFlightBytesGauge.set(inFlightBytes);
    consumed.inc();
    if (inFlight >= maxEvents || inFlightBytes >= maxBytes) pause('backpressure');
    const decoded = decode(message);
    const failed = decoded instanceof ModelbridgeError;
    // With tracing on, the event now carries its process span's context (for the model call and the enriched event).
    const delivery = tracing === undefined ? received : tracing.begin(received, failed ? undefined : decoded);
    if (failed) {
      void carryOut(delivery, decide({ at: 'receive', error: decoded }), decoded, undefined);
      return;
    }
    const event = decoded;
    if ((event.partitionkey ?? (message.key === null ? event.id : undefined)) === event.id) keyedById.inc();
    if (config.ordering === 'none') {
      void processEvent(delivery, event, undefined);
      return;
    }
    const key = config.ordering === 'partition' ? delivery.lane : `${delivery.lane}\u0000${orderingKey(message, event)}`;
    executor.submit(key, () => processEvent(delivery, event, key));
  }

  /** The canonical event, or why there is none (too large, undecodable). */
  function decode(message: InboundMessage): CanonicalEvent | ModelbridgeError {
    if (message.value !== null && message.value.length > maxMessageBytes) {
      return new ModelbridgeError('MESSAGE_TOO_LARGE', `message of ${message.value.length} bytes exceeds maxMessageBytes ${maxMessageBytes}`);
    }
    try {
      return decoder.decode(message);
    } catch (thrown) {
      return toModelbridgeError(thrown, 'decode');
    }
  }

  /**
   * Resolves once the model answered and the outcome's publish is queued behind the key's earlier ones.
   * Never rejects: a bug anywhere below dead-letters the message as INTERNAL instead of stalling it.
   */
  async function processEvent(delivery: Delivery, event: CanonicalEvent, key: string | undefined): Promise<void> {
    // The enriched event is built as soon as the model answered (its `time`), before its publish waits.
    let result: InferenceResult | typeof FORWARD | undefined;
    let enriched: OutboundMessage | undefined;
    let thrown: unknown;
    try {
      if (passThrough?.(event)) result = FORWARD;
      else {
        result = await inference.run(event);
        if (result.ok) enriched = buildEnrichedMessage(event, delivery.message, result.output, result.provenance, enrichOptions);
      }
    } catch (error) {
      result = undefined;
      thrown = error;
    }
    if (key === undefined) void publishOutcome(delivery, event, result, enriched, thrown);
    else publishes.submit(key, () => publishOutcome(delivery, event, result, enriched, thrown));
  }

  /** Publishes what processing produced (`result` undefined: it threw `thrown`). Never rejects. */
  async function publishOutcome(
    delivery: Delivery,
    event: CanonicalEvent,
    result: InferenceResult | typeof FORWARD | undefined,
    enriched: OutboundMessage | undefined,
    thrown: unknown,
  ): Promise<void> {
    try {
      if (result === undefined) return await unexpected(delivery, event, thrown);
      if (result === FORWARD) return await forward(delivery, event);
      if (!result.ok) return await carryOut(delivery, decide({ at: 'process', error: result.error }), result.error, event, result);
      const { fate, error } = await publishDurably(sink, enriched!, enrichedPublish, 'enriched');
      if (fate !== ACK) return await carryOut(delivery, fate, error, event, { attempts: result.provenance.attempts });
      // carryOut's ack, without its async frame: the path of nearly every event.
      succeeded.inc();
      succeededDuration.observe(secondsSinceReceipt(delivery));
      return settle(delivery, true);
    } catch (error) {
      return unexpected(delivery, event, error);
    }
  }

  function unexpected(delivery: Delivery, event: CanonicalEvent, thrown: unknown): Promise<void> {
    logger.error({ err: thrown, eventId: event.id, traceparent: event.traceparent }, 'unexpected error while processing an event');
    const error = toModelbridgeError(thrown);
    return carryOut(delivery, decide({ at: 'process', error }), error, event);
  }

  /** Forwards the event unchanged (a structured CloudEvent, same key) without calling the model. */
  async function forward(delivery: Delivery, event: CanonicalEvent): Promise<void> {
    const message = { key: delivery.message.key ?? event.partitionkey ?? null, value: JSON.stringify(event), headers: structuredHeaders(event), contentType: CLOUDEVENTS_JSON };
    const { fate, error } = await publishDurably(sink, message, enrichedPublish, 'enriched');
    if (fate === ACK) {
      passedThrough.inc();
      passedThroughDuration.observe(secondsSinceReceipt(delivery));
    }
    return carryOut(delivery, fate, error, event);
  }

  /**
   * Carries out what `decide()` gave a delivery: the one place where a delivery is acked, handed back
   * for redelivery or dead-lettered, and where a refusing dead-letter destination stops intake.
   */
  async function carryOut(delivery: Delivery, fate: Fate, error: ModelbridgeError | undefined, event: CanonicalEvent | undefined, tries?: Tries): Promise<void> {
    switch (fate.action) {
      case 'ack':
        return settle(delivery, true);
      case 'dead-letter':
        return deadLetter(delivery, error ?? new ModelbridgeError('INTERNAL', 'dead-lettered without a reason'), event, tries);
      case 'stop':
        logger.error({ err: error, eventId: event?.id }, 'dead-letter destination refused the message; connector stops intake');
        state = 'failed';
        pause('failed');
        return settle(delivery, false);
      default:
        // redeliver (and, defensively, any fate that is not the connector's to carry out).
        return settle(delivery, false);
    }
  }

  async function deadLetter(delivery: Delivery, error: ModelbridgeError, event: CanonicalEvent | undefined, tries: Tries = { attempts: 0 }): Promise<void> {
    const now = Date.now();
    lastError = { code: error.code, message: error.message, stage: error.stage, at: new Date(now).toISOString() };
    metrics.deadLettered.inc({ connector: name, code: error.code });
    const trace = tracing?.failed(delivery, error);
    logger.warn(
      { eventId: event?.id, traceparent: trace?.traceparent ?? event?.traceparent, code: error.code, stage: error.stage, attempts: tries.attempts, origin: delivery.message.origin },
      `dead-lettering: ${error.message}`,
    );
    const letter = buildDeadLetter(delivery.message, error, {
      connector: name,
      backend: backendKind,
      model,
      attempts: tries.attempts,
      firstFailureAt: tries.firstFailureAt ?? now,
      lastFailureAt: tries.lastFailureAt ?? now,
      eventId: event?.id,
      trace,
    });
    const published = await publishDurably(deadLetterSink, letter, deadLetterPublish, 'dead-letter');
    if (published.fate === ACK) deadLetteredDuration.observe(secondsSinceReceipt(delivery));
    return carryOut(delivery, published.fate, published.error, event);
  }

  /**
   * Publishes until the broker confirms (`ack`), with the configured backoff; what else can happen is
   * `decide()`'s: a refusal for good, or shutdown.
   */
  async function publishDurably(target: Sink, message: OutboundMessage, duration: () => HistogramSeries, destination: 'enriched' | 'dead-letter'): Promise<Published> {
    const metricDestination = destination === 'dead-letter' ? 'dead_letter' : destination;
    for (let attempt = 1; ; attempt++) {
      const started = performance.now();
      try {
        await target.publish(message);
        duration().observe((performance.now() - started) / 1000);
        return PUBLISHED;
      } catch (thrown) {
        const error = toModelbridgeError(thrown, 'publish');
        const fate = decide({ at: 'publish', error, destination, shuttingDown: lifecycle.signal.aborted });
        if (fate.action !== 'retry') return { fate, error };
        metrics.publishRetries.inc({ connector: name, destination: metricDestination });
        logger.warn({ err: error, destination: metricDestination, attempt }, 'publish failed; retrying');
        try {
          await sleep(backoffDelay(config.publish, attempt, error.retryAfterMs), lifecycle.signal);
        } catch {
          return { fate: decide({ at: 'publish', error, destination, shuttingDown: true }), error };
        }
      }
    }
  }

  async function waitForModel(): Promise<void> {
    for (let attempt = 1; !lifecycle.signal.aborted; attempt++) {
      if (await inference.ready(AbortSignal.any([lifecycle.signal, AbortSignal.timeout(config.inference.timeoutMs)]))) return;
      if (attempt === 1) logger.warn({ backend: backendKind, model }, 'model not ready; waiting before consuming');
      // Shutdown while waiting is not a start failure: start() returns and close() proceeds.
      await sleep(backoffDelay(config.inference.waitForModel, attempt), lifecycle.signal).catch(() => undefined);
    }
  }

  async function start(): Promise<void> {
    if (state !== 'created') throw new Error(`connector ${name} cannot start from state ${state}`);
    state = 'starting';
    await Promise.all([sink.start(), deadLetterSink.start()]);
    state = 'waiting-for-model';
    await waitForModel();
    if (lifecycle.signal.aborted) return;
    await source.start(onDelivery, { maxEvents });
    state = 'running';
    logger.info({ source: config.source.kind, sink: config.sink.kind, backend: backendKind, model }, 'connector running');
  }

  async function shutdown(graceMs: number): Promise<void> {
    if (state !== 'failed') state = 'draining';
    pause('draining');
    if (inFlight > 0) {
      drained = Promise.withResolvers<void>();
      const timer = setTimeout(() => drained?.resolve(), graceMs);
      await drained.promise;
      clearTimeout(timer);
      if (inFlight > 0) logger.warn({ inFlight }, 'grace period over; aborting what is left (it will be redelivered)');
    }
    lifecycle.abort(new ModelbridgeError('ABORTED', 'connector is shutting down'));
    if (inFlight > 0) {
      // Aborted work settles (nacks) promptly; bound the wait anyway.
      drained = Promise.withResolvers<void>();
      const timer = setTimeout(() => drained?.resolve(), 5000);
      await drained.promise;
      clearTimeout(timer);
    }
    const failures: unknown[] = [];
    // Source first so it commits what was acked; then producers; the model client last.
    for (const [what, step] of [
      ['source', () => source.close()],
      ['sink', () => sink.close()],
      ['dead-letter sink', () => deadLetterSink.close()],
      ['inference clients', () => inference.close()],
    ] as const) {
      try {
        await step();
      } catch (error) {
        failures.push(error);
        logger.error({ err: error }, `closing ${what} failed`);
      }
    }
    if (state !== 'failed') state = 'stopped';
    logger.info({ inFlight }, 'connector stopped');
    if (failures.length > 0) throw new AggregateError(failures, `connector ${name}: ${failures.length} close step(s) failed`);
  }

  function status(): ConnectorStatus {
    return {
      name,
      state,
      inFlight,
      paused: [...pauseReasons],
      breaker: inference.state,
      source: source.status(),
      sinkConnected: sink.status().connected,
      deadLetterConnected: deadLetterSink.status().connected,
    };
  }

  function stopping(): boolean {
    return state === 'draining' || state === 'stopped' || state === 'failed';
  }

  async function snapshot(signal: AbortSignal): Promise<ConnectorSnapshot> {
    const [ready, backlog] = await Promise.all([
      inference.ready(signal).catch(() => false),
      source.backlog?.().catch((error: unknown) => {
        logger.debug({ err: error }, 'backlog not available');
        return {};
      }) ?? {},
    ]);
    return {
      ...status(),
      backend: { kind: backendKind, model, ready: signal.aborted ? undefined : ready },
      concurrency: { limit: inference.concurrencyLimit, max: config.inference.concurrency.max },
      backlog,
      lastError,
    };
  }

  return {
    name,
    start,
    close(graceMs) {
      closing ??= shutdown(graceMs);
      return closing;
    },
    status,
    snapshot,
    pauseByOperator() {
      if (stopping()) return false;
      pause('operator');
      logger.info('intake paused by an operator');
      return true;
    },
    resumeByOperator() {
      if (stopping()) return false;
      unpause('operator');
      logger.info('intake resumed by an operator');
      return true;
    },
    ready() {
      return state === 'running' && inference.available && source.status().connected && sink.status().connected && deadLetterSink.status().connected;
    },
  };
}

/** Inference attempts behind a dead letter, and when the first and last failed. */
interface Tries {
  readonly attempts: number;
  readonly firstFailureAt?: number | undefined;
  readonly lastFailureAt?: number | undefined;
}

/** How a publish ended: confirmed (`ack`), or the fate `decide()` gave its failure. */
interface Published {
  readonly fate: Fate;
  readonly error?: ModelbridgeError;
}

const PUBLISHED: Published = { fate: ACK };

/** Processing result of an event forwarded without calling the model. */
const FORWARD = Symbol('forward');

/** Bytes a buffered message holds: its key and value (headers are small and bounded by the transport). */
function sizeOf(message: InboundMessage): number {
  return (message.key?.length ?? 0) + (message.value?.length ?? 0);
}

function orderingKey(message: InboundMessage, event: CanonicalEvent): string {
  if (event.partitionkey !== undefined) return event.partitionkey;
  if (message.key !== null) return message.key.toString('latin1');
  return event.id;
}
