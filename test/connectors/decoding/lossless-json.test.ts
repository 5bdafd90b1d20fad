import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseJson } from '../../../connectors/decoding/payload.ts';

/**
 * The reference: a plain recursive-descent JSON reader that keeps integer literals beyond ±2^53 as
 * their text. (Node 24's reviver `context.source` is no oracle: V8 leaves it out for some values.)
 */
function reference(text: string): unknown {
  let at = 0;
  const space = (): void => {
    while (at < text.length && ' \t\n\r'.includes(text[at]!)) at++;
  };
  const value = (): unknown => {
    space();
    const c = text[at];
    if (c === '{') {
      at++;
      const out: Record<string, unknown> = {};
      space();
      if (text[at] === '}') return at++, out;
      for (;;) {
        space();
        const key = string();
        space();
        if (text[at++] !== ':') throw new SyntaxError('colon');
        Object.defineProperty(out, key, { value: value(), enumerable: true, writable: true, configurable: true });
        space();
        if (text[at] === ',') at++;
        else if (text[at++] === '}') return out;
        else throw new SyntaxError('object');
      }
    }
    if (c === '[') {
      at++;
      const out: unknown[] = [];
      space();
      if (text[at] === ']') return at++, out;
      for (;;) {
        out.push(value());
        space();
        if (text[at] === ',') at++;
        else if (text[at++] === ']') return out;
        else throw new SyntaxError('array');
      }
    }
    if (c === '"') return string();
    const literal = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|^true|^false|^null/.exec(text.slice(at));
    if (!literal) throw new SyntaxError('value');
    at += literal[0].length;
    const parsed: unknown = JSON.parse(literal[0]);
    return typeof parsed === 'number' && /^-?\d+$/.test(literal[0]) && !Number.isSafeInteger(parsed) ? literal[0] : parsed;
  };
  const string = (): string => {
    const match = /^"(?:[^"\\\u0000-\u001f]|\\.)*"/.exec(text.slice(at));
    if (!match) throw new SyntaxError('string');
    at += match[0].length;
    return JSON.parse(match[0]) as string;
  };
  const result = value();
  space();
  if (at !== text.length) throw new SyntaxError('trailing');
  return result;
}

const bigInteger = fc.bigInt({ min: -(10n ** 22n), max: 10n ** 22n }).map((n) => n.toString());
const trickyString = fc.constantFrom('a:12345678901234567890,', '\\"', '\\\\', '[12345678901234567890]', 'x\\\\":9007199254740993}', '');

/** JSON text with big integer literals and strings that look like them, at any depth. */
const document = fc
  .letrec((tie) => ({
    value: fc.oneof({ depthSize: 'small' }, bigInteger, fc.jsonValue({ maxDepth: 1 }).map((v) => JSON.stringify(v)), trickyString.map((s) => `"${s}"`), tie('object'), tie('array')),
    // Keys without escapes: in one run V8's JSON.parse itself returned a different escaped key than it
    // parsed in isolation, and this test is about the quoting of numbers, not that.
    object: fc.dictionary(fc.oneof(fc.stringMatching(/^[\w :,[\]]{0,6}$/), fc.constantFrom('a:12345678901234567890,', '[12345678901234567890]')), tie('value'), { maxKeys: 4 }).map((o) => `{${Object.entries(o).map(([k, v]) => `${JSON.stringify(k)} : ${v}`).join(' ,')}}`),
    array: fc.array(tie('value'), { maxLength: 4 }).map((items) => `[ ${items.join(',')}]`),
  }))
  .object as fc.Arbitrary<string>;

describe('lossless JSON', () => {
  it('keeps integers beyond 2^53 as their exact text, and nothing else, as a reference reader does', () => {
    fc.assert(
      fc.property(document, (text) => {
        let expected: unknown;
        try {
          expected = reference(text);
        } catch {
          // Some generated strings end a JSON string early: invalid input must stay invalid.
          expect(() => parseJson(text)).toThrow(expect.objectContaining({ code: 'MALFORMED_PAYLOAD' }));
          return;
        }
        // Compared as JSON text: the same values in the same order (toEqual also tells -0 from 0).
        expect(JSON.stringify(parseJson(text))).toBe(JSON.stringify(expected));
      }),
      { numRuns: 3000 },
    );
  });

  it('leaves invalid JSON invalid (a leading zero is no number) and reports MALFORMED_PAYLOAD', () => {
    expect(() => parseJson('{"n":01234567890123456789}')).toThrow(expect.objectContaining({ code: 'MALFORMED_PAYLOAD' }));
    expect(() => parseJson('{"n":12345678901234567890')).toThrow(expect.objectContaining({ code: 'MALFORMED_PAYLOAD' }));
  });

  it('keeps safe integers, fractions and exponents as numbers', () => {
    expect(parseJson('{"a":9007199254740991,"b":-9007199254740991,"c":12345678901234567890.5,"d":1e21,"e":9007199254740993}')).toEqual({
      a: 9007199254740991,
      b: -9007199254740991,
      c: 12345678901234567890.5,
      d: 1e21,
      e: '9007199254740993',
    });
  });
});
