import { describe, expect, it } from 'vitest';
import { ModelbridgeError } from '../../../schemas/errors.ts';
import type { ErrorCode } from '../../../schemas/errors.ts';
import { decide } from '../../../services/worker/fate.ts';

const error = (code: ErrorCode) => new ModelbridgeError(code, code);

describe('decide', () => {
  it.each<[ErrorCode, number, boolean, string]>([
    ['INFERENCE_REJECTED', 1, false, 'dead-letter'],
    ['MODEL_NOT_FOUND', 1, false, 'dead-letter'],
    ['MAPPING_FAILED', 1, false, 'dead-letter'],
    ['INTERNAL', 1, false, 'dead-letter'],
    ['INFERENCE_UNAVAILABLE', 1, false, 'retry'],
    ['INFERENCE_TIMEOUT', 4, false, 'retry'],
    ['INFERENCE_RATE_LIMITED', 5, false, 'dead-letter'],
    ['INFERENCE_UNAVAILABLE', 5, true, 'hold'],
    ['INFERENCE_FAILED', 99, true, 'hold'],
    ['BREAKER_OPEN', 1, false, 'hold'],
    ['ABORTED', 1, false, 'hold'],
    ['INFERENCE_UNAUTHORIZED', 1, false, 'hold'],
    ['INFERENCE_REJECTED', 1, true, 'dead-letter'],
  ])('%s at attempt %i (breaker open: %s) → %s', (code, attempts, breakerOpen, expected) => {
    expect(decide({ at: 'infer', error: error(code), attempts, maxAttempts: 5, breakerOpen }).action).toBe(expected);
  });

  it('honours a retryable override on a normally fatal code', () => {
    const overridden = new ModelbridgeError('INFERENCE_REJECTED', 'x', { retryable: true });
    expect(decide({ at: 'infer', error: overridden, attempts: 1, maxAttempts: 3, breakerOpen: false }).action).toBe('retry');
  });

  it('holds a spent budget when the backend fails most calls of every event, and opens it up again when it does not', () => {
    const busy = error('INFERENCE_UNAVAILABLE');
    expect(decide({ at: 'infer', error: busy, attempts: 5, maxAttempts: 5, breakerOpen: false, backendFailing: true }).action).toBe('hold');
    expect(decide({ at: 'infer', error: busy, attempts: 5, maxAttempts: 5, breakerOpen: false, backendFailing: false }).action).toBe('dead-letter');
    expect(decide({ at: 'infer', error: busy, attempts: 2, maxAttempts: 5, breakerOpen: false, backendFailing: true }).action).toBe('retry');
    expect(decide({ at: 'infer', error: error('INFERENCE_REJECTED'), attempts: 1, maxAttempts: 5, breakerOpen: false, backendFailing: true }).action).toBe('dead-letter');
  });

  it('dead-letters after as many failed half-open trials as the budget allows, even with the breaker open', () => {
    const busy = error('INFERENCE_FAILED');
    expect(decide({ at: 'infer', error: busy, attempts: 9, maxAttempts: 3, breakerOpen: true, trials: 2 }).action).toBe('hold');
    expect(decide({ at: 'infer', error: busy, attempts: 9, maxAttempts: 3, breakerOpen: true, trials: 3 }).action).toBe('dead-letter');
    expect(decide({ at: 'infer', error: error('BREAKER_OPEN'), attempts: 9, maxAttempts: 3, breakerOpen: true, trials: 3 }).action).toBe('hold');
  });
});
