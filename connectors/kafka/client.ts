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
 * Levels kafkajs overstates, by namespace and its level:
 * - `Connection` logs every error response at ERROR before handing the error to its caller, which
 *   retries transient ones ("the coordinator is loading", "not the leader") and surfaces the rest:
 *   debug here; what actually fails reaches the logs through the caller (a consumer crash, a send).
 * - `Runner` warns "the group is rebalancing, re-joining" whenever a member joins or leaves: the
 *   normal life of a consumer group, so info.
 */
const DOWNGRADED: ReadonlyMap<string, ReadonlyMap<number, number>> = new Map([
  ['Connection', new Map([[logLevel.ERROR, logLevel.DEBUG]])],
  ['Runner', new Map([[logLevel.WARN, logLevel.INFO]])],
]);

function log(logger: KafkaLogger, entry: LogEntry): void {
  const { message, ...extra } = entry.log;
  const fields = { ...extra, kafkaNamespace: entry.namespace };
  const level = DOWNGRADED.get(entry.namespace)?.get(entry.level) ?? entry.level;
  switch (level) {
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
