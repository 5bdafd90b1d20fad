import { describe, expect, it } from 'vitest';
import { ModelbridgeError } from '../../../schemas/errors.ts';
import type { Decoder } from '../../../connectors/types.ts';
import { message } from '../json/message-fixtures.ts';
import { checkDecode } from './fuzz-support.ts';

const decoderOf = (decode: Decoder['decode']): Decoder => ({ format: 'test', decode });

describe('fuzz invariant', () => {
  it('accepts decode failures and valid events', () => {
    expect(() => checkDecode(decoderOf(() => { throw new ModelbridgeError('INVALID_EVENT', 'x'); }), message())).not.toThrow();
    expect(() => checkDecode(decoderOf(() => ({ specversion: '1.0', id: 'a', source: '/s', type: 't' })), message())).not.toThrow();
  });

  it.each([
    ['a TypeError', () => { throw new TypeError('boom'); }],
    ['a retryable code', () => { throw new ModelbridgeError('INFERENCE_FAILED', 'x'); }],
    ['a retryable decode failure', () => { throw new ModelbridgeError('INVALID_EVENT', 'x', { retryable: true }); }],
    ['an invalid event', () => ({ specversion: '1.0', id: '', source: '/s', type: 't' })],
  ] as const)('catches %s', (_what, decode) => {
    expect(() => checkDecode(decoderOf(decode as Decoder['decode']), message())).toThrow();
  });
});
