import { describe, expect, it } from 'vitest';
import { badResponse, classifyStatus } from '../../../connectors/rest/classify.ts';
import { CLASSIFY_NOW as NOW, HTTP_STATUS_CLASSES, RETRY_AFTER_CASES } from '../../support/http-status-classes.ts';

describe('classifyStatus (rest)', () => {
  // The rest client also names 413 (payload too large) a rejection.
  it.each([...HTTP_STATUS_CLASSES, [413, 'INFERENCE_REJECTED', false] as const])('HTTP %i → %s (retryable %s)', (status, code, retryable) => {
    expect(classifyStatus('rest m', status, '', null, NOW)).toMatchObject({ code, retryable, upstreamStatus: status, stage: 'infer' });
  });

  it('says that credentials were refused on 401 and 403', () => {
    expect(classifyStatus('rest m', 401, '{"detail":"Not authenticated"}', null, NOW).message).toBe(
      'rest m: HTTP 401 (credentials refused: check backend.headers): Not authenticated',
    );
    expect(classifyStatus('rest m', 403, '', null, NOW).message).toBe('rest m: HTTP 403 (credentials refused: check backend.headers)');
  });

  it.each([
    ['a FastAPI HTTPException detail', '{"detail":"Item not found"}', 'Item not found'],
    [
      'a FastAPI validation list as loc: msg',
      '{"detail":[{"loc":["body","amount"],"msg":"Field required","type":"missing"},{"loc":["body","items",0],"msg":"Input should be a valid integer","type":"int_type"}]}',
      'body.amount: Field required; body.items.0: Input should be a valid integer',
    ],
    [
      'a long validation list, cut after three',
      JSON.stringify({ detail: ['a', 'b', 'c', 'd', 'e'].map((f) => ({ loc: ['body', f], msg: 'Field required' })) }),
      'body.a: Field required; body.b: Field required; body.c: Field required; and 2 more',
    ],
    ['an OIP-style error', '{"error":"model failed"}', 'model failed'],
    ['a proxy page', '<html>bad gateway</html>', '<html>bad gateway</html>'],
    ['JSON without detail', '{"message":"x"}', '{"message":"x"}'],
  ])('quotes %s', (_, body, text) => {
    expect(classifyStatus('rest m', 422, body, null, NOW).message).toBe(`rest m: HTTP 422: ${text}`);
  });

  it('truncates long server text and leaves it out when the body was too large to read', () => {
    expect(classifyStatus('rest m', 500, 'x'.repeat(1000), null, NOW).message).toBe(`rest m: HTTP 500: ${'x'.repeat(300)}…`);
    expect(classifyStatus('rest m', 500, undefined, null, NOW).message).toBe('rest m: HTTP 500');
  });

  it.each([...RETRY_AFTER_CASES, [429, 'soon', undefined] as const])('HTTP %i with Retry-After %j → retryAfterMs %j', (status, header, ms) => {
    expect(classifyStatus('rest m', status, '', header, NOW).retryAfterMs).toBe(ms);
  });
});

describe('badResponse', () => {
  it('is a non-retryable INFERENCE_BAD_RESPONSE carrying the status', () => {
    expect(badResponse('rest m', 200, 'response body is not JSON')).toMatchObject({
      code: 'INFERENCE_BAD_RESPONSE',
      retryable: false,
      upstreamStatus: 200,
      message: 'rest m: response body is not JSON',
    });
  });
});
