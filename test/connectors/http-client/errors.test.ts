import { describe, expect, it } from 'vitest';
import { classifyThrown, codeForStatus, parseRetryAfter, truncate } from '../../../connectors/http-client/errors.ts';

const NOW = Date.parse('2026-01-01T00:00:00Z');

describe('codeForStatus', () => {
  it.each([
    [401, undefined, 'INFERENCE_UNAUTHORIZED'],
    [403, undefined, 'INFERENCE_UNAUTHORIZED'],
    [409, undefined, 'INFERENCE_REJECTED'],
    [507, undefined, 'INFERENCE_FAILED'],
    [304, undefined, 'INFERENCE_BAD_RESPONSE'],
    [424, { 424: 'INFERENCE_FAILED' }, 'INFERENCE_FAILED'],
    [424, undefined, 'INFERENCE_REJECTED'],
  ] as const)('HTTP %i with table %j → %s', (status, table, code) => {
    expect(codeForStatus(status, table)).toBe(code);
  });
});

describe('parseRetryAfter', () => {
  it.each([
    [null, undefined],
    [undefined, undefined],
    ['0', 0],
    [' 120 ', 120_000],
    ['Thu, 01 Jan 2026 00:01:00 GMT', 60_000],
    ['Wed, 31 Dec 2025 23:59:00 GMT', 0],
    ['soon', undefined],
    ['-5', undefined],
    ['1.5', undefined],
  ] as const)('%j → %j', (value, ms) => {
    expect(parseRetryAfter(value, NOW)).toBe(ms);
  });
});

describe('classifyThrown', () => {
  const live = new AbortController().signal;
  const networkError = (code: string, syscall?: string) =>
    new TypeError('fetch failed', { cause: Object.assign(new Error('boom'), { code, ...(syscall ? { syscall } : {}) }) });

  it.each([
    ['ECONNREFUSED', 'INFERENCE_UNAVAILABLE'],
    ['ECONNRESET', 'INFERENCE_UNAVAILABLE'],
    ['ENOTFOUND', 'INFERENCE_UNAVAILABLE'],
    ['UND_ERR_SOCKET', 'INFERENCE_UNAVAILABLE'],
    ['UND_ERR_HEADERS_TIMEOUT', 'INFERENCE_TIMEOUT'],
    ['UND_ERR_BODY_TIMEOUT', 'INFERENCE_TIMEOUT'],
  ])('a fetch failure caused by %s → %s', (code, expected) => {
    expect(classifyThrown('rest m', networkError(code), live)).toMatchObject({
      code: expected,
      retryable: true,
      upstreamStatus: code,
      message: `rest m: ${code}`,
    });
  });

  it('finds the code inside an AggregateError (dual-stack connect) and in any system error', () => {
    const aggregate = new TypeError('fetch failed', {
      cause: new AggregateError([new Error('plain'), Object.assign(new Error('a'), { code: 'ECONNREFUSED', syscall: 'connect' })]),
    });
    expect(classifyThrown('m', aggregate, live).code).toBe('INFERENCE_UNAVAILABLE');
    expect(classifyThrown('m', networkError('EWHATEVER', 'read'), live).code).toBe('INFERENCE_UNAVAILABLE');
  });

  it('treats anything else as a non-retryable INTERNAL error, whatever its message says', () => {
    expect(classifyThrown('m', new TypeError('ECONNREFUSED'), live)).toMatchObject({ code: 'INTERNAL', retryable: false });
    expect(classifyThrown('m', networkError('EWHATEVER'), live).code).toBe('INTERNAL');
  });

  it('decides by the abort reason once the signal aborted: TimeoutError → INFERENCE_TIMEOUT, else ABORTED', () => {
    const timedOut = AbortSignal.abort(new DOMException('t', 'TimeoutError'));
    expect(classifyThrown('m', networkError('ECONNRESET'), timedOut)).toMatchObject({ code: 'INFERENCE_TIMEOUT', retryable: true });
    expect(classifyThrown('m', new Error('x'), AbortSignal.abort())).toMatchObject({ code: 'ABORTED', retryable: false });
    expect(classifyThrown('m', new Error('x'), AbortSignal.abort(new Error('shutdown'))).code).toBe('ABORTED');
  });
});

describe('truncate', () => {
  it('trims, and cuts with an ellipsis only when longer than max', () => {
    expect(truncate('  abc  ', 3)).toBe('abc');
    expect(truncate('abcd', 3)).toBe('abc…');
  });
});
