/**
 * Mapping between the pipeline's named values and Open Inference Protocol v2 JSON tensors: datatype
 * and shape inference on the way out, flattening of output data on the way in.
 */
import { ModelbridgeError } from '../../schemas/errors.ts';

/** The OIP v2 datatypes that have a JSON representation. */
export const DATATYPES = [
  'BOOL', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64', 'FP16', 'FP32', 'FP64', 'BF16', 'BYTES',
] as const;
export type Datatype = (typeof DATATYPES)[number];

/** One request input as sent on the wire. */
export interface WireTensor {
  readonly name: string;
  readonly datatype: string;
  readonly shape: number[];
  /** Flat, row-major. */
  readonly data: readonly unknown[];
}

type Leaf = 'string' | 'boolean' | 'integer' | 'number';

/** Element kind each datatype accepts. */
const ACCEPTS: Readonly<Record<Datatype, Leaf>> = {
  BOOL: 'boolean', BYTES: 'string',
  UINT8: 'integer', UINT16: 'integer', UINT32: 'integer', UINT64: 'integer',
  INT8: 'integer', INT16: 'integer', INT32: 'integer', INT64: 'integer',
  FP16: 'number', FP32: 'number', FP64: 'number', BF16: 'number',
};

/** True for a datatype name this client can send. */
export function isDatatype(value: string): value is Datatype {
  return Object.hasOwn(ACCEPTS, value);
}

/**
 * Builds the wire tensor of one input. Scalars get shape `[1]`, arrays their nested dimensions. The
 * datatype is `datatype` when given, else inferred: string → BYTES, boolean → BOOL, all-integer →
 * INT64, other numbers → FP64. Ragged arrays, mixed or unsupported elements → `MAPPING_FAILED`.
 */
export function toWireTensor(name: string, value: unknown, datatype?: Datatype): WireTensor {
  if (!Array.isArray(value)) {
    const leaf = leafOf(value);
    if (leaf === undefined) throw mappingFailed(name, `has an unsupported value: ${describe(value)}`);
    return { name, datatype: resolveDatatype(name, leaf, datatype), shape: [1], data: [value] };
  }
  const shape = shapeOf(name, value);
  // Flat arrays are sent as they are: no copy on the hot path.
  const data = shape.length === 1 ? value : value.flat(shape.length - 1);
  let leaf: Leaf | undefined;
  for (let i = 0; i < data.length; i++) {
    const kind = leafOf(data[i]);
    if (kind === undefined) throw mappingFailed(name, `element ${i} is ${describe(data[i])}`);
    leaf = leaf === undefined || leaf === kind ? kind : merge(name, leaf, kind);
  }
  if (leaf === undefined && datatype === undefined) {
    throw mappingFailed(name, 'an empty array has no datatype; configure it in backend.datatypes');
  }
  return { name, datatype: leaf === undefined ? datatype! : resolveDatatype(name, leaf, datatype), shape, data };
}

/** The wire tensors of a request's named inputs, in their order (see {@link toWireTensor}). */
export function toWireTensors(inputs: Readonly<Record<string, unknown>>, datatypes: Readonly<Record<string, Datatype>>): WireTensor[] {
  const tensors: WireTensor[] = [];
  for (const name in inputs) tensors.push(toWireTensor(name, inputs[name], datatypes[name]));
  return tensors;
}

/**
 * Checks a configuration's `datatypes` (case-insensitive) into a lookup with a null prototype, so that
 * an input named like an Object.prototype member finds nothing. Unknown datatype → `CONFIG_INVALID`.
 */
export function checkDatatypes(datatypes: Readonly<Record<string, string>>): Readonly<Record<string, Datatype>> {
  const checked = Object.create(null) as Record<string, Datatype>;
  for (const [input, datatype] of Object.entries(datatypes)) {
    const upper = datatype.toUpperCase();
    if (!isDatatype(upper)) {
      throw new ModelbridgeError('CONFIG_INVALID', `backend.datatypes.${input}: unknown datatype ${datatype}`);
    }
    checked[input] = upper;
  }
  return checked;
}

/** Flattens the data of one response output (OIP allows nested or flat row-major data). */
export function flattenData(data: readonly unknown[]): readonly unknown[] {
  for (let i = 0; i < data.length; i++) if (Array.isArray(data[i])) return data.flat(Infinity);
  return data;
}

function shapeOf(name: string, value: readonly unknown[]): number[] {
  const shape: number[] = [];
  let level: unknown = value;
  while (Array.isArray(level)) {
    shape.push(level.length);
    level = level[0];
  }
  checkRectangular(name, value, shape, 0);
  return shape;
}

function checkRectangular(name: string, value: readonly unknown[], shape: readonly number[], depth: number): void {
  if (value.length !== shape[depth]) throw ragged(name, depth);
  if (depth === shape.length - 1) {
    for (const element of value) if (Array.isArray(element)) throw ragged(name, depth + 1);
    return;
  }
  for (const element of value) {
    if (!Array.isArray(element)) throw ragged(name, depth + 1);
    checkRectangular(name, element, shape, depth + 1);
  }
}

function leafOf(value: unknown): Leaf | undefined {
  switch (typeof value) {
    case 'string':
      return 'string';
    case 'boolean':
      return 'boolean';
    case 'number':
      if (!Number.isFinite(value)) return undefined;
      return Number.isInteger(value) ? 'integer' : 'number';
    default:
      return undefined;
  }
}

function merge(name: string, a: Leaf, b: Leaf): Leaf {
  if ((a === 'integer' || a === 'number') && (b === 'integer' || b === 'number')) return 'number';
  throw mappingFailed(name, `mixes ${a} and ${b} elements`);
}

function resolveDatatype(name: string, leaf: Leaf, datatype: Datatype | undefined): Datatype {
  if (datatype === undefined) {
    return leaf === 'string' ? 'BYTES' : leaf === 'boolean' ? 'BOOL' : leaf === 'integer' ? 'INT64' : 'FP64';
  }
  const accepts = ACCEPTS[datatype];
  if (accepts === leaf || (accepts === 'number' && leaf === 'integer')) return datatype;
  throw mappingFailed(name, `${leaf} elements do not fit the configured datatype ${datatype}`);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'number') return String(value);
  return Array.isArray(value) ? 'an array' : typeof value;
}

function ragged(name: string, depth: number): ModelbridgeError {
  return mappingFailed(name, `is a ragged array (dimension ${depth} differs between elements)`);
}

function mappingFailed(name: string, detail: string): ModelbridgeError {
  return new ModelbridgeError('MAPPING_FAILED', `input ${name} ${detail}`);
}
