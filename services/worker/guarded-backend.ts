/**
 * An inference client behind a per-attempt timeout, retries (full-jitter backoff that honours
 * Retry-After) and a circuit breaker (opossum). While the breaker is open, calls wait for it to close
 * instead of spending their retry budget: a down backend is not a poison message. The half-open probe
 * asks the model's readiness endpoint rather than sacrificing a real event.
 *
 * One call of {@link GuardedBackend.infer} reads top to bottom: attempt → classify → `decide()` (fate.ts)
 * → retry after a backoff (counted against `retry.attempts`), hold until the breaker closes (not
 * counted), or give up (the caller dead-letters).
 */
import CircuitBreaker from 'opossum';
import { ModelbridgeError, toModelbridgeError } from '../../schemas/errors.ts';
import type { InferenceClient, InferenceRequest, InferenceResponse } from '../../connectors/types.ts';
import type { InferenceConfig } from '../../schemas/connector-config.ts';
import { createAttemptTimeouts } from './attempt-timeouts.ts';
import { backoffDelay, sleep } from './backoff.ts';
import { decide } from './fate.ts';
import { createHealthWindow } from './health-window.ts';
import type { ConcurrencyLimiter } from './limiter.ts';
import { createWaitQueue } from './wait-queue.ts';

export type BreakerState = 'closed' | 'open' | 'half-open';

export type InferOutcome =
  | { readonly ok: true; readonly response: InferenceResponse; readonly attempts: number; readonly latencyMs: number }
  | {
      readonly ok: false;
      readonly error: ModelbridgeError;
      readonly attempts: number;
      readonly firstFailureAt: number;
      readonly lastFailureAt: number;
    };

export interface GuardedBackendHooks {
  /** Every breaker transition. */
  onStateChange?(state: BreakerState): void;
  /** Every attempt that reached the client, with its outcome. */
  onAttempt?(durationMs: number, error: ModelbridgeError | undefined): void;
  /** Every retry scheduled (not holds). */
  onRetry?(error: ModelbridgeError): void;
  /** A half-open probe failed or threw. */
  onProbeFailed?(error: unknown): void;
}

export interface GuardedInferOptions {
  /**
   * Hold (wait for the breaker to close) when the backend is down. False when a fallback can answer
   * instead: the call then fails at once with BREAKER_OPEN.
   */
  readonly hold?: boolean;
}

export interface GuardedBackend {
  infer(request: InferenceRequest, traceparent: string | undefined, options?: GuardedInferOptions): Promise<InferOutcome>;
  readonly state: BreakerState;
  /** Resolves when the breaker is closed (immediately if it is); rejects when `signal` aborts. */
  whenClosed(signal: AbortSignal): Promise<void>;
  close(): void;
}

type Call = (request: InferenceRequest, signal: AbortSignal, traceparent: string | undefined, deadline: number) => Promise<InferenceResponse>;

