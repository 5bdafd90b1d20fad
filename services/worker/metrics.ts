/**
 * The worker's Prometheus metrics, registered on an injected registry (never the global one).
 * Labels are bounded: connector, backend, model, code, reason, destination, outcome. What is read at
 * scrape time (readiness, lag, queue depth) is in scrape-metrics.ts.
 */
import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import { FastCounter, FastGauge } from './fast-metrics.ts';
import { FastHistogram } from './histogram.ts';

export interface WorkerMetrics {
  // Updated once or more per event: label sets resolved once, plain numbers read at scrape time.
  readonly consumed: FastCounter;
  readonly succeeded: FastCounter;
  readonly passedThrough: FastCounter;
  readonly deadLettered: Counter<'connector' | 'code'>;
  readonly inFlight: FastGauge;
  readonly inferenceDuration: FastHistogram;
  readonly retries: Counter<'connector' | 'backend' | 'model' | 'code'>;
  readonly breakerState: Gauge<'connector' | 'backend' | 'model'>;
  readonly breakerTransitions: Counter<'connector' | 'backend' | 'model' | 'state'>;
  readonly intakePaused: Gauge<'connector' | 'reason'>;
  readonly intakePauses: Counter<'connector' | 'reason'>;
  readonly publishDuration: FastHistogram;
  readonly publishRetries: Counter<'connector' | 'destination'>;
  /** Receipt to ack, once per event: the latency the worker adds. Observed on the hot path without allocating. */
  readonly eventDuration: FastHistogram;
  readonly batchSize: Histogram<'connector' | 'backend' | 'model'>;
  readonly concurrencyLimit: Gauge<'connector' | 'backend' | 'model'>;
  readonly modelCallsInFlight: FastGauge;
  readonly inFlightBytes: FastGauge;
  readonly fallbackUsed: Counter<'connector' | 'backend' | 'model'>;
  readonly shadowRequests: Counter<'connector' | 'backend' | 'model' | 'outcome'>;
  readonly keyedById: FastCounter;
}

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function createWorkerMetrics(registry: Registry): WorkerMetrics {
  const registers = [registry];
  return {
    consumed: new FastCounter({ name: 'modelbridge_events_consumed_total', help: 'Messages received from the source.', labelNames: ['connector'], registers }),
    succeeded: new FastCounter({ name: 'modelbridge_events_succeeded_total', help: 'Events enriched and published.', labelNames: ['connector'], registers }),
    passedThrough: new FastCounter({
      name: 'modelbridge_events_passed_through_total',
      help: 'Events forwarded unchanged without inference (e.g. Salesforce gap events set to pass through).',
      labelNames: ['connector'],
      registers,
    }),
    deadLettered: new Counter({
      name: 'modelbridge_events_dead_lettered_total',
      help: 'Messages published to the dead-letter destination, by error code.',
      labelNames: ['connector', 'code'],
      registers,
    }),
    inFlight: new FastGauge({ name: 'modelbridge_events_in_flight', help: 'Messages received and not yet acked.', labelNames: ['connector'], registers }),
    inferenceDuration: new FastHistogram({
      name: 'modelbridge_inference_request_duration_seconds',
      help: 'Duration of single inference attempts.',
      labelNames: ['connector', 'backend', 'model', 'outcome'],
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    retries: new Counter({
      name: 'modelbridge_inference_retries_total',
      help: 'Inference retries scheduled, by the error that caused them.',
      labelNames: ['connector', 'backend', 'model', 'code'],
      registers,
    }),
    breakerState: new Gauge({
      name: 'modelbridge_breaker_state',
      help: 'Circuit breaker state: 0 closed, 1 open, 0.5 half-open.',
      labelNames: ['connector', 'backend', 'model'],
      registers,
    }),
    breakerTransitions: new Counter({
      name: 'modelbridge_breaker_transitions_total',
      help: 'Circuit breaker transitions, by the state entered.',
      labelNames: ['connector', 'backend', 'model', 'state'],
      registers,
    }),
    intakePaused: new Gauge({
      name: 'modelbridge_intake_paused',
      help: 'Intake paused (1) or not (0), by reason: backpressure, breaker, draining, failed, operator.',
      labelNames: ['connector', 'reason'],
      registers,
    }),
    intakePauses: new Counter({
      name: 'modelbridge_intake_pauses_total',
      help: 'Times intake was paused, by reason.',
      labelNames: ['connector', 'reason'],
      registers,
    }),
    publishDuration: new FastHistogram({
      name: 'modelbridge_publish_duration_seconds',
      help: 'Time until the broker confirmed a publish.',
      labelNames: ['connector', 'destination'],
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    publishRetries: new Counter({
      name: 'modelbridge_publish_retries_total',
      help: 'Publishes retried after a retryable broker failure.',
      labelNames: ['connector', 'destination'],
      registers,
    }),
    eventDuration: new FastHistogram({
      name: 'modelbridge_event_duration_seconds',
      help: 'Time from receipt to acknowledgement, by outcome (succeeded, passed_through, dead_lettered): the latency the worker adds (decode, wait behind the key, inference with retries, publish).',
      labelNames: ['connector', 'outcome'],
      buckets: [...LATENCY_BUCKETS, 30, 60, 300],
      registers,
    }),
    batchSize: new Histogram({
      name: 'modelbridge_batch_size',
      help: 'Events per inference request (micro-batching).',
      labelNames: ['connector', 'backend', 'model'],
      buckets: [1, 2, 4, 8, 16, 32, 64, 128],
      registers,
    }),
    concurrencyLimit: new Gauge({
      name: 'modelbridge_concurrency_limit',
      help: 'Current limit on concurrent model calls (adaptive when enabled).',
      labelNames: ['connector', 'backend', 'model'],
      registers,
    }),
    modelCallsInFlight: new FastGauge({
      name: 'modelbridge_model_calls_in_flight',
      help: 'Model calls (attempts) in flight; at most concurrency.max (or the adaptive limit).',
      labelNames: ['connector', 'backend', 'model'],
      registers,
    }),
    inFlightBytes: new FastGauge({
      name: 'modelbridge_events_in_flight_bytes',
      help: 'Bytes of message keys and values received and not yet acked (bounded by intake.maxBytes).',
      labelNames: ['connector'],
      registers,
    }),
    fallbackUsed: new Counter({
      name: 'modelbridge_fallback_requests_total',
      help: 'Events answered by the fallback backend while the primary was down.',
      labelNames: ['connector', 'backend', 'model'],
      registers,
    }),
    shadowRequests: new Counter({
      name: 'modelbridge_shadow_requests_total',
      help: 'Shadow backend requests by outcome: agree, disagree (with the primary), error, skipped.',
      labelNames: ['connector', 'backend', 'model', 'outcome'],
      registers,
    }),
    keyedById: new FastCounter({
      name: 'modelbridge_events_keyed_by_id_total',
      help: 'Decoded events whose ordering key fell back to their own event id (no business key, no message key): ordered with no other event.',
      labelNames: ['connector'],
      registers,
    }),
  };
}
