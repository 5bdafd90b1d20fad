/** ModelInfer messages on the server side: a decoded request checked into tensors, and the response. */
import { elementCount, fromContents, fromRaw, needsRaw, toContents, toRaw, toSafeNumber, WireFormatError } from '../../connectors/kserve/index.ts';
import type { WireGrpcTensor, WireModelInferRequest, WireModelInferResponse } from '../../connectors/kserve/index.ts';
import { HttpError } from './http-error.ts';
import { checkAgainstMetadata, checkElements, parseRequestedOutputs } from './infer-request.ts';
import type { ParsedInferRequest } from './infer-request.ts';
import type { Model, Tensor } from './models/model.ts';

/** A checked gRPC inference request; `raw` when its inputs came as raw contents. */
export interface ParsedGrpcInferRequest extends ParsedInferRequest {
  readonly raw: boolean;
}

/** Decodes and checks a ModelInferRequest for `model`; throws {@link HttpError} 400 with a precise message. */
export function parseGrpcInferRequest(message: WireModelInferRequest, model: Model): ParsedGrpcInferRequest {
  const inputs = message.inputs ?? [];
  if (inputs.length === 0) throw bad('"inputs" must not be empty');
  const raw = message.raw_input_contents ?? [];
  if (raw.length !== 0 && raw.length !== inputs.length) {
    throw bad(`raw_input_contents has ${raw.length} entries for ${inputs.length} inputs`);
  }
  const tensors = new Map<string, Tensor>();
  for (let i = 0; i < inputs.length; i++) {
    const { name, datatype, shape: wireShape, contents } = inputs[i]!;
    if (!name) throw bad('input "name" must be a non-empty string');
    if (tensors.has(name)) throw bad(`input ${name} given twice`);
    const shape = wireShape.map(toSafeNumber);
    if (!shape.every((d): d is number => typeof d === 'number' && d >= 0)) throw bad(`input ${name}: "shape" must hold non-negative integers`);
    if (raw.length !== 0 && contents) throw bad(`input ${name}: contents and raw_input_contents are exclusive`);
    let data: unknown[];
    try {
      const count = elementCount(shape);
      data = raw.length === 0 ? fromContents(datatype, contents, count) : fromRaw(datatype, raw[i]!, count);
    } catch (error) {
      if (error instanceof WireFormatError) throw bad(`input ${name} (${datatype}): ${error.message}`);
      throw error;
    }
    checkElements(name, datatype, data);
    tensors.set(name, { name, datatype, shape, data });
  }
  if (!model.anyInputs) checkAgainstMetadata(tensors, model.inputs);
  const outputs = message.outputs && message.outputs.length > 0 ? parseRequestedOutputs(message.outputs, model) : undefined;
  return { id: message.id || undefined, inputs: tensors, outputs, raw: raw.length !== 0 };
}

/** The ModelInferResponse: raw contents when the request was raw or an output has no typed field. */
export function buildGrpcResponse(model: Model, request: ParsedGrpcInferRequest, outputs: readonly Tensor[]): WireModelInferResponse {
  const raw = request.raw || outputs.some((o) => needsRaw(o.datatype));
  const wire: WireGrpcTensor[] = outputs.map(({ name, datatype, shape, data }) =>
    raw ? { name, datatype, shape: [...shape] } : { name, datatype, shape: [...shape], contents: toContents(datatype, data) },
  );
  const response: WireModelInferResponse = { model_name: model.name, model_version: model.version, id: request.id ?? '', outputs: wire };
  if (raw) response.raw_output_contents = outputs.map((o) => toRaw(o.datatype, o.data));
  return response;
}

function bad(message: string): HttpError {
  return new HttpError(400, message);
}
