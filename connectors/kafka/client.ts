/**
 * The kafkajs client as this folder builds it: connection settings from the connector config, and
 * kafkajs's own logs routed to the injected logger.
 */
import { Kafka, logLevel } from 'kafkajs';
import type { KafkaConfig, LogEntry, SASLOptions } from 'kafkajs';
import type { KafkaSinkConfig, KafkaSourceConfig } from '../../schemas/connector-config.ts';
import { tlsConnectionOptions } from '../broker-security.ts';

type LogMethod = (obj: object, msg?: string) => void;

/** The logger the Kafka connector writes to; a pino logger fits. */
export interface KafkaLogger {
  error: LogMethod;
  warn: LogMethod;
  info: LogMethod;
  debug: LogMethod;
}

/** Dependencies of the Kafka source and sink. */
export interface KafkaDeps {
  /** Where kafkajs and connector logs go; without one, nothing is logged. */
  readonly logger?: KafkaLogger | undefined;
}

const noop: LogMethod = () => undefined;

/** A logger that drops everything, for callers that pass none. */
export const silentLogger: KafkaLogger = Object.freeze({ error: noop, warn: noop, info: noop, debug: noop });

type ConnectionConfig = Pick<KafkaSourceConfig | KafkaSinkConfig, 'brokers' | 'clientId' | 'ssl' | 'sasl'>;

/** A kafkajs client for one source or sink. kafkajs logs below WARN are dropped: its INFO is chatty. */
export function createKafkaClient(config: ConnectionConfig, logger: KafkaLogger, defaultClientId: string): Kafka {
  const options: KafkaConfig = {
    brokers: config.brokers,
    clientId: config.clientId ?? defaultClientId,
    ssl: typeof config.ssl === 'boolean' ? config.ssl : tlsConnectionOptions(config.ssl, 'kafka ssl'),
    logLevel: logLevel.WARN,
    logCreator: () => (entry: LogEntry) => log(logger, entry),
  };
  if (config.sasl) options.sasl = { ...config.sasl } as SASLOptions;
  return new Kafka(options);
}

/**
 * kafkajs's `Connection` logs every error response at ERROR before handing the error to its caller,
 * which retries transient ones ("the coordinator is loading", "not the leader", a rebalance under
 * way) and surfaces the rest. Those lines describe broker states, not failures of ours: they go to
 * debug, and what actually fails reaches the logs through the caller (a consumer crash, a failed send).
 */
const RESPONSE_LOGGING_NAMESPACES = new Set(['Connection']);

function log(logger: KafkaLogger, entry: LogEntry): void {
  const { message, ...extra } = entry.log;
  const fields = { ...extra, kafkaNamespace: entry.namespace };
  if (entry.level === logLevel.ERROR && RESPONSE_LOGGING_NAMESPACES.has(entry.namespace)) {
    logger.debug(fields, message);
    return;
  }
  switch (entry.level) {
    case logLevel.ERROR:
      logger.error(fields, message);
      break;
    case logLevel.WARN:
      logger.warn(fields, message);
      break;
    case logLevel.INFO:
      logger.info(fields, message);
      break;
    default:
      logger.debug(fields, message);
  }
}
