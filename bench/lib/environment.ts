/**
 * The brokers a benchmark runs against: `KAFKA_BROKERS` or a broker started from the Kafka jars (as the
 * integration tests do), and `AMQP_URL` or the local RabbitMQ. Plus a description of the machine.
 */
import { cpus, totalmem } from 'node:os';
import { kafkaVersion, startKafkaBroker } from '../../scripts/kafka-broker/broker.ts';

/** Kafka bootstrap brokers and how to release them. */
export interface KafkaEnvironment {
  readonly brokers: string[];
  /** `external` when given by KAFKA_BROKERS (its version is then unknown here). */
  readonly version: string;
  stop(): Promise<void>;
}

/** Uses `KAFKA_BROKERS` when set (from `env`), else starts a single-node KRaft broker. */
export async function kafkaEnvironment(env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<KafkaEnvironment> {
  const given = env.KAFKA_BROKERS?.split(',').map((b) => b.trim()).filter(Boolean);
  if (given?.length) return { brokers: given, version: 'external (KAFKA_BROKERS)', stop: async () => undefined };
  log('starting a Kafka broker from the Apache Kafka jars');
  const broker = await startKafkaBroker({ log });
  log(`Kafka ${kafkaVersion()} up on ${broker.brokers.join(',')}`);
  return { brokers: broker.brokers, version: kafkaVersion(), stop: broker.stop };
}

/** The machine a run happened on, for results/latest.json. */
export interface MachineInfo {
  cpus: number;
  cpu_model: string;
  memory_gb: number;
  node: string;
  kafka_version: string;
  rabbitmq_version: string;
  date: string;
}

export function machineInfo(kafka: string, rabbitmq: string): MachineInfo {
  const list = cpus();
  return {
    cpus: list.length,
    cpu_model: list[0]?.model ?? 'unknown',
    memory_gb: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    kafka_version: kafka,
    rabbitmq_version: rabbitmq,
    date: new Date().toISOString(),
  };
}
