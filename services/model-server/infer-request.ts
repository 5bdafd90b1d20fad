/** Parsing and checking of Open Inference Protocol v2 REST inference requests against a model's metadata. */
import { HttpError } from './http-error.ts';
import type { Model, Tensor, TensorMetadata } from './models/model.ts';

/** A checked inference request. */
export interface ParsedInferRequest {
  readonly id: string | undefined;
  readonly inputs: ReadonlyMap<string, Tensor>;
  /** Requested output names; undefined means all. */
  readonly outputs: readonly string[] | undefined;
}

const INTEGER_RANGES: Readonly<Record<string, readonly [number, number]>> = {
  INT8: [-128, 127], INT16: [-32_768, 32_767], INT32: [-2_147_483_648, 2_147_483_647],
  INT64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  UINT8: [0, 255], UINT16: [0, 65_535], UINT32: [0, 4_294_967_295], UINT64: [0, Number.MAX_SAFE_INTEGER],
};
const FLOATS = new Set(['FP16', 'FP32', 'FP64', 'BF16']);

/** Parses `body` (already JSON-decoded) for `model`; throws {@link HttpError} 400 with a precise message. */
export function parseInferRequest(body: unknown, model: Model): ParsedInferRequest {
  if (!isObject(body)) throw bad('request body must be a JSON object');
  const { id, inputs, outputs } = body;
  if (id !== undefined && typeof id !== 'string') throw bad('"id" must be a string');
  if (!Array.isArray(inputs) || inputs.length === 0) throw bad('"inputs" must be a non-empty array');
  const tensors = new Map<string, Tensor>();
  for (const input of inputs) {
    const tensor = parseTensor(input);
    if (tensors.has(tensor.name)) throw bad(`input ${tensor.name} given twice`);
    tensors.set(tensor.name, tensor);
  }
  if (!model.anyInputs) checkAgainstMetadata(tensors, model.inputs);
  return { id, inputs: tensors, outputs: parseRequestedOutputs(outputs, model) };
}

function parseTensor(input: unknown): Tensor {
  if (!isObject(input)) throw bad('each input must be an object');
  const { name, datatype, shape, data } = input;
  if (typeof name !== 'string' || name === '') throw bad('input "name" must be a non-empty string');
  if (typeof datatype !== 'string') throw bad(`input ${name}: "datatype" must be a string`);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw bad(`input ${name}: "shape" must be an array of non-negative integers`);
  }
  if (!Array.isArray(data)) throw bad(`input ${name}: "data" must be an array`);
  const flat = data.some(Array.isArray) ? data.flat(Infinity) : data;
  const expected = shape.reduce((a: number, b: number) => a * b, 1);
  if (flat.length !== expected) {
    throw bad(`input ${name}: shape [${shape.join(',')}] needs ${expected} elements, data has ${flat.length}`);
  }
  checkElements(name, datatype, flat);
  return { name, datatype, shape, data: flat };
}

/** Checks that every element of `data` is a valid value of `datatype`; 400 otherwise. */
export function checkElements(name: string, datatype: string, data: readonly unknown[]): void {
  const range = INTEGER_RANGES[datatype];
  let ok: (v: unknown) => boolean;
  if (datatype === 'BYTES') ok = (v) => typeof v === 'string';
  else if (datatype === 'BOOL') ok = (v) => typeof v === 'boolean';
  else if (range) ok = (v) => Number.isInteger(v) && (v as number) >= range[0] && (v as number) <= range[1];
  else if (FLOATS.has(datatype)) ok = (v) => typeof v === 'number' && Number.isFinite(v);
  else throw bad(`input ${name}: unknown datatype ${datatype}`);
  for (let i = 0; i < data.length; i++) {
    if (!ok(data[i])) throw bad(`input ${name}: element ${i} is not a valid ${datatype} value`);
  }
}

/** Checks the inputs' names, datatypes and shapes against the model's declared inputs; 400 otherwise. */
export function checkAgainstMetadata(tensors: ReadonlyMap<string, Tensor>, declared: readonly TensorMetadata[]): void {
  for (const name of tensors.keys()) {
    if (!declared.some((d) => d.name === name)) throw bad(`unexpected input ${name}`);
  }
  for (const meta of declared) {
    const tensor = tensors.get(meta.name);
    if (!tensor) throw bad(`missing input ${meta.name}`);
    if (tensor.datatype !== meta.datatype) {
      throw bad(`input ${meta.name}: datatype ${tensor.datatype} does not match the model's ${meta.datatype}`);
    }
    const dimsMatch =
      tensor.shape.length === meta.shape.length && meta.shape.every((d, i) => d === -1 || d === tensor.shape[i]);
    if (!dimsMatch) {
      throw bad(`input ${meta.name}: shape [${tensor.shape.join(',')}] does not match the model's [${meta.shape.join(',')}]`);
    }
  }
}

/** The requested output names (undefined: all); 400 for unknown ones. */
export function parseRequestedOutputs(outputs: unknown, model: Model): string[] | undefined {
  if (outputs === undefined) return undefined;
  if (!Array.isArray(outputs)) throw bad('"outputs" must be an array');
  return outputs.map((output: unknown) => {
    if (!isObject(output) || typeof output.name !== 'string') throw bad('each requested output needs a "name"');
    if (!model.anyInputs && !model.outputs.some((o) => o.name === output.name)) {
      throw bad(`unknown output ${output.name}`);
    }
    return output.name;
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function bad(message: string): HttpError {
  return new HttpError(400, message);
}
