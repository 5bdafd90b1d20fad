export { createJsonDecoder } from './decoder.ts';
