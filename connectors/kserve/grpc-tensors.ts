/**
 * Tensor data ↔ OIP v2 gRPC encodings: the typed `InferTensorContents` fields and raw little-endian bytes
 * (`raw_input_contents` / `raw_output_contents`). Pure functions shared by the client and the reference
 * server; malformed input throws {@link WireFormatError}, which each side classifies its own way.
 */
import { toSafeNumber } from './grpc-proto.ts';
import type { WireContents, WireLong } from './grpc-proto.ts';
import { fromBf16, fromFp16, toBf16, toFp16 } from './half-float.ts';

/** Data that does not fit its datatype, shape or encoding. */
export class WireFormatError extends Error {
  override readonly name = 'WireFormatError';
}

/** Bytes per element in raw form; 0 for BYTES (variable). */
export const ELEMENT_SIZE: Readonly<Record<string, number>> = {
  BOOL: 1, INT8: 1, UINT8: 1, INT16: 2, UINT16: 2, FP16: 2, BF16: 2,
  INT32: 4, UINT32: 4, FP32: 4, INT64: 8, UINT64: 8, FP64: 8, BYTES: 0,
};

/** The `InferTensorContents` field of each datatype; FP16 and BF16 have none (raw only). */
const FIELD: Readonly<Record<string, keyof WireContents>> = {
  BOOL: 'bool_contents', INT8: 'int_contents', INT16: 'int_contents', INT32: 'int_contents', INT64: 'int64_contents',
  UINT8: 'uint_contents', UINT16: 'uint_contents', UINT32: 'uint_contents', UINT64: 'uint64_contents',
  FP32: 'fp32_contents', FP64: 'fp64_contents', BYTES: 'bytes_contents',
};

/** True when the datatype can only travel as raw bytes. */
export function needsRaw(datatype: string): boolean {
  return FIELD[datatype] === undefined;
}

/** Element count of a shape. */
export function elementCount(shape: readonly number[]): number {
  let count = 1;
  for (const dim of shape) count *= dim;
  return count;
}

/** Typed contents of flat `data`. BYTES elements are strings (UTF-8) or Buffers. */
export function toContents(datatype: string, data: readonly unknown[]): WireContents {
  const field = FIELD[datatype];
  if (field === undefined) throw new WireFormatError(`datatype ${datatype} has no typed contents; send it raw`);
  if (field === 'bytes_contents') return { bytes_contents: data.map(toBytes) };
  return { [field]: data };
}

/** Flat data of typed contents; `count` elements are expected. BYTES become UTF-8 strings. */
export function fromContents(datatype: string, contents: WireContents | null | undefined, count: number): unknown[] {
  const field = FIELD[datatype];
  if (field === undefined) throw new WireFormatError(`datatype ${datatype} must be sent raw`);
  const values = (contents?.[field] ?? []) as unknown[];
  if (values.length !== count) {
    throw new WireFormatError(`${field} holds ${values.length} elements, the shape needs ${count}`);
  }
  if (field === 'bytes_contents') return (values as Buffer[]).map((b) => b.toString('utf8'));
  if (field === 'int64_contents' || field === 'uint64_contents') return (values as WireLong[]).map(toSafeNumber);
  return values;
}

/** Raw little-endian bytes of flat `data`; BYTES elements are each prefixed by a 4-byte length. */
export function toRaw(datatype: string, data: readonly unknown[]): Buffer {
  if (datatype === 'BYTES') {
    const parts = data.map(toBytes);
    let size = 0;
    for (const part of parts) size += 4 + part.length;
    const raw = Buffer.allocUnsafe(size);
    let offset = 0;
    for (const part of parts) {
      offset = raw.writeUInt32LE(part.length, offset);
      offset += part.copy(raw, offset);
    }
    return raw;
  }
  const size = ELEMENT_SIZE[datatype];
  if (size === undefined) throw new WireFormatError(`unknown datatype ${datatype}`);
  const raw = Buffer.allocUnsafe(data.length * size);
  const write = WRITERS[datatype]!;
  let i = 0;
  try {
    for (; i < data.length; i++) write(raw, data[i], i * size);
  } catch (error) {
    // Buffer's writers throw RangeError for values that do not fit; BigInt throws for non-integers.
    throw new WireFormatError(`element ${i} (${String(data[i])}) does not fit ${datatype}`, { cause: error });
  }
  return raw;
}

