import { describe, expect, it } from 'vitest';
import { KEY_HEADER, fromAmqpHeaders, keyFromHeaders, toAmqpHeaders } from '../../../connectors/rabbitmq/headers.ts';

describe('fromAmqpHeaders', () => {
  it('returns the table itself when every value is a string or Buffer', () => {
    const table = { a: 'x', b: Buffer.from([1, 2]) };
    expect(fromAmqpHeaders(table)).toBe(table);
  });

  it('returns an empty object for a missing table', () => {
    expect(fromAmqpHeaders(undefined)).toEqual({});
  });

  it('converts other values to text, keeps order and drops null', () => {
    const bytes = Buffer.from([0xff]);
    const headers = fromAmqpHeaders({
      s: 'text',
      n: 42,
      f: 1.5,
      t: true,
      big: 9007199254740993n,
      nil: null,
      stamp: { '!': 'timestamp', value: 1_700_000_000 },
      decimal: { '!': 'decimal', value: { places: 2, digits: 1234 } },
      table: { inner: 'v', n: 1 },
      list: ['a', 2],
      nestedBytes: { raw: bytes },
      after: bytes,
    });
    expect(headers).toEqual({
      s: 'text',
      n: '42',
      f: '1.5',
      t: 'true',
      big: '9007199254740993',
      stamp: '1700000000',
      decimal: '{"places":2,"digits":1234}',
      table: '{"inner":"v","n":1}',
      list: '["a",2]',
      nestedBytes: '{"raw":"/w=="}',
      after: bytes,
    });
    expect(Object.keys(headers)[0]).toBe('s');
  });
});

describe('message key header', () => {
  it('reads the key as bytes from the header, either spelling', () => {
    expect(keyFromHeaders({ [KEY_HEADER]: 'k1' })).toEqual(Buffer.from('k1'));
    expect(keyFromHeaders({ 'cloudEvents:partitionkey': Buffer.from('k2') })).toEqual(Buffer.from('k2'));
    expect(keyFromHeaders({ other: 'x' })).toBeNull();
  });

  it('adds the key to outgoing headers without mutating them, unless one is present', () => {
    const headers = { a: 'b' };
    expect(toAmqpHeaders(headers, 'k')).toEqual({ a: 'b', [KEY_HEADER]: 'k' });
    expect(headers).toEqual({ a: 'b' });
    expect(toAmqpHeaders(headers, null)).toBe(headers);
    const explicit = { [KEY_HEADER]: 'explicit' };
    expect(toAmqpHeaders(explicit, 'k')).toBe(explicit);
  });
});
