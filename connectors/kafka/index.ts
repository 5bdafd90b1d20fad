/** The Kafka transport. kafkajs stays behind this folder: only the contracts of `../types.ts` leave it. */
export { createKafkaSource } from './source.ts';
export { createKafkaSink } from './sink.ts';
export type { KafkaDeps, KafkaLogger } from './client.ts';
export { createKafkaDeadLetterStore } from './dlq-reader.ts';
export type { KafkaDeadLetterConfig } from './dlq-reader.ts';
