import jsonata from 'jsonata';
import { describe, expect, it } from 'vitest';
import { compileKeyExpression, configuredKey } from '../../../connectors/decoding/key-expression.ts';
import { ConfigError } from '../../../schemas/config-error.ts';

const IDOC = {
  idocType: 'ZMMSTOCKRECON_01',
  control: { DOCNUM: '0000000020884979', SNDPRN: '0001120019', MANDT: '100' },
  segments: {
    Z1STOCK_RECON_01: [
      { MATNR: '001419N', WERKS: 'MY06', GESME: '1180' },
      { MATNR: '3286RD', WERKS: 'MY06', GESME: '3600', BESTQ: 'S' },
      { MATNR: 'C0936812', WERKS: 'MY07', GESME: '72' },
    ],
  },
};
const FREIGHT = { TransportationOrder: '6600000706', TransportationOrderType: 'SFO2', Carrier: 17386001, Empty: '', Nothing: null };

// Each expression is evaluated by jsonata itself too: the synchronous evaluator must agree with it.
const AGREEMENT: readonly [string, unknown][] = [
  ['segments.Z1STOCK_RECON_01[0].MATNR', IDOC],
  ['segments.Z1STOCK_RECON_01[-1].MATNR', IDOC],
  ['segments.Z1STOCK_RECON_01.WERKS', IDOC],
  ['segments.Z1STOCK_RECON_01[BESTQ = "S"].MATNR', IDOC],
  ['segments.Z1STOCK_RECON_01[WERKS != "MY06"][0].GESME', IDOC],
  ['control.SNDPRN & "/" & segments.Z1STOCK_RECON_01[0].WERKS', IDOC],
  ['$join([control.MANDT, control.DOCNUM], "-")', IDOC],
  ['$join(segments.Z1STOCK_RECON_01.MATNR, ",")', IDOC],
  ['$substring(control.DOCNUM, 8)', IDOC],
  ['$substring(control.DOCNUM, -4, 2)', IDOC],
  ['$substringBefore(TransportationOrderType & "-x", "-")', FREIGHT],
  ['$substringAfter("a:b:c", ":")', FREIGHT],
  ['$uppercase($trim("  sfo2  carrier "))', FREIGHT],
  ['$lowercase(TransportationOrderType)', FREIGHT],
  ['$string(Carrier)', FREIGHT],
  ['Carrier & ""', FREIGHT],
  ['TransportationOrder ? TransportationOrder : Carrier', FREIGHT],
  ['Missing ? Missing : Carrier', FREIGHT],
  ['$exists(Missing) ? "yes" : "no"', FREIGHT],
  ['(Empty = "" and Carrier > 5) or Nothing', FREIGHT],
  ['$.TransportationOrder', FREIGHT],
  ['$$.Carrier', FREIGHT],
  ['Missing', FREIGHT],
  ['Nothing', FREIGHT],
  ['-Carrier', FREIGHT],
];

describe('key expressions', () => {
  it.each(AGREEMENT)('evaluates %s as jsonata does', async (source, data) => {
    const expected: unknown = await jsonata(source).evaluate(data);
    const actual = compileKeyExpression(source, 'decode.keyPath').read(data);
    // jsonata marks its sequences with extra properties; compare plain values.
    expect(actual).toEqual(expected === undefined ? undefined : JSON.parse(JSON.stringify(expected)));
  });

  it('reads plain dot paths without jsonata, names with dashes included', () => {
    expect(compileKeyExpression('order-id.value', 'k').read({ 'order-id': { value: 'A-1' } })).toBe('A-1');
    expect(compileKeyExpression('items[1].sku', 'k').read({ items: [{ sku: 'a' }, { sku: 'b' }] })).toBe('b');
  });

  it('refuses at start-up what it does not evaluate, naming it', () => {
    for (const source of ['$sum(items.price)', 'items{sku: price}', '$x := 1', 'a.b ~> $string()', 'a ++ ']) {
      expect(() => compileKeyExpression(source, 'decode.keyPath'), source).toThrow(ConfigError);
    }
    expect(() => compileKeyExpression('$sum(a)', 'decode.keyPath')).toThrow(/not the function \$sum/);
    expect(() => compileKeyExpression('a..b', 'decode.keyPath')).toThrow(ConfigError);
  });

  it('turns the value into a key: trimmed text or a number, else INVALID_EVENT', () => {
    const key = (source: string, data: unknown) => configuredKey(compileKeyExpression(source, 'decode.keyPath'), data);
    expect(key('TransportationOrder', FREIGHT)).toBe('6600000706');
    expect(key('Carrier', FREIGHT)).toBe('17386001');
    expect(key('"  padded  "', {})).toBe('padded');
    for (const source of ['Empty', 'Nothing', 'Missing', 'segments.Z1STOCK_RECON_01.MATNR', 'segments']) {
      expect(() => key(source, { ...FREIGHT, ...IDOC }), source).toThrow(expect.objectContaining({ code: 'INVALID_EVENT', retryable: false }));
    }
    expect(() => key('segments.Z1STOCK_RECON_01.MATNR', IDOC)).toThrow(/found 3 values/);
    expect(() => key('x', { x: 'k'.repeat(1025) })).toThrow(/longer than 1024/);
  });
});
