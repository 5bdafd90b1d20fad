/**
 * One replay job's loop: read, select, rate-limit, publish, and only after the target broker confirmed
 * the publish remove the dead letter (AMQP ack / Kafka position). Up to {@link WINDOW} publishes are in
 * flight, which also bounds the duplicates a crash can cause.
 */
import type { Logger } from 'pino';
import { ModelbridgeError } from '../../schemas/errors.ts';
import type { ConnectorRegistry } from '../../connectors/registry.ts';
import type { DeadLetterReader, Sink, StoredDeadLetter } from '../../connectors/types.ts';
import { rabbitmqRoutingKey } from '../../schemas/connector-config.ts';
import type { SinkConfig } from '../../schemas/connector-config.ts';
import { buildParkedMessage, buildReplayMessage, replayCountOf } from './bookkeeping.ts';
import type { MessagePredicate } from './filter.ts';
import { createRateLimiter } from './limiter.ts';
import type { ReplayMetrics, ReplayOutcome } from './metrics.ts';
import type { ReplayPlan, Route } from './plan.ts';
import type { ReplayRequest } from './types.ts';

/** Publishes in flight at most. */
export const WINDOW = 32;

/** Mutable counters of a running job; the service snapshots them. */
export interface Counters {
  scanned: number;
  matched: number;
  moved: number;
  skipped: number;
  parked: number;
  failed: number;
  total: number | undefined;
}

export interface JobRun {
  readonly id: string;
  readonly request: ReplayRequest;
  readonly plan: ReplayPlan;
  readonly predicate: MessagePredicate;
  readonly registry: ConnectorRegistry;
  readonly logger: Logger;
  readonly metrics: ReplayMetrics;
  readonly counters: Counters;
  /** Aborted by cancel: stop reading, let publishes in flight finish. */
  readonly signal: AbortSignal;
}

/** Where a message past the replay cap goes: the parking lot sink, addressed as its own publishes are. */
export function parkingRoute(sink: SinkConfig): Route {
  // A RabbitMQ parking lot named only by its queue publishes to that queue through the default exchange.
  const destination = sink.kind === 'kafka' ? sink.topic : sink.kind === 'memory' ? sink.stream : rabbitmqRoutingKey(sink);
  return { sink, destination };
}

/** Resolves `false` once `signal` aborts. */
function whenAborted(signal: AbortSignal): Promise<false> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve(false);
    else signal.addEventListener('abort', () => resolve(false), { once: true });
  });
}

/** Runs the job to its end, cancel or first unrecoverable error (thrown after the in-flight publishes settled). */
export async function runJob(run: JobRun): Promise<void> {
  const { request, plan, counters, logger, signal } = run;
  const connector = plan.connector.name;
  const count = (outcome: ReplayOutcome): void => run.metrics.messages.inc({ connector, outcome });
  const limiter = createRateLimiter(request.rate);
  const sinks = new Map<string, { readonly sink: Sink; readonly ready: Promise<void> }>();
  const inflight = new Set<Promise<void>>();
  let stop: unknown;

  /** One sink per distinct target, connected before its first message takes a rate slot. */
  function sinkFor(config: SinkConfig): { readonly sink: Sink; readonly ready: Promise<void> } {
    const key = JSON.stringify(config);
    let entry = sinks.get(key);
    if (!entry) {
      const sink = run.registry.createSink(config, logger);
      entry = { sink, ready: sink.start() };
      // Observed here so that a failed connect is not an unhandled rejection before it is awaited.
      entry.ready.catch(() => undefined);
      sinks.set(key, entry);
    }
    return entry;
  }

  function publish(entry: StoredDeadLetter, route: Route, parking: boolean): void {
    const message = parking ? buildParkedMessage(entry.message, run.id, new Date()) : buildReplayMessage(entry.message, run.id, route.destination);
    const { sink } = sinkFor(route.sink);
    const done = sink.publish(parking ? { ...message, destination: route.destination } : message).then(
      () => {
        entry.remove();
        if (parking) counters.parked++;
        else counters.moved++;
        count(parking ? 'parked' : 'moved');
      },
      (error: unknown) => {
        counters.failed++;
        count('failed');
        const retryable = !(error instanceof ModelbridgeError) || error.retryable;
        logger.warn({ err: error, position: entry.position, retryable }, 'replay publish failed; the dead letter stays');
        // A message the target refuses for good (too large, unroutable) stays and the job goes on; a
        // broker failure stops the job, leaving the message unsettled so a rerun reads it again.
        if (retryable) stop ??= error;
        else entry.keep();
      },
    );
    const tracked = done.finally(() => inflight.delete(tracked));
    inflight.add(tracked);
  }

  const cancelled = whenAborted(signal);
  const reached = (): boolean => request.max !== undefined && counters.moved + counters.parked + inflight.size >= request.max;
  let reader: DeadLetterReader | undefined;
  try {
    reader = await run.registry.createDeadLetterStore(plan.store, logger).open({ kind: 'consume', group: `modelbridge-replay-${run.id}` });
    counters.total = reader.total;
    while (!signal.aborted && stop === undefined && !reached()) {
      const entry = await reader.next(signal).catch((error: unknown) => {
        if (signal.aborted) return undefined;
        throw error;
      });
      if (!entry) break;
      counters.scanned++;
      if (!(await run.predicate(entry.message))) {
        entry.keep();
        count('not_matched');
        continue;
      }
      counters.matched++;
      const parking = replayCountOf(entry.message.headers) >= plan.maxReplays;
      const route = parking ? parkingRoute(plan.parkingLot) : plan.route(entry.message);
      if ('refused' in route) {
        logger.warn({ position: entry.position, reason: route.refused }, 'dead letter not replayable; it stays');
        counters.skipped++;
        count('skipped');
        entry.keep();
        continue;
      }
      // A sink that cannot connect (RabbitMQ retries forever) must not outlive a cancel.
      if (!(await Promise.race([sinkFor(route.sink).ready.then(() => true), cancelled]))) break;
      // A cancel while waiting for a slot leaves the message unsettled: it stays, and a rerun reads it.
      const slotted = await limiter.take(signal).then(
        () => true,
        () => false,
      );
      if (!slotted) break;
      while (inflight.size >= WINDOW) await Promise.race(inflight);
      publish(entry, route, parking);
    }
  } finally {
    await Promise.allSettled(inflight);
    const closing = await Promise.allSettled([reader?.close(), ...[...sinks.values()].map((s) => s.sink.close())]);
    for (const result of closing) if (result.status === 'rejected') logger.error({ err: result.reason }, 'closing after a replay job failed');
  }
  if (stop !== undefined) throw stop;
}
