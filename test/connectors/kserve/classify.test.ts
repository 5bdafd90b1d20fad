import { describe, expect, it } from 'vitest';
import { classifyStatus } from '../../../connectors/kserve/classify.ts';

const NOW = Date.parse('2026-01-01T00:00:00Z');

describe('classifyStatus', () => {
  it.each([
    [400, 'INFERENCE_REJECTED', false],
    [401, 'INFERENCE_UNAUTHORIZED', true],
    [403, 'INFERENCE_UNAUTHORIZED', true],
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

  it('reads an oversized (unread) body as no text', () => {
    expect(classifyStatus('m', 503, undefined, '2', NOW)).toMatchObject({ code: 'INFERENCE_UNAVAILABLE', message: 'm: HTTP 503', retryAfterMs: 2000 });
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
