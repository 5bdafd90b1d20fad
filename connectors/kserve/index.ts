/** `kserve-*` inference clients: the Open Inference Protocol v2 (KServe, Triton). */
export { createKserveHttpClient } from './client-http.ts';
export type { KserveHttpClientDeps } from './client-http.ts';
export { classifyStatus, classifyThrown, parseRetryAfter } from './classify.ts';
export { DATATYPES, isDatatype, toWireTensor } from './tensors.ts';
export type { Datatype, WireTensor } from './tensors.ts';
