/**
 * Everything between a decoded event and its mapped output: request mapping, the primary backend behind
 * its breaker and retries (optionally micro-batched and under an adaptive concurrency limit), the
 * fallback backend while the primary is down, response mapping, and the shadow backend on the side.
 */
import type { Logger } from 'pino';
import { ModelbridgeError, toModelbridgeError } from '../../schemas/errors.ts';
import type { InferenceClient, InferenceRequest, InferenceResponse } from '../../connectors/types.ts';
import type { BackendConfig, InferenceConfig } from '../../schemas/connector-config.ts';
import type { CanonicalEvent, Provenance } from '../../schemas/event.ts';
import { createBatcher, splitOutputs, stackInputs } from './batcher.ts';
import type { Batcher } from './batcher.ts';
import { decide } from './fate.ts';
import { createGuardedBackend } from './guarded-backend.ts';
import type { BreakerState, GuardedBackend, GuardedInferOptions, InferOutcome } from './guarded-backend.ts';
import { createConcurrencyLimiter, createFixedLimiter } from './limiter.ts';
import type { ConcurrencyLimiter } from './limiter.ts';
import { compileMappings } from '../../schemas/mapping.ts';
import type { CompiledMapping, CompiledMappings, RouteMappings } from '../../schemas/mapping.ts';
import type { WorkerMetrics } from './metrics.ts';

export type InferenceResult =
  | { readonly ok: true; readonly output: Record<string, unknown>; readonly provenance: Provenance }
  | { readonly ok: false; readonly error: ModelbridgeError; readonly attempts: number; readonly firstFailureAt?: number; readonly lastFailureAt?: number };

export interface InferenceClients {
  readonly primary: InferenceClient;
  readonly fallback?: InferenceClient | undefined;
  readonly shadow?: InferenceClient | undefined;
}

export interface InferenceDeps {
  readonly connector: string;
  readonly clients: InferenceClients;
  readonly lifecycle: AbortSignal;
  readonly metrics: WorkerMetrics;
  readonly logger: Logger;
  /** Intake should pause (true) or may resume (false): no backend can answer. */
  readonly onAvailability: (down: boolean) => void;
  /** The mappings compiled when the configuration was loaded; compiled here when absent. */
  readonly mappings?: CompiledMappings | undefined;
}

export interface Inference {
  run(event: CanonicalEvent): Promise<InferenceResult>;
  /** Breaker state of the primary. */
  readonly state: BreakerState;
  /** True when the primary or the fallback can answer. */
  readonly available: boolean;
  /** Current limit on concurrent calls to the primary (adaptive, or the configured maximum). */
  readonly concurrencyLimit: number;
  /** Readiness of the primary, or else of the fallback. */
  ready(signal: AbortSignal): Promise<boolean>;
  close(): Promise<void>;
}

interface Route {
  readonly config: BackendConfig;
  readonly client: InferenceClient;
  readonly guard: GuardedBackend;
  readonly limiter: ConcurrencyLimiter;
  readonly request: CompiledMapping;
  readonly response: CompiledMapping;
}

const SHADOW_MAX_IN_FLIGHT = 64;
const HOLD: GuardedInferOptions = { hold: true };
const NO_HOLD: GuardedInferOptions = { hold: false };

