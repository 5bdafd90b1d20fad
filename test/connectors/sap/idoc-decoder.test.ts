import { describe, expect, it } from 'vitest';
import { createIdocDecoder } from '../../../connectors/sap/idoc-decoder.ts';
import type { DecodeConfig } from '../../../schemas/connector-config.ts';
import { canonicalEventSchema } from '../../../schemas/event.ts';
import { ConfigError } from '../../../schemas/config-error.ts';
import { sapFixture } from '../../fixtures/sap/fixtures.ts';
import { expectFailure, message } from '../json/message-fixtures.ts';

const config = (idoc?: DecodeConfig['idoc'], keyPath?: string): DecodeConfig => ({ format: 'sap-idoc', type: 'unused', idoc, keyPath });
const decoder = createIdocDecoder(config());
const xml = (text: string) => message({ value: Buffer.from(text), contentType: 'application/xml' });
const control = '<EDI_DC40 SEGMENT="1"><DOCNUM>0000000000000007</DOCNUM><IDOCTYP>ZFOO01</IDOCTYP><SNDPRT>LS</SNDPRT><SNDPRN>Q1CLNT100</SNDPRN></EDI_DC40>';
const idoc = (segments: string, root = 'ZFOO01') => `<${root}><IDOC BEGIN="1">${control}${segments}</IDOC></${root}>`;

describe('sap-idoc decoder, ORDERS05', () => {
  const event = decoder.decode(message({ value: sapFixture('orders05.xml'), timestamp: 1_418_826_801_000 }));
  const segments = (event.data as { segments: Record<string, Record<string, unknown>[]> }).segments;

  it('maps the control record to id, type, source; keys by the purchase order number', () => {
    expect(event).toMatchObject({
      specversion: '1.0',
      id: '0000000064132944',
      type: 'sap.idoc.ORDERS05./LUMBERL/VFI_ORDERS',
      source: '/sap/idoc/LS/EQ2CLNT100',
      partitionkey: '4700000325',
      subject: '4700000325',
      time: '2014-12-17T14:33:21.000Z',
      datacontenttype: 'application/json',
    });
    expect(canonicalEventSchema.safeParse(event).success).toBe(true);
  });

  it('keeps the control record as strings, zero padding and dates untouched', () => {
    expect((event.data as { control: Record<string, string> }).control).toMatchObject({ DOCNUM: '0000000064132944', CREDAT: '20141217', CRETIM: '143321', MESTYP: '/LUMBERL/VFI_ORDERS' });
    expect((event.data as { idocType: string }).idocType).toBe('ORDERS05');
  });

  it('keeps segments in order with repetition, nested segments inside their parent', () => {
    expect(Object.keys(segments)).toEqual(['E1EDK01', 'E1EDK14', 'E1EDK03', 'E1EDKA1', 'E1EDK02', 'E1EDP01', 'E1EDS01']);
    expect(segments.E1EDK14!.map((s) => s.QUALF)).toEqual(['014', '009', '013', '011']);
    expect(segments.E1EDK01).toHaveLength(1);
    const items = segments.E1EDP01!;
    expect(items.map((item) => item.POSEX)).toEqual(['00001', '00002']);
    expect(items[0]).toMatchObject({ MENGE: '5602.800', E1EDP19: [{ IDTNR: '000000000010001547', KTEXT: 'SCH ENG Bamboo QC 9/16x5" Strand Nat' }] });
    expect((items[1]!.E1EDP20 as unknown[]).length).toBe(2);
    expect((items[1]!.E1EDP19 as Record<string, string>[])[0]!.KTEXT).toBe('Oak & Maple Mix');
  });
});

