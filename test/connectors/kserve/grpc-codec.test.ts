import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeInferResponse, decodeMetadata, decodeReady, encodeInferRequest, encodeModelRef, FRAME_HEADER_BYTES } from '../../../connectors/kserve/grpc-codec.ts';
import type { EncodeInferRequest } from '../../../connectors/kserve/grpc-codec.ts';
import { INFERENCE_SERVICE } from '../../../connectors/kserve/grpc-proto.ts';
import { WireFormatError } from '../../../connectors/kserve/grpc-tensors.ts';

// The reference: @grpc/proto-loader's reflection codec over the same .proto.
const infer = INFERENCE_SERVICE.ModelInfer!;
const ready = INFERENCE_SERVICE.ModelReady!;
const metadata = INFERENCE_SERVICE.ModelMetadata!;

/** Our frame, checked and unwrapped, decoded by the reference. */
function viaReference(frame: Buffer): Record<string, unknown> {
  expect(frame[0]).toBe(0);
  expect(frame.readUInt32BE(1)).toBe(frame.length - FRAME_HEADER_BYTES);
  return infer.requestDeserialize(frame.subarray(FRAME_HEADER_BYTES)) as Record<string, unknown>;
}

/** What the reference makes of the same request through its own encoder. */
function referenceRoundTrip(request: EncodeInferRequest): Record<string, unknown> {
  const normal = {
    ...request,
    inputs: request.inputs.map((t) => ({
      ...t,
      contents: t.contents && { ...t.contents, bytes_contents: t.contents.bytes_contents?.map((b) => Buffer.from(b)) },
    })),
  };
  return infer.requestDeserialize(infer.requestSerialize(normal)) as Record<string, unknown>;
}

