import { describe, expect, it } from 'vitest';
import { fromContents, fromRaw, toContents, toRaw, WireFormatError } from '../../../connectors/kserve/grpc-tensors.ts';
import { fromBf16, fromFp16, toBf16, toFp16 } from '../../../connectors/kserve/half-float.ts';
import { INFERENCE_SERVICE } from '../../../connectors/kserve/grpc-proto.ts';

const cases: [string, unknown[]][] = [
  ['BOOL', [true, false, true]],
  ['INT8', [-128, 0, 127]],
  ['UINT8', [0, 255]],
  ['INT16', [-32_768, 32_767]],
  ['UINT16', [0, 65_535]],
  ['INT32', [-2_147_483_648, 2_147_483_647]],
  ['UINT32', [0, 4_294_967_295]],
  ['INT64', [Number.MIN_SAFE_INTEGER, -1, Number.MAX_SAFE_INTEGER]],
  ['UINT64', [0, Number.MAX_SAFE_INTEGER]],
  ['FP32', [0.5, -2.25, 1e10]],
  ['FP64', [0.1, -1e300, Number.MIN_VALUE]],
  ['BYTES', ['', 'ä€𝄞', 'plain']],
];

describe('gRPC tensor codecs', () => {
  it.each(cases)('%s survives raw encoding', (datatype, data) => {
    expect(fromRaw(datatype, toRaw(datatype, data), data.length)).toEqual(data);
  });

  it.each(cases)('%s survives typed contents through protobuf serialization', (datatype, data) => {
    const method = INFERENCE_SERVICE.ModelInfer!;
    const wire = method.requestSerialize({ model_name: 'm', inputs: [{ name: 'X', datatype, shape: [data.length], contents: toContents(datatype, data) }] });
    const decoded = method.requestDeserialize(wire) as { inputs: { contents: Parameters<typeof fromContents>[1] }[] };
    expect(fromContents(datatype, decoded.inputs[0]!.contents, data.length)).toEqual(data);
  });

  it('keeps int64 values beyond 2^53 as exact decimal strings', () => {
    const raw = Buffer.alloc(8);
    raw.writeBigInt64LE(2n ** 62n);
    expect(fromRaw('INT64', raw, 1)).toEqual(['4611686018427387904']);
    expect(fromContents('UINT64', { uint64_contents: ['18446744073709551615'] }, 1)).toEqual(['18446744073709551615']);
  });

  it('writes BYTES as 4-byte little-endian lengths followed by the bytes', () => {
    expect(toRaw('BYTES', ['ab', ''])).toEqual(Buffer.from([2, 0, 0, 0, 0x61, 0x62, 0, 0, 0, 0]));
  });

  it.each([
    ['a fixed-size tensor of the wrong length', () => fromRaw('FP32', Buffer.alloc(6), 2)],
    ['BYTES with a length past the end', () => fromRaw('BYTES', Buffer.from([5, 0, 0, 0, 1]), 1)],
    ['BYTES with trailing bytes', () => fromRaw('BYTES', Buffer.from([0, 0, 0, 0, 1]), 1)],
    ['BYTES missing elements', () => fromRaw('BYTES', Buffer.alloc(0), 1)],
    ['typed contents short of the shape', () => fromContents('INT32', { int_contents: [1] }, 2)],
    ['FP16 as typed contents', () => toContents('FP16', [1])],
    ['an unknown datatype', () => fromRaw('COMPLEX64', Buffer.alloc(8), 1)],
    ['an INT8 out of range, raw', () => toRaw('INT8', [1, 300])],
    ['a fraction as raw INT64', () => toRaw('INT64', [1.5])],
  ])('refuses %s with a WireFormatError', (_, decode) => {
    expect(decode).toThrow(WireFormatError);
  });
});

describe('half-precision floats', () => {
  it.each([
    [1, 0x3c00], [-2, 0xc000], [0.5, 0x3800], [65_504, 0x7bff], [2 ** -24, 0x0001], [0, 0], [Infinity, 0x7c00], [1e6, 0x7c00],
  ])('FP16 of %d is 0x%s', (value, bits) => {
    expect(toFp16(value)).toBe(bits);
    if (value <= 65_504) expect(fromFp16(bits)).toBe(value);
  });

  it('rounds FP16 to nearest even and keeps NaN', () => {
    expect(fromFp16(toFp16(1 + 2 ** -11))).toBe(1); // halfway, ties to even
    expect(fromFp16(toFp16(1 + 3 * 2 ** -11))).toBe(1 + 2 ** -9);
    expect(fromFp16(toFp16(Number.NaN))).toBeNaN();
  });

  it('BF16 keeps the upper half of FP32, rounded', () => {
    expect(toBf16(1)).toBe(0x3f80);
    expect(fromBf16(toBf16(-3.5))).toBe(-3.5);
    expect(fromBf16(toBf16(1.00390625))).toBe(1); // halfway, ties to even
    expect(fromBf16(toBf16(Number.NaN))).toBeNaN();
  });
});
