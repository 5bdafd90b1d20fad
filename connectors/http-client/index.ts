/**
 * The HTTP plumbing the HTTP inference clients (`rest`, `kserve-http`, `openai`) share: the undici
 * keep-alive transport, the endpoint around it, and what every HTTP status and thrown error means.
 */
export { createHttpTransport } from './transport.ts';
export type { HttpAnswer, HttpCall, HttpTransport, HttpTransportOptions } from './transport.ts';
export { createHttpEndpoint } from './endpoint.ts';
export type { HttpEndpoint, HttpEndpointOptions } from './endpoint.ts';
export { HTTP_STATUS_CODES, badResponse, classifyThrown, codeForStatus, parseRetryAfter, truncate } from './errors.ts';
