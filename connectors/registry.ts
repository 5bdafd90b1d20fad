/**
 * The explicit registry of connector kinds: config `kind` → factory. Injected into the worker, so tests
 * and the demo can pass a memory broker; nothing registers itself by import side effect.
 */
import type { Logger } from 'pino';
import type { BackendConfig, ConnectorConfig, SinkConfig, SourceConfig } from '../schemas/connector-config.ts';
import { createCloudEventsDecoder } from './cloudevents/index.ts';
import { createJsonDecoder } from './json/index.ts';
import { createKafkaDeadLetterStore, createKafkaSink, createKafkaSource } from './kafka/index.ts';
import { createRestClient } from './rest/index.ts';
import { createKserveGrpcClient, createKserveHttpClient } from './kserve/index.ts';
import { createMemoryDeadLetterStore, createMemorySink, createMemorySource } from './memory/index.ts';
import { createOpenaiClient } from './openai/index.ts';
import { createSalesforceCdcDecoder, createSalesforcePlatformEventDecoder } from './salesforce/index.ts';
import { createIdocDecoder, createSapEventDecoder } from './sap/index.ts';
import type { MemoryBroker } from './memory/index.ts';
import { createRabbitmqDeadLetterStore, createRabbitmqSink, createRabbitmqSource } from './rabbitmq/index.ts';
import type { KafkaDeadLetterConfig } from './kafka/index.ts';
import type { RabbitmqDeadLetterConfig } from './rabbitmq/index.ts';
import type { DeadLetterStore, Decoder, InferenceClient, Sink, Source } from './types.ts';

/** A dead-letter destination to read: a Kafka topic, an AMQP queue or a memory stream. */
export type DeadLetterStoreConfig =
  | ({ readonly kind: 'kafka' } & KafkaDeadLetterConfig)
  | ({ readonly kind: 'rabbitmq' } & RabbitmqDeadLetterConfig)
  | { readonly kind: 'memory'; readonly stream: string };

export interface ConnectorRegistry {
  createSource(config: SourceConfig, logger: Logger): Source;
  createSink(config: SinkConfig, logger: Logger): Sink;
  createDecoder(config: ConnectorConfig['decode']): Decoder;
  createInferenceClient(config: BackendConfig, logger: Logger, limits?: InferenceLimits): InferenceClient;
  /** A reader of a dead-letter destination, for browsing and replay. */
  createDeadLetterStore(config: DeadLetterStoreConfig, logger: Logger): DeadLetterStore;
}

/** Limits the connector sets on every inference client it creates. */
export interface InferenceLimits {
  /** Largest answer read per call, in bytes; each client has its own default. */
  readonly maxResponseBytes?: number | undefined;
}

export interface RegistryOptions {
  /** Required for `kind: memory` sources and sinks (demo and unit tests). */
  readonly memoryBroker?: MemoryBroker;
}

export function createRegistry(options: RegistryOptions = {}): ConnectorRegistry {
  function memory(): MemoryBroker {
    if (!options.memoryBroker) throw new Error('kind "memory" needs a memory broker (demo and tests only)');
    return options.memoryBroker;
  }
  return {
    createSource(config, logger) {
      switch (config.kind) {
        case 'kafka':
          return createKafkaSource(config, { logger });
        case 'rabbitmq':
          return createRabbitmqSource(config, { logger });
        case 'memory':
          return createMemorySource(config, memory());
      }
    },
    createSink(config, logger) {
      switch (config.kind) {
        case 'kafka':
          return createKafkaSink(config, { logger });
        case 'rabbitmq':
          return createRabbitmqSink(config, { logger });
        case 'memory':
          return createMemorySink(config, memory());
      }
    },
    createDecoder(config) {
      switch (config.format) {
        case 'json':
          return createJsonDecoder(config);
        case 'cloudevents':
          return createCloudEventsDecoder(config);
        case 'sap-event':
          return createSapEventDecoder(config);
        case 'sap-idoc':
          return createIdocDecoder(config, { maxElements: config.idoc?.maxElements });
        case 'salesforce-cdc':
          return createSalesforceCdcDecoder(config, { org: config.salesforce?.org });
        case 'salesforce-platform-event':
          return createSalesforcePlatformEventDecoder(config, { org: config.salesforce?.org });
      }
    },
    createDeadLetterStore(config, logger) {
      switch (config.kind) {
        case 'kafka':
          return createKafkaDeadLetterStore(config, { logger });
        case 'rabbitmq':
          return createRabbitmqDeadLetterStore(config);
        case 'memory':
          return createMemoryDeadLetterStore(memory(), config.stream);
      }
    },
    createInferenceClient(config, _logger, limits = {}) {
      const deps = limits.maxResponseBytes === undefined ? {} : { maxResponseBytes: limits.maxResponseBytes };
      switch (config.kind) {
        case 'kserve-http':
          return createKserveHttpClient(config, deps);
        case 'kserve-grpc':
          return createKserveGrpcClient(config, deps);
        case 'openai':
          return createOpenaiClient(config, deps);
        case 'rest':
          return createRestClient(config, deps);
      }
    },
  };
}
