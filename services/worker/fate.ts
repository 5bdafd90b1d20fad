/**
 * The one place that decides what happens to a message after a failure. Pure: the caller supplies the
 * error, how many inference attempts were made, the retry budget and the breaker's state.
 */
import type { ModelbridgeError } from '../../connectors/errors.ts';

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
}

const RETRY: Fate = { action: 'retry' };
const HOLD: Fate = { action: 'hold' };
const DEAD_LETTER: Fate = { action: 'dead-letter' };

export function decide({ error, attempts, maxAttempts, breakerOpen }: FateInput): Fate {
  if (error.code === 'ABORTED') return HOLD;
  if (!error.retryable) return DEAD_LETTER;
  // A down backend is not a poison message: never spend the budget, never dead-letter, while it is open.
  if (error.code === 'BREAKER_OPEN' || breakerOpen) return HOLD;
  return attempts < maxAttempts ? RETRY : DEAD_LETTER;
}