export function createInference(config: InferenceConfig, deps: InferenceDeps): Inference {
  const { connector, clients, lifecycle, metrics, logger } = deps;
  const parameters = config.request.parameters;

  const mappings = deps.mappings ?? compileMappings(config);

  function route(backend: BackendConfig, client: InferenceClient, routeMappings: RouteMappings, role: string): Route {
    const labels = { connector, backend: backend.kind, model: backend.model };
    // Resolved at the first attempt of each outcome: a series appears once observed, as with prom-client.
    const attemptOk = metrics.inferenceDuration.lazyLabels(connector, backend.kind, backend.model, 'ok');
    const attemptError = metrics.inferenceDuration.lazyLabels(connector, backend.kind, backend.model, 'error');
    // Every route has a limiter: `concurrency.max` bounds model calls in flight, not buffered events.
    const callsInFlight = metrics.modelCallsInFlight.labels(connector, backend.kind, backend.model);
    const onInFlight = (inFlight: number): void => callsInFlight.set(inFlight);
    const limiter = config.concurrency.adaptive
      ? createConcurrencyLimiter({ min: config.concurrency.min, max: config.concurrency.max, onChange: (limit) => metrics.concurrencyLimit.set(labels, limit), onInFlight })
      : createFixedLimiter(config.concurrency.max, onInFlight);
    metrics.concurrencyLimit.set(labels, limiter.limit);
    callsInFlight.set(0);
    metrics.breakerState.set(labels, 0);
    const guard = createGuardedBackend(client, config, lifecycle, {
      onStateChange(state) {
        metrics.breakerState.set(labels, state === 'open' ? 1 : state === 'half-open' ? 0.5 : 0);
        metrics.breakerTransitions.inc({ ...labels, state });
        logger.warn({ breaker: state, backend: backend.kind, model: backend.model, role }, `circuit breaker ${state}`);
        deps.onAvailability(!available());
      },
      onAttempt(durationMs, error) {
        (error ? attemptError : attemptOk)().observe(durationMs / 1000);
      },
      onRetry(error) {
        metrics.retries.inc({ ...labels, code: error.code });
      },
      onProbeFailed(error) {
        logger.warn({ err: error, role }, 'half-open readiness probe failed');
      },
    }, limiter);
    return { config: backend, client, guard, limiter, request: routeMappings.request, response: routeMappings.response };
  }

  const primary = route(config.backend, clients.primary, mappings.primary, 'primary');
  const fallback = config.fallback && clients.fallback && mappings.fallback ? route(config.fallback.backend, clients.fallback, mappings.fallback, 'fallback') : undefined;
  const shadow = config.shadow && clients.shadow && mappings.shadow ? route(config.shadow.backend, clients.shadow, mappings.shadow, 'shadow') : undefined;
  const batchLabels = { connector, backend: config.backend.kind, model: config.backend.model };
  const batcher: Batcher<BatchItem, InferOutcome> | undefined =
    config.batch.maxSize > 1 ? createBatcher(config.batch.maxSize, config.batch.maxWaitMs, (items) => runBatch(items)) : undefined;
  let shadowInFlight = 0;

  function available(): boolean {
    return primary.guard.state === 'closed' || (fallback !== undefined && fallback.guard.state === 'closed');
  }

  function request(event: CanonicalEvent, inputs: Record<string, unknown>): InferenceRequest {
    return { id: event.id, inputs, parameters };
  }

  /** The mapped output; a promise only when the mapping has JSONata expressions. Throws MAPPING_FAILED. */
  function mapResponse(target: Route, response: InferenceResponse, event: CanonicalEvent): Record<string, unknown> | Promise<Record<string, unknown>> {
    // `event` lets an output combine the model's answer with the input (e.g. a priority from score and own field).
    const root = { outputs: response.outputs, model_name: response.modelName, model_version: response.modelVersion, event };
    return target.response.async ? target.response.applyAsync(root, 'response') : target.response.apply(root, 'response');
  }

  interface BatchItem {
    readonly request: InferenceRequest;
    readonly traceparent: string | undefined;
  }

  /** One merged request; a failure `decide()` says to split is split in halves until the bad event(s) stand alone. */
  async function runBatch(items: BatchItem[]): Promise<InferOutcome[]> {
    metrics.batchSize.observe(batchLabels, items.length);
    const hold = fallback === undefined;
    if (items.length === 1) return [await primary.guard.infer(items[0]!.request, items[0]!.traceparent, { hold })];
    const merged: InferenceRequest = {
      id: `batch:${items[0]!.request.id}:${items.length}`,
      inputs: stackInputs(items.map((item) => item.request.inputs)),
      parameters,
    };
    const outcome = await primary.guard.infer(merged, items[0]!.traceparent, { hold });
    if (outcome.ok) {
      const rows = splitOutputs(outcome.response.outputs, items.length);
      if (!rows) {
        const error = new ModelbridgeError('INFERENCE_BAD_RESPONSE', `batched response does not split into ${items.length} rows`);
        return items.map(() => ({ ok: false, error, attempts: outcome.attempts, firstFailureAt: Date.now(), lastFailureAt: Date.now() }));
      }
      return rows.map((outputs) => ({ ...outcome, response: { ...outcome.response, outputs } }));
    }
    if (decide({ at: 'batch', error: outcome.error, size: items.length }).action !== 'split') return items.map(() => outcome);
    const half = Math.ceil(items.length / 2);
    const [left, right] = await Promise.all([runBatch(items.slice(0, half)), runBatch(items.slice(half))]);
    return [...left, ...right];
  }

  /** Maps the request and calls the backend. A mapping failure comes back as an outcome with no attempt. */
  function call(target: Route, event: CanonicalEvent, hold: boolean): Promise<InferOutcome> {
    const mapping = target.request;
    if (mapping.async) return mapping.applyAsync(event, 'request').then((inputs) => send(target, request(event, inputs), event, hold), mappingFailed);
    let inputs: Record<string, unknown>;
    try {
      inputs = mapping.apply(event, 'request');
    } catch (thrown) {
      return Promise.resolve(mappingFailed(thrown));
    }
    return send(target, request(event, inputs), event, hold);
  }

  function send(target: Route, mapped: InferenceRequest, event: CanonicalEvent, hold: boolean): Promise<InferOutcome> {
    if (target === primary && batcher) return batcher.submit({ request: mapped, traceparent: event.traceparent });
    return target.guard.infer(mapped, event.traceparent, hold ? HOLD : NO_HOLD);
  }

  /** The result of an outcome; a promise only when the response mapping has JSONata expressions. */
  function answer(target: Route, outcome: InferOutcome, usedFallback: boolean, event: CanonicalEvent): InferenceResult | Promise<InferenceResult> {
    if (!outcome.ok) return outcome;
    let output: Record<string, unknown> | Promise<Record<string, unknown>>;
    try {
      output = mapResponse(target, outcome.response, event);
    } catch (thrown) {
      return responseMappingFailed(thrown, outcome.attempts);
    }
    if (output instanceof Promise) {
      return output.then(
        (mapped) => succeeded(target, outcome, usedFallback, mapped),
        (thrown: unknown) => responseMappingFailed(thrown, outcome.attempts),
      );
    }
    return succeeded(target, outcome, usedFallback, output);
  }

  function succeeded(target: Route, outcome: InferOutcome & { ok: true }, usedFallback: boolean, output: Record<string, unknown>): InferenceResult {
    const response = outcome.response;
    const provenance: { -readonly [K in keyof Provenance]: Provenance[K] } = {
      connector,
      backend: target.config.kind,
      model: response.modelName || target.config.model,
      modelVersion: response.modelVersion,
      latencyMs: Math.round(outcome.latencyMs * 100) / 100,
      attempts: outcome.attempts,
      usage: response.usage,
    };
    if (usedFallback) provenance.fallback = true;
    return { ok: true, output, provenance };
  }

  async function run(event: CanonicalEvent): Promise<InferenceResult> {
    if (!fallback) {
      const result = answer(primary, await call(primary, event, true), false, event);
      return withShadow(event, result instanceof Promise ? await result : result);
    }
    // With a fallback: whichever backend is up answers; when both are down, wait for either to recover.
    const refused = new Set<Route>();
    for (;;) {
      const target = primary.guard.state !== 'open' && !refused.has(primary) ? primary : fallback.guard.state !== 'open' && !refused.has(fallback) ? fallback : undefined;
      if (!target) {
        refused.clear();
        try {
          await eitherRecovers(primary.guard, fallback.guard);
        } catch {
          return { ok: false, error: new ModelbridgeError('ABORTED', 'worker is shutting down'), attempts: 0 };
        }
        continue;
      }
      const outcome = await call(target, event, false);
      if (!outcome.ok && outcome.error.stage === 'map') return outcome;
      if (!outcome.ok && outcome.error.code === 'BREAKER_OPEN') {
        refused.add(target);
        continue;
      }
      if (target === fallback) metrics.fallbackUsed.inc({ connector, backend: fallback.config.kind, model: fallback.config.model });
      const result = await answer(target, outcome, target === fallback, event);
      return target === primary ? withShadow(event, result) : result;
    }
  }

  /** Resolves when either breaker closes (or hands this caller the half-open trial); the other wait is withdrawn. */
  async function eitherRecovers(a: GuardedBackend, b: GuardedBackend): Promise<void> {
    const withdraw = new AbortController();
    const signal = AbortSignal.any([lifecycle, withdraw.signal]);
    try {
      await Promise.race([a.whenClosed(signal), b.whenClosed(signal)]);
    } finally {
      withdraw.abort();
    }
  }

  function withShadow(event: CanonicalEvent, result: InferenceResult): InferenceResult {
    if (shadow && result.ok && Math.random() < (config.shadow?.share ?? 0)) runShadow(shadow, event, result.output);
    return result;
  }

  /** Fire and forget, bounded: never delays or changes the primary's answer. */
  function runShadow(target: Route, event: CanonicalEvent, primaryOutput: Record<string, unknown>): void {
    const labels = { connector, backend: target.config.kind, model: target.config.model };
    if (shadowInFlight >= SHADOW_MAX_IN_FLIGHT || target.guard.state !== 'closed') {
      metrics.shadowRequests.inc({ ...labels, outcome: 'skipped' });
      return;
    }
    shadowInFlight++;
    void (async () => {
      try {
        const result = await answer(target, await call(target, event, false), false, event);
        if (!result.ok) {
          metrics.shadowRequests.inc({ ...labels, outcome: 'error' });
          return;
        }
        const fields = config.shadow?.compare ?? Object.keys(primaryOutput);
        const agree = fields.every((field) => sameValue(primaryOutput[field], result.output[field]));
        metrics.shadowRequests.inc({ ...labels, outcome: agree ? 'agree' : 'disagree' });
      } catch (error) {
        metrics.shadowRequests.inc({ ...labels, outcome: 'error' });
        logger.debug({ err: error }, 'shadow request failed');
      } finally {
        shadowInFlight--;
      }
    })();
  }

  return {
    run,
    get state() {
      return primary.guard.state;
    },
    get available() {
      return available();
    },
    get concurrencyLimit() {
      return primary.limiter.limit;
    },
    async ready(signal) {
      if (await primary.client.ready(signal)) return true;
      return fallback ? fallback.client.ready(signal) : false;
    },
    async close() {
      batcher?.flush();
      const failures: unknown[] = [];
      for (const target of [primary, fallback, shadow]) {
        if (!target) continue;
        target.guard.close();
        try {
          await target.client.close();
        } catch (error) {
          failures.push(error);
        }
      }
      if (failures.length > 0) throw new AggregateError(failures, 'closing inference clients failed');
    },
  };
}

function mappingFailed(thrown: unknown): InferOutcome {
  const now = Date.now();
  return { ok: false, error: toModelbridgeError(thrown, 'map'), attempts: 0, firstFailureAt: now, lastFailureAt: now };
}

function responseMappingFailed(thrown: unknown, attempts: number): InferenceResult {
  return { ok: false, error: toModelbridgeError(thrown, 'map'), attempts };
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === 'number' && typeof b === 'number') return Math.abs(a - b) < 1e-6;
  return JSON.stringify(a) === JSON.stringify(b);
}