describe('gRPC codec: requests', () => {
  it('encodes every typed contents field, parameters of each kind and raw contents as the reference decodes them', () => {
    const request: EncodeInferRequest = {
      model_name: 'm',
      model_version: '3',
      id: 'evt-ä',
      parameters: { b: { bool_param: true }, i: { int64_param: -5 }, u: { uint64_param: '18446744073709551615' }, s: { string_param: 'x€' }, d: { double_param: 0.25 } },
      inputs: [
        { name: 'B', datatype: 'BOOL', shape: [2], contents: { bool_contents: [true, false] } },
        { name: 'I', datatype: 'INT32', shape: [3], contents: { int_contents: [-2_147_483_648, 0, 2_147_483_647] } },
        { name: 'L', datatype: 'INT64', shape: [3], contents: { int64_contents: [Number.MIN_SAFE_INTEGER, '-9223372036854775808', '9223372036854775807'] } },
        { name: 'U', datatype: 'UINT32', shape: [2], contents: { uint_contents: [0, 4_294_967_295] } },
        { name: 'V', datatype: 'UINT64', shape: [2], contents: { uint64_contents: [2 ** 53 - 1, '18446744073709551615'] } },
        { name: 'F', datatype: 'FP32', shape: [2], contents: { fp32_contents: [1.5, -0.25] } },
        { name: 'D', datatype: 'FP64', shape: [1, 2], contents: { fp64_contents: [0.1, -1e300] } },
        { name: 'S', datatype: 'BYTES', shape: [3], contents: { bytes_contents: ['ä€𝄞', '', Buffer.from([0, 255])] } },
        { name: 'R', datatype: 'FP16', shape: [1] },
      ],
      raw_input_contents: [Buffer.from([1, 2])],
    };
    expect(viaReference(encodeInferRequest(request))).toEqual(referenceRoundTrip(request));
  });

  it('leaves absent fields out, as the reference does', () => {
    const request: EncodeInferRequest = { model_name: 'echo', inputs: [{ name: 'X', datatype: 'BYTES', shape: [1], contents: { bytes_contents: ['a'] } }] };
    const frame = encodeInferRequest(request);
    expect(frame.subarray(FRAME_HEADER_BYTES)).toEqual(infer.requestSerialize({ ...request, inputs: [{ ...request.inputs[0], contents: { bytes_contents: [Buffer.from('a')] } }] }));
  });

  it('round-trips random tensors through the reference decoder', () => {
    const tensor = fc.oneof(
      fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })).map((v) => ({ datatype: 'INT32', contents: { int_contents: v } })),
      fc.array(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })).map((v) => ({ datatype: 'INT64', contents: { int64_contents: v.map(String) } })),
      fc.array(fc.double({ noNaN: true })).map((v) => ({ datatype: 'FP64', contents: { fp64_contents: v } })),
      fc.array(fc.string({ unit: 'grapheme' })).map((v) => ({ datatype: 'BYTES', contents: { bytes_contents: v } })),
    );
    fc.assert(
      fc.property(fc.string(), fc.array(tensor, { maxLength: 4 }), (id, tensors) => {
        const request: EncodeInferRequest = {
          model_name: 'm',
          id,
          inputs: tensors.map((t, i) => ({ name: `T${i}`, datatype: t.datatype, shape: [Object.values(t.contents)[0]!.length], contents: t.contents })),
        };
        expect(viaReference(encodeInferRequest(request))).toEqual(referenceRoundTrip(request));
      }),
      { numRuns: 200 },
    );
  });

  it.each([
    ['an int32 beyond its range', { int_contents: [2 ** 31] }],
    ['a uint32 below zero', { uint_contents: [-1] }],
    ['a uint64 below zero', { uint64_contents: [-1] }],
    ['an int64 beyond its range', { int64_contents: ['9223372036854775808'] }],
    ['an int64 that is no integer', { int64_contents: ['1.5'] }],
  ])('refuses %s with a WireFormatError', (_, contents) => {
    expect(() => encodeInferRequest({ model_name: 'm', inputs: [{ name: 'X', datatype: 'INT64', shape: [1], contents }] })).toThrow(WireFormatError);
  });

  it('encodes model references for ModelReady and ModelMetadata', () => {
    const frame = encodeModelRef('sentiment', '2');
    expect(ready.requestDeserialize(frame.subarray(FRAME_HEADER_BYTES))).toEqual({ name: 'sentiment', version: '2' });
    expect(metadata.requestDeserialize(encodeModelRef('m', undefined).subarray(FRAME_HEADER_BYTES))).toEqual({ name: 'm', version: '' });
  });
});

