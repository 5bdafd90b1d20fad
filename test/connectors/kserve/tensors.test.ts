import { describe, expect, it } from 'vitest';
import { isModelbridgeError } from '../../../schemas/errors.ts';
import { flattenData, toWireTensor } from '../../../connectors/kserve/tensors.ts';
import type { Datatype } from '../../../connectors/kserve/tensors.ts';

describe('toWireTensor', () => {
  it.each([
    ['a string scalar', 'hi', undefined, 'BYTES', [1], ['hi']],
    ['a boolean scalar', true, undefined, 'BOOL', [1], [true]],
    ['an integer scalar', 3, undefined, 'INT64', [1], [3]],
    ['a float scalar', 0.5, undefined, 'FP64', [1], [0.5]],
    ['a string array', ['a', 'b'], undefined, 'BYTES', [2], ['a', 'b']],
    ['integers and floats', [1, 2.5], undefined, 'FP64', [2], [1, 2.5]],
    ['a matrix', [[1, 2, 3], [4, 5, 6]], undefined, 'INT64', [2, 3], [1, 2, 3, 4, 5, 6]],
    ['a 3-d tensor', [[[true], [false]]], undefined, 'BOOL', [1, 2, 1], [true, false]],
    ['integers as configured FP32', [1, 2], 'FP32', 'FP32', [2], [1, 2]],
    ['integers as configured INT32', 7, 'INT32', 'INT32', [1], [7]],
    ['an empty array with a configured datatype', [], 'BYTES', 'BYTES', [0], []],
  ] as const)('maps %s', (_, value, configured, datatype, shape, data) => {
    expect(toWireTensor('X', value, configured as Datatype | undefined)).toEqual({ name: 'X', datatype, shape, data });
  });

  it('sends a flat array without copying it', () => {
    const value = ['a', 'b'];
    expect(toWireTensor('X', value).data).toBe(value);
  });

  it.each([
    ['a ragged array', [[1, 2], [3]], undefined, /ragged/],
    ['an array mixing scalars and arrays', [1, [2]], undefined, /ragged/],
    ['mixed element types', ['a', 1], undefined, /mixes/],
    ['null', null, undefined, /null/],
    ['an object element', [{ a: 1 }], undefined, /element 0 is object/],
    ['NaN', [1, Number.NaN], undefined, /element 1 is NaN/],
    ['an empty array without a datatype', [], undefined, /empty array/],
    ['strings for a numeric datatype', ['1'], 'FP32', /do not fit the configured datatype FP32/],
    ['floats for an integer datatype', [1.5], 'INT64', /INT64/],
  ] as const)('refuses %s with MAPPING_FAILED', (_, value, configured, message) => {
    let thrown: unknown;
    try {
      toWireTensor('X', value, configured as Datatype | undefined);
    } catch (error) {
      thrown = error;
    }
    expect(isModelbridgeError(thrown)).toBe(true);
    expect(thrown).toMatchObject({ code: 'MAPPING_FAILED', retryable: false, stage: 'map' });
    expect((thrown as Error).message).toMatch(message);
  });
});

describe('flattenData', () => {
  it('flattens nested data and keeps flat data as it is', () => {
    const flat = [1, 2];
    expect(flattenData(flat)).toBe(flat);
    expect(flattenData([[1, 2], [3, [4]]])).toEqual([1, 2, 3, 4]);
  });
});
