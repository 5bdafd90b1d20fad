export { createMemoryBroker } from './broker.ts';
export type { MemoryBroker, MemoryStream, StoredMessage } from './broker.ts';
export { createMemorySource } from './source.ts';
export { createMemorySink } from './sink.ts';
export { createMemoryDeadLetterStore } from './dlq-reader.ts';
