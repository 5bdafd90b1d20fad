/** The Open Inference Protocol v2 REST envelope: the inference request body and the response parser. */
import type { InferenceRequest, InferenceResponse } from '../types.ts';
import { badResponse } from './classify.ts';
import { flattenData, toWireTensors } from './tensors.ts';
import type { Datatype, WireTensor } from './tensors.ts';

/** `$inference_request` as sent. */
export interface WireInferRequest {
  readonly id: string;
  readonly parameters?: Readonly<Record<string, string | number | boolean>>;
  readonly inputs: readonly WireTensor[];
}

/** Builds the request body; throws `MAPPING_FAILED` for inputs that are no tensor. */
export function buildInferRequest(request: InferenceRequest, datatypes: Readonly<Record<string, Datatype>>): WireInferRequest {
  return inferBody(request.id, toWireTensors(request.inputs, datatypes), request.parameters);
}

/** The request body of already built tensors. */
export function inferBody(id: string, inputs: readonly WireTensor[], parameters: InferenceRequest['parameters']): WireInferRequest {
  return parameters === undefined ? { id, inputs } : { id, parameters, inputs };
}

/**
 * Parses an `$inference_response` into named flat output arrays. Throws `INFERENCE_BAD_RESPONSE`
 * when the body is not JSON or lacks `outputs[].name` / `outputs[].data`. A missing `model_name`
 * is tolerated (the configured model is reported).
 */
export function parseInferResponse(label: string, status: number, text: string, model: string): InferenceResponse {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw badResponse(label, status, 'response body is not JSON', error);
  }
  if (!isObject(body) || !Array.isArray(body.outputs)) throw badResponse(label, status, 'response has no "outputs" array');
  // A null prototype: output names come from the server and must not reach Object.prototype.
  const outputs: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (let i = 0; i < body.outputs.length; i++) {
    const output: unknown = body.outputs[i];
    if (!isObject(output) || typeof output.name !== 'string' || !Array.isArray(output.data)) {
      throw badResponse(label, status, `response output ${i} lacks a "name" or a "data" array`);
    }
    outputs[output.name] = flattenData(output.data);
  }
  return {
    modelName: typeof body.model_name === 'string' ? body.model_name : model,
    modelVersion: typeof body.model_version === 'string' ? body.model_version : undefined,
    outputs,
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
