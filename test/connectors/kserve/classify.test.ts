import { describe, expect, it } from 'vitest';
import { classifyStatus, classifyThrown, parseRetryAfter } from '../../../connectors/kserve/classify.ts';

const NOW = Date.parse('2026-01-01T00:00:00Z');

describe('classifyStatus', () => {
  it.each([
    [400, 'INFERENCE_REJECTED', false],
    [401, 'INFERENCE_REJECTED', false],
    [404, 'MODEL_NOT_FOUND', false],
    [408, 'INFERENCE_TIMEOUT', true],
    [422, 'INFERENCE_REJECTED', false],
    [429, 'INFERENCE_RATE_LIMITED', true],
    [500, 'INFERENCE_FAILED', true],
    [501, 'INFERENCE_FAILED', true],
    [502, 'INFERENCE_UNAVAILABLE', true],
    [503, 'INFERENCE_UNAVAILABLE', true],
    [504, 'INFERENCE_TIMEOUT', true],
    [302, 'INFERENCE_BAD_RESPONSE', false],
  ] as const)('HTTP %i → %s (retryable %s)', (status, code, retryable) => {
    expect(classifyStatus('m', status, '', null, NOW)).toMatchObject({ code, retryable, upstreamStatus: status });
  });

  it('quotes the server error text, truncated', () => {
    const long = 'x'.repeat(500);
    const error = classifyStatus('kserve-http m', 400, JSON.stringify({ error: long }), null, NOW);
    expect(error.message).toBe(`kserve-http m: HTTP 400: ${'x'.repeat(200)}…`);
    expect(classifyStatus('m', 502, '<html>bad gateway</html>', null, NOW).message).toBe('m: HTTP 502: <html>bad gateway</html>');
  });

  it.each([
    [429, '3', 3000],
    [503, 'Thu, 01 Jan 2026 00:00:10 GMT', 10_000],
    [502, '1', 1000],
    [400, '3', undefined],
    [500, '3', undefined],
  ] as const)('HTTP %i with Retry-After %j → retryAfterMs %j', (status, header, ms) => {
    expect(classifyStatus('m', status, '', header, NOW).retryAfterMs).toBe(ms);
  });
});

describe('parseRetryAfter', () => {
  it.each([
    [null, undefined],
    ['0', 0],
    [' 120 ', 120_000],
    ['Wed, 31 Dec 2025 23:59:00 GMT', 0],
    ['soon', undefined],
    ['-5', undefined],
  ] as const)('%j → %j', (value, ms) => {
    expect(parseRetryAfter(value, NOW)).toBe(ms);
  });
});

describe('classifyThrown', () => {
  const live = new AbortController().signal;
  const networkError = (code: string) => new TypeError('fetch failed', { cause: Object.assign(new Error('boom'), { code }) });

  it.each([
    ['ECONNREFUSED', 'INFERENCE_UNAVAILABLE'],
    ['ECONNRESET', 'INFERENCE_UNAVAILABLE'],
    ['UND_ERR_SOCKET', 'INFERENCE_UNAVAILABLE'],
    ['UND_ERR_HEADERS_TIMEOUT', 'INFERENCE_TIMEOUT'],
  ])('a fetch failure caused by %s → %s', (code, expected) => {
    expect(classifyThrown('m', networkError(code), live)).toMatchObject({ code: expected, retryable: true, upstreamStatus: code });
  });

  it('finds the code inside an AggregateError (dual-stack connect) and any system error', () => {
    const aggregate = new TypeError('fetch failed', {
      cause: new AggregateError([Object.assign(new Error('a'), { code: 'ECONNREFUSED', syscall: 'connect' })]),
    });
    expect(classifyThrown('m', aggregate, live).code).toBe('INFERENCE_UNAVAILABLE');
    const odd = new TypeError('fetch failed', { cause: Object.assign(new Error('b'), { code: 'EWHATEVER', syscall: 'read' }) });
    expect(classifyThrown('m', odd, live).code).toBe('INFERENCE_UNAVAILABLE');
  });

  it('treats anything else as a non-retryable INTERNAL error, whatever its message says', () => {
    expect(classifyThrown('m', new TypeError('ECONNREFUSED'), live)).toMatchObject({ code: 'INTERNAL', retryable: false });
  });

  it('decides aborts by the signal reason: TimeoutError → INFERENCE_TIMEOUT, anything else → ABORTED', () => {
    const timeout = new AbortController();
    timeout.abort(new DOMException('timed out', 'TimeoutError'));
    expect(classifyThrown('m', timeout.signal.reason, timeout.signal)).toMatchObject({ code: 'INFERENCE_TIMEOUT', retryable: true });
    const shutdown = new AbortController();
    shutdown.abort(new Error('shutting down'));
    expect(classifyThrown('m', shutdown.signal.reason, shutdown.signal)).toMatchObject({ code: 'ABORTED', retryable: false });
    const plain = new AbortController();
    plain.abort();
    expect(classifyThrown('m', plain.signal.reason, plain.signal).code).toBe('ABORTED');
  });
});
