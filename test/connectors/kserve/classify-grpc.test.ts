import { Metadata, status as Status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { classifyGrpcError, grpcCodeName } from '../../../connectors/kserve/classify-grpc.ts';
import { tritonParameters } from '../../../connectors/kserve/triton.ts';

const serviceError = (code: number, metadata = new Metadata()) => Object.assign(new Error('x'), { code, details: 'server says no', metadata });
const live = new AbortController().signal;

describe('classifyGrpcError', () => {
  it.each([
    ['INVALID_ARGUMENT', 'INFERENCE_REJECTED', false],
    ['FAILED_PRECONDITION', 'INFERENCE_REJECTED', false],
    ['OUT_OF_RANGE', 'INFERENCE_REJECTED', false],
    ['ALREADY_EXISTS', 'INFERENCE_REJECTED', false],
    ['UNIMPLEMENTED', 'INFERENCE_REJECTED', false],
    ['UNAUTHENTICATED', 'INFERENCE_UNAUTHORIZED', true],
    ['PERMISSION_DENIED', 'INFERENCE_UNAUTHORIZED', true],
    ['NOT_FOUND', 'MODEL_NOT_FOUND', false],
    ['UNAVAILABLE', 'INFERENCE_UNAVAILABLE', true],
    ['ABORTED', 'INFERENCE_UNAVAILABLE', true],
    ['CANCELLED', 'INFERENCE_UNAVAILABLE', true],
    ['RESOURCE_EXHAUSTED', 'INFERENCE_RATE_LIMITED', true],
    ['DEADLINE_EXCEEDED', 'INFERENCE_TIMEOUT', true],
    ['INTERNAL', 'INFERENCE_FAILED', true],
    ['UNKNOWN', 'INFERENCE_FAILED', true],
    ['DATA_LOSS', 'INFERENCE_FAILED', true],
  ] as const)('%s → %s', (name, code, retryable) => {
    const error = classifyGrpcError('m', serviceError(Status[name]), live);
    expect(error).toMatchObject({ code, retryable, upstreamStatus: name });
    expect(error.message).toBe(`m: gRPC ${name}: server says no`);
  });

  it('a code outside the spec → INFERENCE_FAILED, named by number', () => {
    expect(classifyGrpcError('m', serviceError(42), live)).toMatchObject({ code: 'INFERENCE_FAILED', upstreamStatus: 'CODE_42' });
    expect(grpcCodeName(14)).toBe('UNAVAILABLE');
  });

  it('the signal decides once it aborted: TimeoutError → INFERENCE_TIMEOUT, anything else → ABORTED', () => {
    const cancelled = serviceError(Status.CANCELLED);
    expect(classifyGrpcError('m', cancelled, AbortSignal.abort(new DOMException('t', 'TimeoutError')))).toMatchObject({ code: 'INFERENCE_TIMEOUT' });
    expect(classifyGrpcError('m', cancelled, AbortSignal.abort())).toMatchObject({ code: 'ABORTED', retryable: false });
  });

  it('reads retry-after (seconds or date) and grpc-retry-pushback-ms, only for overload and unavailability', () => {
    const withHeader = (key: string, value: string) => {
      const metadata = new Metadata();
      metadata.set(key, value);
      return metadata;
    };
    const now = Date.parse('2030-01-01T00:00:00Z');
    expect(classifyGrpcError('m', serviceError(Status.RESOURCE_EXHAUSTED, withHeader('retry-after', '4')), live, now).retryAfterMs).toBe(4000);
    expect(classifyGrpcError('m', serviceError(Status.UNAVAILABLE, withHeader('retry-after', 'Tue, 01 Jan 2030 00:00:02 GMT')), live, now).retryAfterMs).toBe(2000);
    expect(classifyGrpcError('m', serviceError(Status.UNAVAILABLE, withHeader('grpc-retry-pushback-ms', '150')), live).retryAfterMs).toBe(150);
    expect(classifyGrpcError('m', serviceError(Status.INTERNAL, withHeader('retry-after', '4')), live).retryAfterMs).toBeUndefined();
  });

  it('anything without a status code is a bug → INTERNAL', () => {
    expect(classifyGrpcError('m', new TypeError('oops'), live)).toMatchObject({ code: 'INTERNAL', retryable: false });
  });
});

describe('tritonParameters', () => {
  it('adds priority, and timeout in microseconds from the deadline, never 0', () => {
    expect(tritonParameters({ a: 1 }, { priority: 1, sendTimeout: true }, 1_250, 1_000)).toEqual({ a: 1, priority: 1, timeout: 250_000 });
    expect(tritonParameters(undefined, { sendTimeout: true }, 900, 1_000)).toEqual({ timeout: 1 });
  });

  it('returns the request’s own parameters when there is nothing to add', () => {
    const base = { a: 1 };
    expect(tritonParameters(base, undefined, 5, 0)).toBe(base);
    expect(tritonParameters(base, { sendTimeout: true }, undefined, 0)).toBe(base);
    expect(tritonParameters(base, { sendTimeout: false }, 5, 0)).toBe(base);
  });
});
