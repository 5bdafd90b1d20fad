/** `kserve-*` inference clients: the Open Inference Protocol v2 (KServe, Triton). */
export { createKserveHttpClient } from './client-http.ts';
export type { KserveHttpClientDeps } from './client-http.ts';
export { classifyStatus, classifyThrown, parseRetryAfter } from './classify.ts';
export { DATATYPES, isDatatype, toWireTensor } from './tensors.ts';
export type { Datatype, WireTensor } from './tensors.ts';
export { createKserveGrpcClient } from './client-grpc.ts';
export type { KserveGrpcClientDeps } from './client-grpc.ts';
export { classifyGrpcError, grpcCodeName } from './classify-grpc.ts';
export { createPreflight, readInputMetadata } from './preflight.ts';
export type { InputMetadata, Preflight, PreflightOptions } from './preflight.ts';
/** The OIP v2 gRPC wire format, for a server of the protocol (the reference model server). */
export { INFERENCE_SERVICE, toSafeNumber } from './grpc-proto.ts';
export type { WireGrpcTensor, WireModelInferRequest, WireModelInferResponse, WireModelRef } from './grpc-proto.ts';
export { elementCount, fromContents, fromRaw, needsRaw, toContents, toRaw, WireFormatError } from './grpc-tensors.ts';
