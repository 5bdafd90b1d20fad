import { describe, expect, it } from 'vitest';
import { classifyStatus } from '../../../connectors/kserve/classify.ts';
import { CLASSIFY_NOW as NOW, HTTP_STATUS_CLASSES, RETRY_AFTER_CASES } from '../../support/http-status-classes.ts';

describe('classifyStatus', () => {
  it.each(HTTP_STATUS_CLASSES)('HTTP %i → %s (retryable %s)', (status, code, retryable) => {
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

  it.each(RETRY_AFTER_CASES)('HTTP %i with Retry-After %j → retryAfterMs %j', (status, header, ms) => {
    expect(classifyStatus('m', status, '', header, NOW).retryAfterMs).toBe(ms);
  });
});