/** Flat data of raw bytes holding `count` elements. */
export function fromRaw(datatype: string, raw: Buffer, count: number): unknown[] {
  if (datatype === 'BYTES') return fromRawBytes(raw, count);
  const size = ELEMENT_SIZE[datatype];
  if (size === undefined) throw new WireFormatError(`unknown datatype ${datatype}`);
  if (raw.length !== count * size) {
    throw new WireFormatError(`raw ${datatype} contents hold ${raw.length} bytes, the shape needs ${count * size}`);
  }
  const read = READERS[datatype]!;
  const data = new Array<unknown>(count);
  for (let i = 0; i < count; i++) data[i] = read(raw, i * size);
  return data;
}

function fromRawBytes(raw: Buffer, count: number): string[] {
  // Every element takes at least its 4-byte length: a shape beyond that is refused before allocating.
  if (count * 4 > raw.length) throw new WireFormatError(`raw BYTES contents hold ${raw.length} bytes, too few for ${count} elements`);
  const data = new Array<string>(count);
  let offset = 0;
  for (let i = 0; i < count; i++) {
    if (offset + 4 > raw.length) throw new WireFormatError(`raw BYTES contents end before element ${i}`);
    const length = raw.readUInt32LE(offset);
    offset += 4;
    if (offset + length > raw.length) throw new WireFormatError(`raw BYTES element ${i} overruns the contents`);
    data[i] = raw.toString('utf8', offset, offset + length);
    offset += length;
  }
  if (offset !== raw.length) throw new WireFormatError(`raw BYTES contents have ${raw.length - offset} bytes past element ${count - 1}`);
  return data;
}

function toBytes(value: unknown): Buffer {
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (Buffer.isBuffer(value)) return value;
  throw new WireFormatError(`BYTES element is ${typeof value}, not a string`);
}

type Writer = (raw: Buffer, value: unknown, offset: number) => void;
type Reader = (raw: Buffer, offset: number) => unknown;

const big = (value: unknown): bigint => BigInt(value as number | string);
const num = (value: unknown): number => Number(value);

const WRITERS: Readonly<Record<string, Writer>> = {
  BOOL: (r, v, o) => r.writeUInt8(v ? 1 : 0, o),
  INT8: (r, v, o) => r.writeInt8(num(v), o),
  UINT8: (r, v, o) => r.writeUInt8(num(v), o),
  INT16: (r, v, o) => r.writeInt16LE(num(v), o),
  UINT16: (r, v, o) => r.writeUInt16LE(num(v), o),
  INT32: (r, v, o) => r.writeInt32LE(num(v), o),
  UINT32: (r, v, o) => r.writeUInt32LE(num(v), o),
  INT64: (r, v, o) => r.writeBigInt64LE(big(v), o),
  UINT64: (r, v, o) => r.writeBigUInt64LE(big(v), o),
  FP16: (r, v, o) => r.writeUInt16LE(toFp16(num(v)), o),
  BF16: (r, v, o) => r.writeUInt16LE(toBf16(num(v)), o),
  FP32: (r, v, o) => r.writeFloatLE(num(v), o),
  FP64: (r, v, o) => r.writeDoubleLE(num(v), o),
};

const READERS: Readonly<Record<string, Reader>> = {
  BOOL: (r, o) => r[o] !== 0,
  INT8: (r, o) => r.readInt8(o),
  UINT8: (r, o) => r.readUInt8(o),
  INT16: (r, o) => r.readInt16LE(o),
  UINT16: (r, o) => r.readUInt16LE(o),
  INT32: (r, o) => r.readInt32LE(o),
  UINT32: (r, o) => r.readUInt32LE(o),
  INT64: (r, o) => toSafeNumber(r.readBigInt64LE(o).toString()),
  UINT64: (r, o) => toSafeNumber(r.readBigUInt64LE(o).toString()),
  FP16: (r, o) => fromFp16(r.readUInt16LE(o)),
  BF16: (r, o) => fromBf16(r.readUInt16LE(o)),
  FP32: (r, o) => r.readFloatLE(o),
  FP64: (r, o) => r.readDoubleLE(o),
};
