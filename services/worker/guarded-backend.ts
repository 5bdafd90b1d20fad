/**
 * An inference client behind a per-attempt timeout, retries (p-retry, full-jitter backoff that honours
 * Retry-After) and a circuit breaker (opossum). While the breaker is open, calls wait for it to close
 * instead of spending their retry budget: a down backend is not a poison message. The half-open probe
 * asks the model's readiness endpoint rather than sacrificing a real event.
 */
import CircuitBreaker from 'opossum';
import pRetry from 'p-retry';
import { ModelbridgeError, toModelbridgeError } from '../../schemas/errors.ts';
import type { InferenceClient, InferenceRequest, InferenceResponse } from '../../connectors/types.ts';
import type { InferenceConfig } from '../../schemas/connector-config.ts';
import { backoffDelay, sleep } from './backoff.ts';
import { decide } from './fate.ts';
import type { ConcurrencyLimiter } from './limiter.ts';
import type { Fate } from './fate.ts';

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
  policy: Pick<InferenceConfig, 'timeout' | 'retry' | 'breaker'>,
  lifecycle: AbortSignal,
  hooks: GuardedBackendHooks,
  limiter: ConcurrencyLimiter,
): GuardedBackend {
  const call: Call = (request, signal, traceparent, deadline) => client.infer(request, { signal, traceparent, deadline });
  // Attempts in flight, aborted together at shutdown by one listener: a listener per attempt on the
  // lifecycle signal made every attempt scan hundreds of others' (an AbortSignal's list is linear).
  const attempts = new Set<AbortController>();
  lifecycle.addEventListener('abort', () => {
    for (const controller of attempts) controller.abort(lifecycle.reason);
  }, { once: true });
  const breaker = new CircuitBreaker<Parameters<Call>, InferenceResponse>(call, {
    // The per-attempt timeout is an AbortSignal on the request itself: opossum's own timeout would not cancel it.
    timeout: false,
    errorThresholdPercentage: policy.breaker.errorThresholdPercentage,
    volumeThreshold: policy.breaker.volumeThreshold,
    resetTimeout: policy.breaker.resetTimeout,
    rollingCountTimeout: policy.breaker.rollingWindow,
    rollingCountBuckets: 10,
    // Poison (4xx, bad input) and shutdown aborts say nothing about the backend's health.
    errorFilter: (error: unknown) => !toModelbridgeError(error).retryable,
    enableSnapshots: false,
  });

  let state: BreakerState = 'closed';
  // Outcomes of the last calls of every event (true: failed transiently): whether the backend is down
  // right now, which the breaker's rate over its whole window can lag behind after a healthy stretch.
  const recent = new Uint8Array(HEALTH_WINDOW);
  let recentCount = 0;
  let recentFailures = 0;
  let recentNext = 0;

  function recordHealth(failed: boolean): void {
    if (recentCount === HEALTH_WINDOW) recentFailures -= recent[recentNext]!;
    else recentCount++;
    recent[recentNext] = failed ? 1 : 0;
    recentFailures += recent[recentNext]!;
    recentNext = (recentNext + 1) % HEALTH_WINDOW;
  }

  function backendFailing(): boolean {
    return recentCount >= HEALTH_MIN_SAMPLES && recentFailures * 2 >= recentCount;
  }
  // Calls held while the breaker is not closed. Released all at once on close, or one at a time as the
  // half-open trial once the model reports ready.
  const waiters: Array<{ resolve: () => void; reject: (reason: unknown) => void; signal: AbortSignal; onAbort: () => void }> = [];

  function release(count: number): void {
    for (const waiter of waiters.splice(0, count)) {
      waiter.signal.removeEventListener('abort', waiter.onAbort);
      waiter.resolve();
    }
  }

  function transition(next: BreakerState): void {
    if (next === state) return;
    state = next;
    if (next === 'closed') release(waiters.length);
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
      const ready = await client.ready(AbortSignal.any([lifecycle, AbortSignal.timeout(policy.timeout)]));
      if (lifecycle.aborted || !breaker.halfOpen) return;
      if (!ready) breaker.open();
      else if (waiters.length > 0) release(1);
      else breaker.close();
    } catch (error) {
      hooks.onProbeFailed?.(error);
      if (breaker.halfOpen) breaker.open();
    }
  }

  function whenClosed(signal: AbortSignal): Promise<void> {
    if (state === 'closed') return Promise.resolve();
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const waiter = {
        resolve,
        reject,
        signal,
        onAbort: () => {
          const index = waiters.indexOf(waiter);
          if (index !== -1) waiters.splice(index, 1);
          reject(signal.reason);
        },
      };
      signal.addEventListener('abort', waiter.onAbort, { once: true });
      waiters.push(waiter);
    });
  }

  async function attempt(request: InferenceRequest, traceparent: string | undefined, meta: AttemptMeta): Promise<InferenceResponse> {
    if (lifecycle.aborted) throw new ModelbridgeError('ABORTED', 'worker is shutting down');
    await limiter.acquire(lifecycle);
    meta.trial = state === 'half-open';
    const started = performance.now();
    // One controller and one timer per attempt, both released as soon as it settles:
    // AbortSignal.timeout would keep a timer alive for the whole timeout after every call.
    const controller = new AbortController();
    const timer = setTimeout(abortWithTimeout, policy.timeout, controller);
    attempts.add(controller);
    if (lifecycle.aborted) controller.abort(lifecycle.reason);
    try {
      const response = await breaker.fire(request, controller.signal, traceparent, Date.now() + policy.timeout);
      const elapsed = performance.now() - started;
      limiter.release(elapsed, 'ok');
      recordHealth(false);
      hooks.onAttempt?.(elapsed, undefined);
      return response;
    } catch (thrown) {
      const error = classifyBreakerError(thrown);
      const elapsed = performance.now() - started;
      limiter.release(elapsed, OVERLOAD.has(error.code) ? 'overload' : 'error');
      if (error.code !== 'BREAKER_OPEN') {
        // Poison (non-retryable) answers mean the backend works.
        if (error.code !== 'ABORTED') recordHealth(error.retryable);
        hooks.onAttempt?.(elapsed, error);
      }
      throw error;
    } finally {
      clearTimeout(timer);
      attempts.delete(controller);
    }
  }

  async function infer(request: InferenceRequest, traceparent: string | undefined, options?: GuardedInferOptions): Promise<InferOutcome> {
    const started = performance.now();
    const hold = options?.hold ?? true;
    // Half-open lets the call through: it may be the trial that closes the breaker.
    if (!hold && state === 'open') return refuse(new ModelbridgeError('BREAKER_OPEN', 'circuit breaker is open'));
    // Fast path: one attempt with no retry machinery allocated.
    const meta: AttemptMeta = { trial: false };
    try {
      const response = await attempt(request, traceparent, meta);
      return { ok: true, response, attempts: 1, latencyMs: performance.now() - started };
    } catch (thrown) {
      return retrying(request, traceparent, toModelbridgeError(thrown), started, hold, meta);
    }
  }

  function refuse(error: ModelbridgeError): InferOutcome {
    const now = Date.now();
    return { ok: false, error, attempts: 0, firstFailureAt: now, lastFailureAt: now };
  }

  async function retrying(
    request: InferenceRequest,
    traceparent: string | undefined,
    firstError: ModelbridgeError,
    started: number,
    hold: boolean,
    meta: AttemptMeta,
  ): Promise<InferOutcome> {
    const firstFailureAt = Date.now();
    let lastFailureAt = firstFailureAt;
    let calls = firstError.code === 'BREAKER_OPEN' ? 0 : 1;
    let counted = 0;
    let lastError = firstError;
    let trials = 0;
    let fate: Fate = judge(firstError);

    function judge(error: ModelbridgeError): Fate {
      // Only a trial the model processed and failed on counts against the message (500, a broken answer);
      // unavailable, timed out, rate limited or unauthorized say the backend is still down.
      if (meta.trial && POISON_TRIAL_CODES.has(error.code)) trials++;
      const decided = decide({
        error,
        attempts: counted + 1,
        maxAttempts: policy.retry.attempts,
        breakerOpen: state !== 'closed',
        backendFailing: backendFailing(),
        trials,
      });
      if (decided.action !== 'hold') counted++;
      // Held on a closed breaker (refused credentials, or the backend fails every event and the breaker's
      // rate lags): open it, so intake pauses and recovery is probed, rather than retrying in a loop.
      // ready() is refused alike for credentials, so the probe keeps it open until they work.
      else if (state === 'closed' && error.code !== 'ABORTED' && error.code !== 'BREAKER_OPEN') breaker.open();
      return decided;
    }

    async function wait(currentFate: Fate, error: ModelbridgeError): Promise<void> {
      if (currentFate.action === 'hold') {
        if (!hold) throw new NoHold();
        await whenClosed(lifecycle);
        return;
      }
      hooks.onRetry?.(error);
      await sleep(backoffDelay({ minDelayMs: policy.retry.minDelay, maxDelayMs: policy.retry.maxDelay }, counted, error.retryAfterMs), lifecycle);
    }

    if (fate.action === 'dead-letter') return failure();
    try {
      await wait(fate, firstError);
      const response = await pRetry(
        async () => {
          const result = await attempt(request, traceparent, meta);
          return result;
        },
        {
          // The budget is enforced by decide(); holds are not consumed, so this bound is never the one hit.
          retries: Number.POSITIVE_INFINITY,
          minTimeout: 0,
          maxTimeout: 0,
          signal: lifecycle,
          shouldConsumeRetry: ({ error }) => {
            const classified = toModelbridgeError(error);
            if (classified.code !== 'BREAKER_OPEN') calls++;
            lastError = classified;
            lastFailureAt = Date.now();
            fate = judge(classified);
            return fate.action !== 'hold';
          },
          onFailedAttempt: async ({ error }) => {
            if (fate.action !== 'dead-letter') await wait(fate, toModelbridgeError(error));
          },
          shouldRetry: () => fate.action !== 'dead-letter',
        },
      );
      return { ok: true, response, attempts: calls + 1, latencyMs: performance.now() - started };
    } catch (thrown) {
      if (lifecycle.aborted) lastError = new ModelbridgeError('ABORTED', 'worker is shutting down', { cause: thrown });
      else if (thrown instanceof NoHold) lastError = new ModelbridgeError('BREAKER_OPEN', 'circuit breaker is open', { cause: lastError });
      return failure();
    }

    function failure(): InferOutcome {
      return { ok: false, error: lastError, attempts: calls, firstFailureAt, lastFailureAt };
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
      release(waiters.length);
    },
  };
}

