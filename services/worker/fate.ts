/**
 * The one place that decides what happens to a message after a failure. Pure: the caller supplies the
 * error, how many inference attempts were made, the retry budget and the breaker's state.
 */
import type { ModelbridgeError } from '../../schemas/errors.ts';

export type Fate =
  /** Try again after a backoff; counts against the retry budget. */
  | { readonly action: 'retry' }
  /** The backend is down (breaker open): wait for it to recover, without spending the budget. */
  | { readonly action: 'hold' }
  /** Give up on this message: publish it to the dead-letter destination. */
  | { readonly action: 'dead-letter' };

export interface FateInput {
  readonly error: ModelbridgeError;
  /** Attempts made so far that counted against the budget. */
  readonly attempts: number;
  readonly maxAttempts: number;
  /** The backend's breaker is open (or was opened by this very failure). */
  readonly breakerOpen: boolean;
  /** Most of the backend's recent calls, for every event, failed transiently: it is down, not this message. */
  readonly backendFailing?: boolean;
  /**
   * Times this message was the half-open trial, while the model said it was ready, and the model failed
   * on it (500 or a broken answer; not unavailable, timeout, rate limit or refused credentials).
   */
  readonly trials?: number;
}

const RETRY: Fate = { action: 'retry' };
const HOLD: Fate = { action: 'hold' };
const DEAD_LETTER: Fate = { action: 'dead-letter' };

export function decide({ error, attempts, maxAttempts, breakerOpen, backendFailing = false, trials = 0 }: FateInput): Fate {
  if (error.code === 'ABORTED') return HOLD;
  if (!error.retryable) return DEAD_LETTER;
  // No call was made, or the backend refused our credentials: nothing about this message; wait.
  if (error.code === 'BREAKER_OPEN' || error.code === 'INFERENCE_UNAUTHORIZED') return HOLD;
  // The model kept saying "ready" and kept failing exactly this message: it is the message after all.
  if (trials >= maxAttempts) return DEAD_LETTER;
  // A down backend is not a poison message: never spend the budget, never dead-letter, while it is open.
  if (breakerOpen) return HOLD;
  if (attempts < maxAttempts) return RETRY;
  // Budget spent. If the backend fails most calls of every event, it is down (the breaker's rate over
  // its whole window may still lag behind): hold. Only a failure on an otherwise healthy backend is this message's.
  return backendFailing ? HOLD : DEAD_LETTER;
}
