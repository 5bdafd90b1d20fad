import { describe, expect, it } from 'vitest';
import { compileMapping, compilePath } from '../../schemas/mapping.ts';

describe('compilePath', () => {
  const root = { data: { items: [{ name: 'x' }, { name: 'y' }], n: 0, f: false }, outputs: { LABEL: ['positive'] } };

  it.each([
    ['data.items[1].name', 'y'],
    ['outputs.LABEL[0]', 'positive'],
    ['data.n', 0],
    ['data.f', false],
    ['data.items[5].name', undefined],
    ['data.missing.deeper', undefined],
    ['data.n.x', undefined],
    ['constructor', undefined],
    ['data.__proto__', undefined],
  ])('%s → %j', (path, expected) => {
    expect(compilePath(path).get(root)).toEqual(expected);
  });

  it('rejects an empty path at compile time', () => {
    expect(() => compilePath('..')).toThrow(/empty/);
  });
});

describe('compileMapping', () => {
  it('maps every field and names the missing one', () => {
    const mapping = compileMapping({ TEXT: 'data.text', ID: 'id' });
    expect(mapping.apply({ id: '1', data: { text: 'hi' } }, 'request')).toEqual({ TEXT: 'hi', ID: '1' });
    expect(() => mapping.apply({ id: '1', data: {} }, 'request')).toThrow(expect.objectContaining({ code: 'MAPPING_FAILED', retryable: false }));
    expect(() => mapping.apply({ id: '1', data: {} }, 'request')).toThrow(/TEXT ← data\.text/);
  });
});

describe('compileMapping with JSONata', () => {
  const event = { id: 'e1', data: { text: 'Hello', items: [{ sku: 'A', price: 5 }, { sku: 'B', price: 20 }] } };

  it('evaluates expressions asynchronously and plain paths synchronously', async () => {
    const plain = compileMapping({ TEXT: 'data.text' });
    expect(plain.async).toBe(false);
    const mixed = compileMapping({ TEXT: '$uppercase(data.text)', SKUS: 'data.items[price > 10].sku', ID: 'id' });
    expect(mixed.async).toBe(true);
    expect(await mixed.applyAsync(event, 'request')).toEqual({ TEXT: 'HELLO', SKUS: 'B', ID: 'e1' });
    expect(() => mixed.apply(event, 'request')).toThrow(/applyAsync/);
  });

  it('returns plain arrays for sequences', async () => {
    const mapping = compileMapping({ SKUS: 'data.items.sku' });
    const out = await mapping.applyAsync(event, 'request');
    expect(out.SKUS).toEqual(['A', 'B']);
    expect(Object.getPrototypeOf(out.SKUS)).toBe(Array.prototype);
  });

  it('fails a missing value or an evaluation error with MAPPING_FAILED', async () => {
    await expect(compileMapping({ X: 'data.nothing & "x"' }).applyAsync({ data: {} }, 'request')).resolves.toEqual({ X: 'x' });
    await expect(compileMapping({ X: '$lowercase(data.missing)' }).applyAsync(event, 'request')).rejects.toMatchObject({ code: 'MAPPING_FAILED' });
    await expect(compileMapping({ X: '$number("abc") + data.text' }).applyAsync(event, 'request')).rejects.toMatchObject({ code: 'MAPPING_FAILED', retryable: false });
  });

  it('rejects an expression that does not compile at start-up, naming the field', () => {
    expect(() => compileMapping({ SCORE: 'data.items[' })).toThrow(/SCORE: invalid expression/);
  });
});