/** Aborts like AbortSignal.timeout() does: clients tell a timeout from a shutdown by this reason. */
function abortWithTimeout(controller: AbortController): void {
  controller.abort(new DOMException('The operation timed out.', 'TimeoutError'));
}

/** Calls remembered for the backend's recent health, and how many before it may be judged. */
const HEALTH_WINDOW = 20;
const HEALTH_MIN_SAMPLES = 5;

/** Trial failures that point at the message rather than at the backend. */
const POISON_TRIAL_CODES = new Set(['INFERENCE_FAILED', 'INFERENCE_BAD_RESPONSE']);

/** Per-call facts the retry decision needs. */
interface AttemptMeta {
  /** The last attempt went out as the half-open trial. */
  trial: boolean;
}

/** Overload signals that shrink the adaptive concurrency limit. */
const OVERLOAD = new Set(['INFERENCE_TIMEOUT', 'INFERENCE_RATE_LIMITED', 'INFERENCE_UNAVAILABLE']);

/** Internal: a hold was needed but the caller asked not to hold. */
class NoHold extends Error {}

function classifyBreakerError(thrown: unknown): ModelbridgeError {
  if ((thrown as { code?: unknown } | null)?.code === 'EOPENBREAKER') {
    return new ModelbridgeError('BREAKER_OPEN', 'circuit breaker is open', { cause: thrown });
  }
  return toModelbridgeError(thrown);
}
