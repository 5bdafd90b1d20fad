/** The contract of a reference model: metadata as the Open Inference Protocol v2 reports it, and a pure compute step. */

/** Tensor metadata; `-1` in a shape means variable size. */
export interface TensorMetadata {
  readonly name: string;
  readonly datatype: string;
  readonly shape: readonly number[];
}

/** One decoded request input: flat row-major data with its shape. */
export interface Tensor {
  readonly name: string;
  readonly datatype: string;
  readonly shape: readonly number[];
  readonly data: readonly unknown[];
}

/**
 * A model served by the reference server. `inputs` are checked by the server before `infer` runs
 * (names, datatypes, shapes, element types) unless `anyInputs` is set.
 */
export interface Model {
  readonly name: string;
  readonly version: string;
  readonly platform: string;
  readonly inputs: readonly TensorMetadata[];
  readonly outputs: readonly TensorMetadata[];
  /** Accept any input names and datatypes (the echo model). */
  readonly anyInputs?: boolean;
  /** Computes the outputs. Throws an `HttpError` (400) for input it cannot use. */
  infer(inputs: ReadonlyMap<string, Tensor>): Tensor[];
}
