/**
 * Pre-flight validation of inference requests against the model's metadata, for both OIP transports.
 * The metadata is fetched lazily on first use and cached; a request that cannot fit (unknown input,
 * incompatible datatype, wrong shape) fails as `INFERENCE_REJECTED` without calling the model, so a
 * poison message costs no backend capacity. Inferred datatypes and a missing batch dimension are
 * adapted to the model instead of rejected.
 */
import { ModelbridgeError } from '../../schemas/errors.ts';
import type { WireTensor } from './tensors.ts';

/** One declared input; `-1` in a shape is a variable dimension. */
export interface InputMetadata {
  readonly name: string;
  readonly datatype: string;
  readonly shape: readonly number[];
}

export interface PreflightOptions {
  /** Message prefix, e.g. `kserve-grpc sentiment:1`. */
  readonly label: string;
  /** Fetches the model's declared inputs; throws the client's classified errors. */
  readonly fetchInputs: (signal: AbortSignal) => Promise<readonly InputMetadata[]>;
  /** Inputs whose datatype the configuration fixes: never adapted. */
  readonly configured: ReadonlySet<string>;
  /** A mismatch refetches the metadata first when the cached copy is at least this old (default 5 s). */
  readonly minRefreshMs?: number;
  readonly now?: () => number;
}

export interface Preflight {
  /**
   * Checks `tensors` and returns them adapted to the model (same array when nothing changed). Throws
   * `INFERENCE_REJECTED` on a mismatch, or the metadata call's error.
   */
  check(tensors: readonly WireTensor[], signal: AbortSignal): Promise<readonly WireTensor[]>;
  /** Forgets the cached metadata (after `MODEL_NOT_FOUND`: the model may have been reloaded). */
  invalidate(): void;
}

const INT_RANGES: Readonly<Record<string, readonly [number, number]>> = {
  INT8: [-128, 127], INT16: [-32_768, 32_767], INT32: [-2_147_483_648, 2_147_483_647],
  INT64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  UINT8: [0, 255], UINT16: [0, 65_535], UINT32: [0, 4_294_967_295], UINT64: [0, Number.MAX_SAFE_INTEGER],
};
const FLOATS: ReadonlySet<string> = new Set(['FP16', 'BF16', 'FP32', 'FP64']);

/** Creates the pre-flight check of one client. */
export function createPreflight(options: PreflightOptions): Preflight {
  const { label, fetchInputs, configured } = options;
  const now = options.now ?? Date.now;
  const minRefreshMs = options.minRefreshMs ?? 5_000;
  let cached: { inputs: ReadonlyMap<string, InputMetadata>; at: number } | undefined;
  let pending: Promise<{ inputs: ReadonlyMap<string, InputMetadata>; at: number }> | undefined;

  // Concurrent first calls share one fetch (made with the first caller's signal).
  const load = (signal: AbortSignal) => {
    if (cached) return Promise.resolve(cached);
    pending ??= fetchInputs(signal).then(
      (inputs) => {
        pending = undefined;
        cached = { inputs: new Map(inputs.map((input) => [input.name, input])), at: now() };
        return cached;
      },
      (error: unknown) => {
        pending = undefined;
        throw error;
      },
    );
    return pending;
  };

  return {
    async check(tensors, signal) {
      const first = await load(signal);
      try {
        return adapt(label, first.inputs, configured, tensors);
      } catch (error) {
        if (now() - first.at < minRefreshMs) throw error;
        if (cached === first) cached = undefined;
        return adapt(label, (await load(signal)).inputs, configured, tensors);
      }
    },
    invalidate() {
      cached = undefined;
    },
  };
}

/**
 * Reads declared inputs from a metadata body (REST JSON or the decoded gRPC message, whose int64 shapes
 * are strings). Returns undefined when the body does not have the protocol's shape.
 */
export function readInputMetadata(body: unknown): InputMetadata[] | undefined {
  if (typeof body !== 'object' || body === null || !Array.isArray((body as { inputs?: unknown }).inputs)) return undefined;
  const inputs: InputMetadata[] = [];
  for (const input of (body as { inputs: unknown[] }).inputs) {
    const { name, datatype, shape } = (input ?? {}) as { name?: unknown; datatype?: unknown; shape?: unknown };
    if (typeof name !== 'string' || typeof datatype !== 'string' || !Array.isArray(shape)) return undefined;
    const dims = shape.map(Number);
    if (!dims.every(Number.isInteger)) return undefined;
    inputs.push({ name, datatype, shape: dims });
  }
  return inputs;
}

function adapt(
  label: string,
  declared: ReadonlyMap<string, InputMetadata>,
  configured: ReadonlySet<string>,
  tensors: readonly WireTensor[],
): readonly WireTensor[] {
  // A model that declares no inputs (a generic echo, say) takes anything: nothing to check against.
  if (declared.size === 0) return tensors;
  let adapted: WireTensor[] | undefined;
  for (let i = 0; i < tensors.length; i++) {
    const tensor = tensors[i]!;
    const meta = declared.get(tensor.name);
    if (!meta) throw rejected(label, `input ${tensor.name} is not an input of the model (it has ${[...declared.keys()].join(', ')})`);
    const datatype = fitDatatype(label, tensor, meta, configured.has(tensor.name));
    const shape = fitShape(label, tensor, meta);
    if (datatype !== tensor.datatype || shape !== tensor.shape) {
      adapted ??= tensors.slice();
      adapted[i] = { ...tensor, datatype, shape };
    }
  }
  return adapted ?? tensors;
}

function fitDatatype(label: string, tensor: WireTensor, meta: InputMetadata, fixed: boolean): string {
  if (tensor.datatype === meta.datatype) return tensor.datatype;
  const mismatch = () =>
    rejected(label, `input ${tensor.name}: datatype ${tensor.datatype}${fixed ? ' (configured)' : ''} does not fit the model's ${meta.datatype}`);
  if (fixed) throw mismatch();
  // Inferred from JSON values: integers fit any integer type in range and any float; numbers any float.
  if (tensor.datatype === 'FP64' && FLOATS.has(meta.datatype)) return meta.datatype;
  if (tensor.datatype !== 'INT64') throw mismatch();
  if (FLOATS.has(meta.datatype)) return meta.datatype;
  const range = INT_RANGES[meta.datatype];
  if (!range) throw mismatch();
  for (let i = 0; i < tensor.data.length; i++) {
    const value = tensor.data[i] as number;
    if (value < range[0] || value > range[1]) {
      throw rejected(label, `input ${tensor.name}: element ${i} (${value}) is out of range for the model's ${meta.datatype}`);
    }
  }
  return meta.datatype;
}

function fitShape(label: string, tensor: WireTensor, meta: InputMetadata): number[] {
  const shape = tensor.shape;
  const want = meta.shape;
  // One element short of a model whose first dimension is variable: the batch dimension, add it.
  const batched = shape.length + 1 === want.length && want[0] === -1;
  const offset = batched ? 1 : 0;
  let fits = shape.length + offset === want.length;
  for (let i = 0; fits && i < shape.length; i++) fits = want[i + offset] === -1 || want[i + offset] === shape[i];
  if (!fits) {
    throw rejected(label, `input ${tensor.name}: shape [${shape.join(',')}] does not fit the model's [${want.join(',')}]`);
  }
  return batched ? [1, ...shape] : shape;
}

function rejected(label: string, detail: string): ModelbridgeError {
  return new ModelbridgeError('INFERENCE_REJECTED', `${label}: preflight: ${detail}`);
}