export function createGuardedBackend(
  client: InferenceClient,
  policy: Pick<InferenceConfig, 'timeoutMs' | 'retry' | 'breaker'>,
  lifecycle: AbortSignal,
  hooks: GuardedBackendHooks,
  limiter: ConcurrencyLimiter,
): GuardedBackend {
  const call: Call = (request, signal, traceparent, deadline) => client.infer(request, { signal, traceparent, deadline });
  // Attempts in flight, timed out on one timer and aborted together at shutdown by one listener: a
  // listener per attempt on the lifecycle signal made every attempt scan hundreds of others' (an
  // AbortSignal's list is linear).
  const attempts = createAttemptTimeouts(policy.timeoutMs);
  lifecycle.addEventListener('abort', () => attempts.abortAll(lifecycle.reason), { once: true });
  const breaker = new CircuitBreaker<Parameters<Call>, InferenceResponse>(call, {
    // The per-attempt timeout is an AbortSignal on the request itself: opossum's own timeout would not cancel it.
    timeout: false,
    errorThresholdPercentage: policy.breaker.errorThresholdPercentage,
    volumeThreshold: policy.breaker.volumeThreshold,
    resetTimeout: policy.breaker.resetTimeoutMs,
    rollingCountTimeout: policy.breaker.rollingWindowMs,
    rollingCountBuckets: 10,
    // Poison (4xx, bad input) and shutdown aborts say nothing about the backend's health.
    errorFilter: (error: unknown) => !toModelbridgeError(error).retryable,
    enableSnapshots: false,
    // Nothing reads opossum's latency percentiles; with them on, every failure concatenates and sorts
    // the latencies of the whole rolling window to check the error rate.
    rollingPercentilesEnabled: false,
  });
  const health = createHealthWindow();
  // Calls held while the breaker is not closed. Released all at once on close, or one at a time as the
  // half-open trial once the model reports ready.
  const held = createWaitQueue();
  let state: BreakerState = 'closed';

  function transition(next: BreakerState): void {
    if (next === state) return;
    state = next;
    if (next === 'closed') held.release();
    hooks.onStateChange?.(next);
  }

  breaker.on('open', () => transition('open'));
  breaker.on('close', () => transition('closed'));
  breaker.on('halfOpen', () => {
    transition('half-open');
    void probe();
  });

  /**
   * Half-open: readiness first (cheap, sacrifices no event); when ready, one held call goes through as
   * the trial, and its outcome closes or re-opens the breaker. A backend that says "ready" while it
   * fails every request therefore costs one attempt per reset period, never the whole backlog's budget.
   */
  async function probe(): Promise<void> {
    try {
      const ready = await client.ready(AbortSignal.any([lifecycle, AbortSignal.timeout(policy.timeoutMs)]));
      if (lifecycle.aborted || !breaker.halfOpen) return;
      if (!ready) breaker.open();
      else if (held.release(1) === 0) breaker.close();
    } catch (error) {
      hooks.onProbeFailed?.(error);
      if (breaker.halfOpen) breaker.open();
    }
  }

  function whenClosed(signal: AbortSignal): Promise<void> {
    if (state === 'closed') return Promise.resolve();
    return held.wait(signal);
  }

  /** One call through the limiter and the breaker. Never throws: the failure comes back classified. */
  async function attempt(request: InferenceRequest, traceparent: string | undefined): Promise<InferenceResponse | FailedAttempt> {
    if (lifecycle.aborted) return new FailedAttempt(new ModelbridgeError('ABORTED', 'worker is shutting down'), false);
    if (!limiter.tryAcquire()) {
      try {
        await limiter.acquire(lifecycle);
      } catch (thrown) {
        return new FailedAttempt(toModelbridgeError(thrown), false);
      }
    }
    const trial = state === 'half-open';
    const started = performance.now();
    // One controller per attempt, its timeout withdrawn as soon as it settles: AbortSignal.timeout
    // would keep a timer alive for the whole timeout after every call.
    const controller = new AbortController();
    const ticket = attempts.start(controller);
    if (lifecycle.aborted) controller.abort(lifecycle.reason);
    try {
      const response = await breaker.fire(request, controller.signal, traceparent, Date.now() + policy.timeoutMs);
      const elapsed = performance.now() - started;
      limiter.release(elapsed, 'ok');
      health.record(false);
      hooks.onAttempt?.(elapsed, undefined);
      return response;
    } catch (thrown) {
      const error = classifyBreakerError(thrown);
      const elapsed = performance.now() - started;
      limiter.release(elapsed, OVERLOAD.has(error.code) ? 'overload' : 'error');
      if (error.code !== 'BREAKER_OPEN') {
        // Poison (non-retryable) answers mean the backend works.
        if (error.code !== 'ABORTED') health.record(error.retryable);
        hooks.onAttempt?.(elapsed, error);
      }
      return new FailedAttempt(error, trial);
    } finally {
      attempts.finish(ticket);
    }
  }

  async function infer(request: InferenceRequest, traceparent: string | undefined, options?: GuardedInferOptions): Promise<InferOutcome> {
    const started = performance.now();
    const hold = options?.hold ?? true;
    // Half-open lets the call through: it may be the trial that closes the breaker.
    if (!hold && state === 'open') return refused(new ModelbridgeError('BREAKER_OPEN', 'circuit breaker is open'));
    let calls = 0; // attempts that reached the backend
    let counted = 0; // attempts charged to the retry budget
    let trials = 0; // half-open trials the model failed on this very message
    let firstFailureAt: number | undefined;
    for (;;) {
      const result = await attempt(request, traceparent);
      if (!(result instanceof FailedAttempt)) return { ok: true, response: result, attempts: calls + 1, latencyMs: performance.now() - started };
      const { error } = result;
      const failedAt = Date.now();
      firstFailureAt ??= failedAt;
      const failure = (reason: ModelbridgeError): InferOutcome => ({ ok: false, error: reason, attempts: calls, firstFailureAt: firstFailureAt ?? failedAt, lastFailureAt: failedAt });
      if (error.code !== 'BREAKER_OPEN') calls++;
      // Only a trial the model processed and failed on counts against the message (500, a broken answer);
      // unavailable, timed out, rate limited or unauthorized say the backend is still down.
      if (result.trial && POISON_TRIAL_CODES.has(error.code)) trials++;
      const fate = decide({
        at: 'infer',
        error,
        attempts: counted + 1,
        maxAttempts: policy.retry.attempts,
        breakerOpen: state !== 'closed',
        backendFailing: health.failing,
        trials,
      });
      switch (fate.action) {
        case 'dead-letter':
          return failure(error);
        case 'retry':
          counted++;
          hooks.onRetry?.(error);
          if (!(await pause(sleep(backoffDelay(policy.retry, counted, error.retryAfterMs), lifecycle)))) return failure(shuttingDown(error));
          break;
        case 'hold':
          // Held on a closed breaker (refused credentials, or the backend fails every event and the
          // breaker's rate lags): open it, so intake pauses and recovery is probed, rather than retrying
          // in a loop. ready() is refused alike for credentials, so the probe keeps it open until they work.
          if (state === 'closed' && error.code !== 'ABORTED' && error.code !== 'BREAKER_OPEN') breaker.open();
          if (lifecycle.aborted) return failure(shuttingDown(error));
          if (!hold) return failure(new ModelbridgeError('BREAKER_OPEN', 'circuit breaker is open', { cause: error }));
          if (!(await pause(whenClosed(lifecycle)))) return failure(shuttingDown(error));
          break;
      }
    }
  }

  return {
    infer,
    get state() {
      return state;
    },
    whenClosed,
    close() {
      breaker.shutdown();
      held.release();
    },
  };
}