describe('gRPC codec: responses', () => {
  const response = {
    model_name: 'm',
    model_version: '1',
    id: 'evt-1',
    parameters: { p: { string_param: 'skipped' } },
    outputs: [
      { name: 'S', datatype: 'BYTES', shape: [2], contents: { bytes_contents: [Buffer.from('ä'), Buffer.alloc(0)] } },
      { name: 'I', datatype: 'INT32', shape: [-1, 3], parameters: { q: { bool_param: true } }, contents: { int_contents: [-1, 5, -2_147_483_648] } },
      { name: 'L', datatype: 'INT64', shape: [3], contents: { int64_contents: ['-9223372036854775808', 7, '9007199254740993'] } },
      { name: 'U', datatype: 'UINT64', shape: [2], contents: { uint64_contents: ['18446744073709551615', 7], uint_contents: [4_294_967_295] } },
      { name: 'F', datatype: 'FP32', shape: [1], contents: { fp32_contents: [1.5], fp64_contents: [0.1], bool_contents: [true, false] } },
    ],
    raw_output_contents: [Buffer.from([1, 2])],
  };

  it('decodes what the reference encodes: int64 as numbers when exact, else decimal strings; parameters skipped', () => {
    const decoded = decodeInferResponse(infer.responseSerialize(response));
    expect(decoded).toMatchObject({ model_name: 'm', model_version: '1', id: 'evt-1', raw_output_contents: [Buffer.from([1, 2])] });
    expect(decoded.outputs.map((o) => [o.name, o.datatype, o.shape])).toEqual([
      ['S', 'BYTES', [2]],
      ['I', 'INT32', [-1, 3]],
      ['L', 'INT64', [3]],
      ['U', 'UINT64', [2]],
      ['F', 'FP32', [1]],
    ]);
    expect(decoded.outputs.map((o) => o.contents)).toEqual([
      { bytes_contents: [Buffer.from('ä'), Buffer.alloc(0)] },
      { int_contents: [-1, 5, -2_147_483_648] },
      { int64_contents: ['-9223372036854775808', 7, '9007199254740993'] },
      { uint64_contents: ['18446744073709551615', 7], uint_contents: [4_294_967_295] },
      { fp32_contents: [1.5], fp64_contents: [0.1], bool_contents: [true, false] },
    ]);
  });

  it('reads unpacked repeated scalars and skips unknown fields', () => {
    // outputs { name "X" shape 2 (unpacked) shape 3 contents { int_contents 7 (unpacked) } } plus unknown fields 9 (varint), 10 (fixed64), 11 (fixed32), 12 (bytes).
    const tensor = Buffer.from([0x0a, 1, 0x58, 0x18, 2, 0x18, 3, 0x2a, 2, 0x10, 7]);
    const message = Buffer.concat([Buffer.from([0x48, 0x96, 0x01, 0x51, ...Buffer.alloc(8), 0x5d, ...Buffer.alloc(4), 0x62, 1, 0xff, 0x2a, tensor.length]), tensor]);
    expect(decodeInferResponse(message).outputs).toEqual([{ name: 'X', datatype: '', shape: [2, 3], contents: { int_contents: [7] } }]);
  });

  it('decodes ModelReady and ModelMetadata answers', () => {
    expect(decodeReady(ready.responseSerialize({ ready: true }))).toEqual({ ready: true });
    expect(decodeReady(Buffer.alloc(0))).toEqual({ ready: false });
    const meta = { name: 'm', versions: ['1', '2'], platform: 'p', inputs: [{ name: 'X', datatype: 'FP32', shape: [-1, 4] }], outputs: [{ name: 'Y', datatype: 'BYTES', shape: [1] }] };
    expect(decodeMetadata(metadata.responseSerialize(meta))).toMatchObject({ ...meta, inputs: [{ name: 'X', datatype: 'FP32', shape: [-1, 4] }] });
  });

  it.each([
    ['a varint longer than 10 bytes', Buffer.from([0x08, ...Array.from({ length: 11 }, () => 0xff), 0x01])],
    ['a message ending inside a varint', Buffer.from([0x08, 0x80])],
    ['a string longer than its message', Buffer.from([0x0a, 0x05, 0x61])],
    ['an output longer than its message', Buffer.from([0x2a, 0x7f, 0x0a, 0x01, 0x61])],
    ['a string field with the varint wire type', Buffer.from([0x08, 0x01])],
    ['a group (deprecated wire type 3)', Buffer.from([0x4b])],
    ['a fixed64 cut short', Buffer.from([0x2a, 0x06, 0x2a, 0x04, 0x39, 0x00, 0x00, 0x00])],
    ['a packed length overrunning its tensor', Buffer.from([0x2a, 0x03, 0x1a, 0x09, 0x01])],
  ])('refuses %s with a WireFormatError', (_, bytes) => {
    expect(() => decodeInferResponse(bytes)).toThrow(WireFormatError);
  });

  it('never throws anything but WireFormatError on arbitrary or truncated bytes', () => {
    const valid = infer.responseSerialize(response) as Buffer;
    for (let cut = 0; cut < valid.length; cut++) {
      try {
        decodeInferResponse(valid.subarray(0, cut));
      } catch (error) {
        expect(error).toBeInstanceOf(WireFormatError);
      }
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          decodeInferResponse(Buffer.from(bytes));
          decodeMetadata(Buffer.from(bytes));
        } catch (error) {
          expect(error).toBeInstanceOf(WireFormatError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
