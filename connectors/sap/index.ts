export { createSapEventDecoder } from './event-decoder.ts';
export { createIdocDecoder } from './idoc-decoder.ts';
export type { IdocDecoderOptions } from './idoc-decoder.ts';
