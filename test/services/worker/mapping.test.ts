import { describe, expect, it } from 'vitest';
import { compileMapping, compilePath } from '../../../services/worker/mapping.ts';

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