/** An attempt that failed; `trial`: it went out as the half-open trial. A successful one is its response. */
class FailedAttempt {
  readonly error: ModelbridgeError;
  readonly trial: boolean;
  constructor(error: ModelbridgeError, trial: boolean) {
    this.error = error;
    this.trial = trial;
  }
}

/** A call refused before any attempt. */
function refused(error: ModelbridgeError): InferOutcome {
  const now = Date.now();
  return { ok: false, error, attempts: 0, firstFailureAt: now, lastFailureAt: now };
}

/** Waits out a backoff or a hold; false when shutdown cut it short. */
function pause(wait: Promise<void>): Promise<boolean> {
  return wait.then(
    () => true,
    () => false,
  );
}

function shuttingDown(cause: ModelbridgeError): ModelbridgeError {
  return new ModelbridgeError('ABORTED', 'worker is shutting down', { cause });
}

/** Trial failures that point at the message rather than at the backend. */
const POISON_TRIAL_CODES = new Set(['INFERENCE_FAILED', 'INFERENCE_BAD_RESPONSE']);

/** Overload signals that shrink the adaptive concurrency limit. */
const OVERLOAD = new Set(['INFERENCE_TIMEOUT', 'INFERENCE_RATE_LIMITED', 'INFERENCE_UNAVAILABLE']);

function classifyBreakerError(thrown: unknown): ModelbridgeError {
  if ((thrown as { code?: unknown } | null)?.code === 'EOPENBREAKER') {
    return new ModelbridgeError('BREAKER_OPEN', 'circuit breaker is open', { cause: thrown });
  }
  return toModelbridgeError(thrown);
}
