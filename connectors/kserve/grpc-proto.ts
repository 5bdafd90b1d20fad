/**
 * The project's OIP v2 gRPC contract, loaded once from `proto/grpc_service.proto`, and the shapes of its
 * messages as @grpc/proto-loader produces them. Shared by the client and the reference model server.
 *
 * Loader choices: `keepCase` (the wire names, as in the spec), `longs: String` (int64 and uint64 arrive as
 * decimal strings so that nothing above 2^53 is rounded silently; {@link toSafeNumber} converts),
 * `defaults` (absent repeated fields are `[]`), `oneofs` (InferParameter names its set member).
 */
import { fileURLToPath } from 'node:url';
import { loadPackageDefinition } from '@grpc/grpc-js';
import type { ServiceClientConstructor, ServiceDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

const PROTO = fileURLToPath(new URL('./proto/grpc_service.proto', import.meta.url));

const definition = loadSync(PROTO, { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
const loaded = loadPackageDefinition(definition) as unknown as { inference: { GRPCInferenceService: ServiceClientConstructor } };

/** The client constructor of `inference.GRPCInferenceService`. */
export const InferenceServiceClient: ServiceClientConstructor = loaded.inference.GRPCInferenceService;

/** The service definition, for `Server.addService`. */
export const INFERENCE_SERVICE: ServiceDefinition = InferenceServiceClient.service;

/** An int64/uint64 as decoded (string) or as sent (number or string). */
export type WireLong = string | number;

/** `InferParameter`: exactly one member is set. */
export interface WireParameter {
  bool_param?: boolean;
  int64_param?: WireLong;
  string_param?: string;
  double_param?: number;
  uint64_param?: WireLong;
  /** Which member is set (decoded messages only). */
  parameter_choice?: string;
}

/** `InferTensorContents`. */
export interface WireContents {
  bool_contents?: boolean[];
  int_contents?: number[];
  int64_contents?: WireLong[];
  uint_contents?: number[];
  uint64_contents?: WireLong[];
  fp32_contents?: number[];
  fp64_contents?: number[];
  /** Buffers as decoded; strings (sent as UTF-8) are accepted by the client's encoder. */
  bytes_contents?: Array<Buffer | string>;
}

/** `ModelInferRequest.InferInputTensor` and `ModelInferResponse.InferOutputTensor`. */
export interface WireGrpcTensor {
  name: string;
  datatype: string;
  shape: WireLong[];
  parameters?: Record<string, WireParameter>;
  contents?: WireContents | null;
}

/** `ModelInferRequest`. */
export interface WireModelInferRequest {
  model_name: string;
  model_version?: string;
  id?: string;
  parameters?: Record<string, WireParameter>;
  inputs: WireGrpcTensor[];
  outputs?: { name: string; parameters?: Record<string, WireParameter> }[];
  raw_input_contents?: Buffer[];
}

/** `ModelInferResponse`. */
export interface WireModelInferResponse {
  model_name: string;
  model_version?: string;
  id?: string;
  parameters?: Record<string, WireParameter>;
  outputs: WireGrpcTensor[];
  raw_output_contents?: Buffer[];
}

/** `ModelMetadataResponse`. */
export interface WireModelMetadata {
  name: string;
  versions: string[];
  platform: string;
  inputs: { name: string; datatype: string; shape: WireLong[] }[];
  outputs: { name: string; datatype: string; shape: WireLong[] }[];
}

/** `ModelReadyRequest` and `ModelMetadataRequest`. */
export interface WireModelRef {
  name: string;
  version?: string;
}

/** A decoded int64 as a number when it is exactly representable, else its decimal string. */
export function toSafeNumber(value: WireLong): number | string {
  if (typeof value === 'number') return value;
  const number = Number(value);
  return Number.isSafeInteger(number) ? number : value;
}
