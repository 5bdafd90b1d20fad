export { createCloudEventsDecoder } from './decoder.ts';
export { encodeBinary, encodeStructured, STRUCTURED_CONTENT_TYPE } from './encode.ts';
export type { CloudEventsBinding, EncodedEvent } from './encode.ts';
