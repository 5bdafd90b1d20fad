/**
 * The RabbitMQ (AMQP 0-9-1) transport. amqplib types stay inside this folder; the pipeline sees
 * `Source`, `Sink` and `Delivery` only.
 */
export { createRabbitmqSource } from './source.ts';
export type { RabbitmqSourceDeps } from './source.ts';
export { createRabbitmqSink } from './sink.ts';
export type { RabbitmqSinkDeps } from './sink.ts';
export { KEY_HEADER as AMQP_KEY_HEADER } from './headers.ts';
export { createRabbitmqDeadLetterStore } from './dlq-reader.ts';
export type { RabbitmqDeadLetterConfig } from './dlq-reader.ts';