describe('sap-idoc decoder, DEBMAS07', () => {
  it('keys by the customer number and nests contact persons and sales areas', () => {
    const event = decoder.decode(message({ value: sapFixture('debmas07.xml') }));
    expect(event).toMatchObject({ id: '0000000001086095', type: 'sap.idoc.DEBMAS07.DEBMAS', source: '/sap/idoc/LS/EH6CLNT800', partitionkey: '0000099009' });
    expect(event).not.toHaveProperty('time');
    const customer = (event.data as { segments: { E1KNA1M: Record<string, unknown>[] } }).segments.E1KNA1M[0]!;
    expect(customer).toMatchObject({ KUNNR: '0000099009', NAME1: 'Janko Hrasko', E1KNVVM: [{ VKORG: '1000' }], E1KNB1M: [{ UMSAV: '1234.56-' }] });
    expect((customer.E1KNVKM as unknown[]).length).toBe(2);
  });

  it('types fields on request: zero-padded numbers, trailing-minus amounts, YYYYMMDD and initial dates, HHMMSS', () => {
    const typed = createIdocDecoder(config({ maxDepth: 32, maxElements: 200_000, typedFields: { UMSAV: 'number', DATLZ: 'date', ABTNR: 'number', 'E1KNA1M.UMJAH': 'number' } }));
    const customer = (typed.decode(message({ value: sapFixture('debmas07.xml') })).data as { segments: { E1KNA1M: Record<string, unknown>[] } }).segments.E1KNA1M[0]!;
    expect(customer.UMJAH).toBe(0);
    expect((customer.E1KNB1M as Record<string, unknown>[])[0]).toMatchObject({ UMSAV: -1234.56, DATLZ: null, AKONT: '0000140000' });
    expect((customer.E1KNVKM as Record<string, unknown>[])[0]!.ABTNR).toBe(2);
    expect((customer.E1KNVKM as Record<string, unknown>[])[1]).not.toHaveProperty('ABTNR');

    const orders = createIdocDecoder(config({ maxDepth: 32, maxElements: 200_000, typedFields: { DATUM: 'date', UZEIT: 'time', MENGE: 'number' } }));
    const segments = (orders.decode(message({ value: sapFixture('orders05.xml') })).data as { segments: Record<string, Record<string, unknown>[]> }).segments;
    expect(segments.E1EDK02![0]).toMatchObject({ DATUM: '2014-08-05', UZEIT: '14:33:20', BELNR: '4700000325' });
    expect(segments.E1EDP01![0]!.MENGE).toBe(5602.8);
    expect((segments.E1EDK01![0] as Record<string, unknown>).RECIPNT_NO).toBe('0000100131');
  });

  it.each([
    [{ MENGE: 'number' }, '<MENGE>12,5</MENGE>'],
    [{ MENGE: 'number' }, '<MENGE>99999999999999999999</MENGE>'],
    [{ DATUM: 'date' }, '<DATUM>20140231</DATUM>'],
    [{ UZEIT: 'time' }, '<UZEIT>250000</UZEIT>'],
  ] as const)('refuses a typed field %j that does not fit: %s', (typedFields, field) => {
    const typed = createIdocDecoder(config({ maxDepth: 32, maxElements: 200_000, typedFields }));
    expectFailure(() => typed.decode(xml(idoc(`<Z1SEG SEGMENT="1">${field}</Z1SEG>`))), 'INVALID_EVENT');
  });
});

describe('sap-idoc decoder, any IDoc type', () => {
  it('reads an unknown type keyed by DOCNUM, with namespaces, CDATA, comments, empty fields and segments', () => {
    const event = decoder.decode(
      xml(`<?xml version="1.0" encoding="utf-8"?><!-- c --><ns0:ZFOO01 xmlns:ns0="urn:sap-com:document:sap:idoc:messages"><IDOC BEGIN="1">${control}<Z1A SEGMENT="1"><F><![CDATA[<raw & text>]]></F><G/><H>&#65;&#x42;&lt;</H></Z1A><Z1B SEGMENT="1"/></IDOC></ns0:ZFOO01>`),
    );
    expect(event).toMatchObject({ id: '0000000000000007', type: 'sap.idoc.ZFOO01', partitionkey: '0000000000000007' });
    expect(event).not.toHaveProperty('subject');
    expect((event.data as { segments: unknown }).segments).toEqual({ Z1A: [{ F: '<raw & text>', G: '', H: 'AB<' }], Z1B: [{}] });
  });

  it('takes the partition key from decode.keyPath when configured, and refuses a malformed keyPath at start-up', () => {
    const keyed = createIdocDecoder(config(undefined, 'segments.Z1A[0].F'));
    expect(keyed.decode(xml(idoc('<Z1A SEGMENT="1"><F>k-1</F></Z1A>'))).partitionkey).toBe('k-1');
    expectFailure(() => keyed.decode(xml(idoc('<Z1B SEGMENT="1"/>'))), 'INVALID_EVENT');
    expect(() => createIdocDecoder(config(undefined, 'a..b'))).toThrow(ConfigError);
  });

  it.each([
    ['no control record', '<ZFOO01><IDOC BEGIN="1"><Z1A SEGMENT="1"/></IDOC></ZFOO01>'],
    ['two IDocs in one message', `<ZFOO01><IDOC BEGIN="1">${control}</IDOC><IDOC BEGIN="1">${control}</IDOC></ZFOO01>`],
    ['no IDOC element', '<ZFOO01><X/></ZFOO01>'],
    ['no DOCNUM', '<ZFOO01><IDOC><EDI_DC40><IDOCTYP>X</IDOCTYP><SNDPRT>LS</SNDPRT><SNDPRN>P</SNDPRN></EDI_DC40></IDOC></ZFOO01>'],
    ['text inside a segment', idoc('<Z1A SEGMENT="1">stray<F>1</F></Z1A>')],
    ['a name used as field and segment', idoc('<Z1A SEGMENT="1"><F>1</F><F SEGMENT="1"><G/></F></Z1A>')],
  ])('refuses %s as INVALID_EVENT', (_what, text) => {
    expectFailure(() => decoder.decode(xml(text)), 'INVALID_EVENT');
  });

  it.each([
    ['truncated XML', idoc('<Z1A SEGMENT="1"><F>1</F></Z1A>').slice(0, -12)],
    ['mismatched tags', idoc('<Z1A SEGMENT="1"><F>1</G></Z1A>')],
    ['two roots', `${idoc('')}<X/>`],
    ['text outside the root', `junk${idoc('')}`],
    ['a bare ampersand', idoc('<Z1A SEGMENT="1"><F>a & b</F></Z1A>')],
    ['a reference to U+0000', idoc('<Z1A SEGMENT="1"><F>&#0;</F></Z1A>')],
    ['a Latin-1 declaration', `<?xml version="1.0" encoding="ISO-8859-1"?>${idoc('')}`],
    ['not XML at all', '{"json":true}'],
  ])('refuses %s as MALFORMED_PAYLOAD', (_what, text) => {
    expectFailure(() => decoder.decode(xml(text)), 'MALFORMED_PAYLOAD');
  });

  it('refuses empty messages and non-XML content types', () => {
    expectFailure(() => decoder.decode(message()), 'EMPTY_MESSAGE');
    expectFailure(() => decoder.decode(message({ value: sapFixture('orders05.xml'), contentType: 'application/json' })), 'UNSUPPORTED_CONTENT_TYPE');
  });
});

