/**
 * The one place that decides what happens to a message after a failure, wherever the failure arises:
 * when the message is received (size, decode), at each inference attempt, when a micro-batch fails,
 * when processing gives up, and at each publish. Pure: the caller supplies the facts and carries the
 * fate out (connector.ts acks, nacks and dead-letters; guarded-backend.ts retries and holds;
 * inference.ts splits batches).
 */
import type { ModelbridgeError } from '../../schemas/errors.ts';

export type Fate =
  /** Done: what the message produced (enriched event or dead letter) is stored. Acknowledge it. */
  | { readonly action: 'ack' }
  /** Try again after a backoff. For inference it counts against the retry budget. */
  | { readonly action: 'retry' }
  /** The backend is down (breaker open): wait for it to recover, without spending the budget. */
  | { readonly action: 'hold' }
  /** A micro-batch failed on its content: split it to isolate the bad event(s). */
  | { readonly action: 'split' }
  /** Give up on this message: publish it to the dead-letter destination, then acknowledge it. */
  | { readonly action: 'dead-letter' }
  /** Shutdown: hand the message back unacknowledged; the broker delivers it again later. */
  | { readonly action: 'redeliver' }
  /** The dead-letter destination refuses the message for good: never ack it, stop intake. */
  | { readonly action: 'stop' };

export type FateAction = Fate['action'];
/** What an inference attempt's failure can lead to. */
export type AttemptFate = Extract<Fate, { readonly action: 'retry' | 'hold' | 'dead-letter' }>;

/** One inference attempt failed. */
export interface AttemptFailure {
  readonly at: 'infer';
  readonly error: ModelbridgeError;
  /** Attempts made so far that counted against the budget, this one included. */
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

export type Failure =
  /** The message could not be taken in: too large, or not decodable as the configured format. */
  | { readonly at: 'receive'; readonly error: ModelbridgeError }
  | AttemptFailure
  /** A merged request of `size` events failed for good. */
  | { readonly at: 'batch'; readonly error: ModelbridgeError; readonly size: number }
  /** Processing the event failed for good: a mapping failed, or the inference gave up. */
  | { readonly at: 'process'; readonly error: ModelbridgeError }
  /** A publish of the enriched event (or forwarded one) or of the dead letter failed. */
  | {
      readonly at: 'publish';
      readonly error: ModelbridgeError;
      readonly destination: 'enriched' | 'dead-letter';
      readonly shuttingDown: boolean;
    };

export const ACK: Fate = { action: 'ack' };
const RETRY: AttemptFate = { action: 'retry' };
const HOLD: AttemptFate = { action: 'hold' };
const SPLIT: Fate = { action: 'split' };
const DEAD_LETTER: AttemptFate = { action: 'dead-letter' };
const REDELIVER: Fate = { action: 'redeliver' };
const STOP: Fate = { action: 'stop' };

export function decide(failure: AttemptFailure): AttemptFate;
export function decide(failure: Failure): Fate;
export function decide(failure: Failure): Fate {
  switch (failure.at) {
    case 'receive':
      // The bytes will not change on redelivery.
      return DEAD_LETTER;
    case 'infer':
      return decideAttempt(failure);
    case 'batch':
      return decideBatch(failure.error, failure.size);
    case 'process':
      return failure.error.code === 'ABORTED' ? REDELIVER : DEAD_LETTER;
    case 'publish': {
      const { error, destination, shuttingDown } = failure;
      // A refusal for good: an enriched event that cannot be stored is dead-lettered; a dead letter
      // that cannot be stored must not be acked, and nothing after it can be stored either.
      if (!error.retryable) return destination === 'dead-letter' ? STOP : DEAD_LETTER;
      // Publishes retry until confirmed: at-least-once. Only shutdown ends them, and redelivery follows.
      return shuttingDown ? REDELIVER : RETRY;
    }
  }
}

function decideAttempt({ error, attempts, maxAttempts, breakerOpen, backendFailing = false, trials = 0 }: AttemptFailure): AttemptFate {
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

/**
 * A batch that failed on its content (non-retryable: a 400 for one bad row fails them all) is split;
 * an unknown model or a shutdown would fail every half alike, and a retryable failure was already
 * retried as a whole: each event then takes the batch's outcome.
 */
function decideBatch(error: ModelbridgeError, size: number): Fate {
  if (size > 1 && !error.retryable && error.code !== 'MODEL_NOT_FOUND' && error.code !== 'ABORTED') return SPLIT;
  return decide({ at: 'process', error });
}
