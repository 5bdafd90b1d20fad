import { describe, expect, it } from 'vitest';
import { isModelbridgeError } from '../../../schemas/errors.ts';
import { createJsonDecoder } from '../../../connectors/json/decoder.ts';
import { canonicalEventSchema } from '../../../schemas/event.ts';
import { AMQP_ORIGIN, expectFailure, message } from './message-fixtures.ts';

const defaults = { format: 'json' as const, type: 'com.example.order' };
const decoder = createJsonDecoder(defaults);
const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('json decoder', () => {
  it('builds a canonical event from a Kafka message', () => {
    const event = decoder.decode(
      message({
        json: { id: 'ord-1', total: 3 },
        key: Buffer.from('customer-9'),
        timestamp: Date.UTC(2024, 0, 2, 3, 4, 5),
        headers: { traceparent: Buffer.from(TRACEPARENT) },
      }),
    );
    expect(event).toEqual({
      specversion: '1.0',
      id: 'ord-1',
      source: '/modelbridge/json/orders',
      type: 'com.example.order',
      datacontenttype: 'application/json',
      partitionkey: 'customer-9',
      time: '2024-01-02T03:04:05.000Z',
      traceparent: TRACEPARENT,
      data: { id: 'ord-1', total: 3 },
    });
    expect(canonicalEventSchema.safeParse(event).success).toBe(true);
  });

  it('takes id and partition key from configured paths, numbers included', () => {
    const decode = createJsonDecoder({ ...defaults, idPath: 'header.ids[1]', keyPath: 'customer.no' });
    const event = decode.decode(message({ json: { header: { ids: ['x', 'doc-7'] }, customer: { no: 1234 } }, key: Buffer.from('ignored') }));
    expect(event.id).toBe('doc-7');
    expect(event.partitionkey).toBe('1234');
  });

  it.each([
    ['missing', { header: { ids: ['x'] } }],
    ['an object', { header: { ids: ['x', { a: 1 }] } }],
    ['empty', { header: { ids: ['x', ''] } }],
    ['too long', { header: { ids: ['x', 'i'.repeat(1025)] } }],
  ])('rejects an idPath value that is %s', (_what, json) => {
    const decode = createJsonDecoder({ ...defaults, idPath: 'header.ids[1]' });
    expect(expectFailure(() => decode.decode(message({ json })), 'INVALID_EVENT')).toContain('header.ids[1]');
  });

  it('never resolves inherited properties through a path', () => {
    const decode = createJsonDecoder({ ...defaults, idPath: 'constructor.name' });
    expectFailure(() => decode.decode(message({ json: { a: 1 } })), 'INVALID_EVENT');
    const proto = createJsonDecoder({ ...defaults, keyPath: '__proto__' });
    expectFailure(() => proto.decode(message({ json: { a: 1 } })), 'INVALID_EVENT');
  });

  it('rejects a payload id that is present but unusable instead of inventing one', () => {
    expectFailure(() => decoder.decode(message({ json: { id: { nested: true } } })), 'INVALID_EVENT');
    expectFailure(() => decoder.decode(message({ json: { id: '' } })), 'INVALID_EVENT');
  });

  it('falls back to the transport position for the id', () => {
    expect(decoder.decode(message({ json: { a: 1 } })).id).toBe('orders:3:42');
    expect(decoder.decode(message({ json: { a: 1, id: null } })).id).toBe('orders:3:42');
    const memory = decoder.decode(message({ json: { a: 1 }, origin: { transport: 'memory', stream: 's', sequence: 5 } }));
    expect([memory.id, memory.source]).toEqual(['s:5', '/modelbridge/json/s']);
  });

  it('uses the AMQP message-id header, else a stable content hash', () => {
    const amqp = decoder.decode(message({ json: { a: 1 }, origin: AMQP_ORIGIN, headers: { 'message-id': 'm-1' } }));
    expect([amqp.id, amqp.source]).toEqual(['m-1', '/modelbridge/json/orders-q']);
    const first = decoder.decode(message({ json: { a: 1 }, origin: AMQP_ORIGIN }));
    const redelivered = decoder.decode(message({ json: { a: 1 }, origin: { ...AMQP_ORIGIN, deliveryTag: 99 } }));
    const other = decoder.decode(message({ json: { a: 2 }, origin: AMQP_ORIGIN }));
    expect(first.id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(redelivered.id).toBe(first.id);
    expect(other.id).not.toBe(first.id);
  });

  it('base64-encodes a key that is not UTF-8, and omits an empty one', () => {
    expect(decoder.decode(message({ json: { a: 1 }, key: Buffer.from([0xff, 0xfe]) })).partitionkey).toBe('//4=');
    expect(decoder.decode(message({ json: { a: 1 }, key: Buffer.alloc(0) }))).not.toHaveProperty('partitionkey');
  });

  it.each(['00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7', '00-00000000000000000000000000000000-00f067aa0ba902b7-01', 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01'])(
    'ignores the malformed traceparent %s',
    (traceparent) => {
      expect(decoder.decode(message({ json: { a: 1 }, headers: { traceparent } }))).not.toHaveProperty('traceparent');
    },
  );

  it.each(['application/json', 'Application/JSON; charset=utf-8', 'application/vnd.sap+json', 'text/json'])('accepts the content type %s', (contentType) => {
    expect(decoder.decode(message({ json: { a: 1 }, contentType })).data).toEqual({ a: 1 });
    expect(decoder.decode(message({ json: { a: 1 }, headers: { 'Content-Type': Buffer.from(contentType) } })).data).toEqual({ a: 1 });
  });

  it.each(['text/plain', 'application/xml', 'application/avro', 'application/jsonx'])('rejects the content type %s', (contentType) => {
    expectFailure(() => decoder.decode(message({ json: { a: 1 }, contentType })), 'UNSUPPORTED_CONTENT_TYPE');
    expectFailure(() => decoder.decode(message({ json: { a: 1 }, headers: { 'content-type': contentType } })), 'UNSUPPORTED_CONTENT_TYPE');
  });

  describe('hostile payloads', () => {
    it('rejects a missing or empty value as EMPTY_MESSAGE', () => {
      expectFailure(() => decoder.decode(message({ value: null })), 'EMPTY_MESSAGE');
      expectFailure(() => decoder.decode(message({ value: Buffer.alloc(0) })), 'EMPTY_MESSAGE');
    });

    it.each([
      ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d])],
      ['an overlong encoding', Buffer.from([0x7b, 0x22, 0xc0, 0xaf, 0x22, 0x3a, 0x31, 0x7d])],
      ['truncated JSON', Buffer.from('{"password":"hunter2","a":')],
      ['whitespace', Buffer.from('   ')],
      ['trailing garbage', Buffer.from('{"a":1} x')],
      ['a single quote', Buffer.from("{'a':1}")],
    ])('rejects %s as MALFORMED_PAYLOAD without quoting the payload', (_what, value) => {
      const text = expectFailure(() => decoder.decode(message({ value })), 'MALFORMED_PAYLOAD');
      expect(text).not.toContain('hunter2');
    });

    it.each([
      ['an array', [1, 2]],
      ['a number', 42],
      ['a string', 'order'],
      ['null', null],
      ['a boolean', true],
    ])('rejects %s at the top level as INVALID_EVENT', (_what, json) => {
      expectFailure(() => decoder.decode(message({ value: Buffer.from(JSON.stringify(json)) })), 'INVALID_EVENT');
    });

    it('survives huge nesting', () => {
      const depth = 200_000;
      const value = Buffer.from(`{"a":${'['.repeat(depth)}${']'.repeat(depth)}}`);
      let outcome: unknown;
      try {
        outcome = decoder.decode(message({ value }));
      } catch (error) {
        outcome = error;
      }
      expect(isModelbridgeError(outcome) || (outcome as { specversion?: string }).specversion === '1.0').toBe(true);
    });

    it('accepts a UTF-8 byte order mark', () => {
      const value = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a":"é"}')]);
      expect(decoder.decode(message({ value })).data).toEqual({ a: 'é' });
    });
  });

  it.each(['a..b', 'a[', 'a[x]', 'a]', 'a[1]b', 'a[-1]'])('refuses the malformed path %s at creation', (idPath) => {
    let thrown: unknown;
    try {
      createJsonDecoder({ ...defaults, idPath });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ code: 'CONFIG_INVALID', issues: [{ path: 'decode.idPath', message: expect.stringContaining(idPath) }] });
  });
});