describe('sap-idoc decoder, hostile XML', () => {
  it.each(['billion-laughs.xml', 'xxe.xml', 'parameter-entity.xml'])('refuses %s as UNSAFE_PAYLOAD before parsing', (name) => {
    const reason = expectFailure(() => decoder.decode(message({ value: sapFixture(name) })), 'UNSAFE_PAYLOAD');
    expect(reason).toMatch(/DOCTYPE/);
  });

  it('refuses a reference to an undeclared entity', () => {
    expect(expectFailure(() => decoder.decode(message({ value: sapFixture('undeclared-entity.xml') })), 'UNSAFE_PAYLOAD')).toMatch(/&xxe;/);
  });

  it('refuses an ENTITY declaration or DOCTYPE anywhere, not only in the prolog', () => {
    expectFailure(() => decoder.decode(xml(idoc('<!ENTITY a "b">'))), 'UNSAFE_PAYLOAD');
    expectFailure(() => decoder.decode(xml(idoc('<Z1A SEGMENT="1"><!doctype x></Z1A>'))), 'UNSAFE_PAYLOAD');
  });

  it('accepts DTD-looking text inside CDATA and comments', () => {
    const event = decoder.decode(xml(idoc('<!-- <!DOCTYPE x> --><Z1A SEGMENT="1"><F><![CDATA[<!DOCTYPE x [<!ENTITY y "z">]> &y;]]></F></Z1A>')));
    expect((event.data as { segments: { Z1A: { F: string }[] } }).segments.Z1A[0]!.F).toBe('<!DOCTYPE x [<!ENTITY y "z">]> &y;');
  });

  it('bounds nesting depth by decode.idoc.maxDepth', () => {
    const nested = (depth: number) => idoc(`${'<Z1A SEGMENT="1">'.repeat(depth)}<F>1</F>${'</Z1A>'.repeat(depth)}`);
    const shallow = createIdocDecoder(config({ maxDepth: 8, maxElements: 200_000, typedFields: {} }));
    expect(() => shallow.decode(xml(nested(4)))).not.toThrow();
    expect(expectFailure(() => shallow.decode(xml(nested(6))), 'UNSAFE_PAYLOAD')).toMatch(/deeper than 8/);
    expectFailure(() => decoder.decode(xml(nested(100_000))), 'UNSAFE_PAYLOAD');
  });

  it('bounds the element count', () => {
    const small = createIdocDecoder(config(), { maxElements: 50 });
    expect(() => small.decode(xml(idoc('<Z1A SEGMENT="1"/>'.repeat(20))))).not.toThrow();
    expect(expectFailure(() => small.decode(xml(idoc('<Z1A SEGMENT="1"/>'.repeat(60)))), 'UNSAFE_PAYLOAD')).toMatch(/more than 50 elements/);
  });

  // Its speed is a benchmark matter (no timing assertions in the test suite); here only that it completes.
  it('parses a large flat IDoc', () => {
    const big = idoc('<Z1A SEGMENT="1"><F>1</F><G>2</G></Z1A>'.repeat(20_000));
    const event = decoder.decode(xml(big));
    expect((event.data as { segments: { Z1A: unknown[] } }).segments.Z1A).toHaveLength(20_000);
  });
});
