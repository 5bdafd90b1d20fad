export { createSalesforceCdcDecoder } from './cdc-decoder.ts';
export { createSalesforcePlatformEventDecoder } from './platform-event-decoder.ts';
export type { SalesforceDecoderOptions } from './options.ts';
