/** `rest` inference client: plain JSON REST models (FastAPI style). */
export { createRestClient, DEFAULT_MAX_RESPONSE_BYTES } from './client.ts';
export type { RestClientDeps } from './client.ts';
export { classifyStatus, classifyThrown } from './classify.ts';
