/**
 * A per-backend token budget (`tokensPerMinute`) as a token bucket, so that a connector paces itself
 * instead of drawing 429s from a shared server (vLLM does not even send 429s: it queues without bound).
 *
 * The bucket holds at most one minute of tokens and refills continuously. A call reserves its estimate
 * up front; when the bucket is short the balance goes into debt and the call sleeps until the debt is
 * repaid, so waiters are served in arrival order without a queue structure. A wait longer than the
 * attempt's deadline (or `maxWaitMs`) fails at once with a retryable `INFERENCE_RATE_LIMITED` carrying
 * the wait as `retryAfterMs`; that also bounds the debt. After the call, the reservation is settled
 * against the usage the server reported. Failed calls keep their estimate charged (the server may well
 * have spent the prompt), except when the wait itself was aborted.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { ModelbridgeError } from '../../schemas/errors.ts';

/** Options of {@link createTokenBudget}. */
export interface TokenBudgetOptions {
  readonly tokensPerMinute: number;
  /** Context for error messages. */
  readonly label: string;
  /** Longest wait for budget, in milliseconds, when the call has no earlier deadline. Default 60 s. */
  readonly maxWaitMs?: number;
  readonly now?: () => number;
  /** Resolves after `ms`, rejects when `signal` aborts. Default: a timer. */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** A token bucket shared by the calls of one client. */
export interface TokenBudget {
  /**
   * Reserves `estimate` tokens (at most a full bucket, so that an oversized request can still run),
   * waiting for budget. Resolves with the tokens reserved. Rejects with `INFERENCE_RATE_LIMITED` when
   * the wait would pass `deadline` (epoch ms) or `maxWaitMs`, and with the abort error when `signal`
   * aborts the wait (the reservation is then returned).
   */
  acquire(estimate: number, signal: AbortSignal, deadline?: number): Promise<number>;
  /** Corrects a reservation by the tokens the call really used. */
  settle(reserved: number, used: number): void;
  /** Tokens available now (negative while in debt). */
  available(): number;
}

const MINUTE_MS = 60_000;

/** Creates a full bucket. */
export function createTokenBudget(options: TokenBudgetOptions): TokenBudget {
  const capacity = options.tokensPerMinute;
  const perMs = capacity / MINUTE_MS;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number, signal: AbortSignal) => delay(ms, undefined, { signal }));
  const maxWaitMs = options.maxWaitMs ?? MINUTE_MS;
  let balance = capacity;
  let updatedAt = now();

  const refill = (): void => {
    const time = now();
    balance = Math.min(capacity, balance + (time - updatedAt) * perMs);
    updatedAt = time;
  };

  const budget: TokenBudget = {
    async acquire(estimate, signal, deadline) {
      const tokens = Math.min(Math.max(1, Math.ceil(estimate)), capacity);
      refill();
      const waitMs = balance >= tokens ? 0 : Math.ceil((tokens - balance) / perMs);
      const limitMs = deadline === undefined ? maxWaitMs : Math.min(maxWaitMs, deadline - updatedAt);
      if (waitMs > 0 && waitMs > limitMs) {
        throw new ModelbridgeError(
          'INFERENCE_RATE_LIMITED',
          `${options.label}: token budget of ${capacity}/min exhausted; ${tokens} tokens need ${waitMs}ms, more than the ${Math.max(0, limitMs)}ms left`,
          { retryAfterMs: waitMs, upstreamStatus: 'token-budget' },
        );
      }
      balance -= tokens;
      if (waitMs > 0) {
        try {
          await sleep(waitMs, signal);
        } catch (error) {
          budget.settle(tokens, 0);
          throw error;
        }
      }
      return tokens;
    },
    settle(reserved, used) {
      refill();
      balance = Math.min(capacity, balance + reserved - used);
    },
    available() {
      refill();
      return balance;
    },
  };
  return budget;
}
