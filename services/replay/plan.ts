/**
 * Resolves a request against the configured connectors: which destination to read (and over which
 * connection), where the parking lot is, and for each message where it may go. Targets are limited to
 * the origins of configured connectors and the destinations the connector's `replay.targets` list;
 * anything else is refused.
 */
import type { InboundMessage } from '../../connectors/types.ts';
import type { DeadLetterStoreConfig } from '../../connectors/registry.ts';
import type { ConnectorConfig, RabbitmqSinkConfig, RabbitmqSourceConfig, SinkConfig } from '../../schemas/connector-config.ts';
import { DLQ_HEADERS } from '../../schemas/dead-letter.ts';
import { headerText } from './bookkeeping.ts';
import { ReplayError } from './types.ts';
import type { DeadLetterSource, ReplayTarget } from './types.ts';

/** A publish route: the sink configuration (one sink per distinct config) and the topic / routing key. */
export interface Route {
  readonly sink: SinkConfig;
  readonly destination: string;
}

export interface ReplayPlan {
  readonly connector: ConnectorConfig;
  readonly store: DeadLetterStoreConfig;
  readonly parkingLot: SinkConfig;
  readonly maxReplays: number;
  /** Where a message goes, or why it cannot be replayed (it is then skipped and stays). */
  route(message: InboundMessage): Route | { readonly refused: string };
}

function dlqQueue(connector: ConnectorConfig): string | undefined {
  const dl = connector.deadLetter;
  if (dl.kind !== 'rabbitmq') return undefined;
  return connector.replay.queue ?? dl.queue ?? (dl.exchange === '' && dl.routingKey !== '' ? dl.routingKey : undefined);
}

/** The connector's dead-letter destination name: a Kafka topic, an AMQP queue or a memory stream. */
export function deadLetterName(connector: ConnectorConfig): string {
  const dl = connector.deadLetter;
  switch (dl.kind) {
    case 'kafka':
      return dl.topic;
    case 'memory':
      return dl.stream;
    case 'rabbitmq': {
      const queue = dlqQueue(connector);
      if (queue === undefined) throw new ReplayError('INVALID_REQUEST', `connector ${connector.name}: set replay.queue to the queue holding its dead letters`);
      return queue;
    }
  }
}

function defaultParkingLot(connector: ConnectorConfig): SinkConfig {
  const dl = connector.deadLetter;
  const name = `${deadLetterName(connector)}.parked`;
  switch (dl.kind) {
    case 'kafka':
      return { ...dl, topic: name };
    case 'memory':
      return { kind: 'memory', stream: name };
    case 'rabbitmq':
      return { ...dl, exchange: '', exchangeType: undefined, routingKey: name, queue: name };
  }
}

function parkingLotName(sink: SinkConfig): string {
  if (sink.kind === 'kafka') return sink.topic;
  if (sink.kind === 'memory') return sink.stream;
  return sink.queue ?? sink.routingKey;
}

function storeConfig(connector: ConnectorConfig, name: string): DeadLetterStoreConfig {
  const dl = connector.deadLetter;
  if (dl.kind === 'kafka') return { kind: 'kafka', brokers: dl.brokers, clientId: dl.clientId, ssl: dl.ssl, sasl: dl.sasl, topic: name };
  if (dl.kind === 'rabbitmq') return { kind: 'rabbitmq', url: dl.url, queue: name, tls: dl.tls, auth: dl.auth };
  return { kind: 'memory', stream: name };
}

/** The connector a request reads from, or UNKNOWN_CONNECTOR. */
export function findConnector(connectors: readonly ConnectorConfig[], name: string): ConnectorConfig {
  const connector = connectors.find((c) => c.name === name);
  if (!connector) throw new ReplayError('UNKNOWN_CONNECTOR', `no connector named ${name} is configured`);
  return connector;
}

/** Which destination a request reads: the DLQ, or (by name) the parking lot. */
export function readPlan(connectors: readonly ConnectorConfig[], from: DeadLetterSource): { connector: ConnectorConfig; store: DeadLetterStoreConfig; parkingLot: SinkConfig } {
  const connector = findConnector(connectors, from.connector);
  const parkingLot = connector.replay.parkingLot ?? defaultParkingLot(connector);
  const dlq = deadLetterName(connector);
  const name = from.name ?? dlq;
  if (name !== dlq && name !== parkingLotName(parkingLot)) {
    throw new ReplayError('INVALID_REQUEST', `${name} is neither the dead-letter destination (${dlq}) nor the parking lot of connector ${connector.name}`);
  }
  return { connector, store: storeConfig(connector, name), parkingLot };
}

/** A sink on the broker of a RabbitMQ source: its URL, TLS and login. */
function amqpConnection(source: RabbitmqSourceConfig): Omit<RabbitmqSinkConfig, 'exchange' | 'routingKey'> {
  return { kind: 'rabbitmq', url: source.url, tls: source.tls, auth: source.auth, maxMessageBytes: 16_777_216, reconnectDelayMs: source.reconnectDelayMs };
}

/** Sources of every configured connector on the same broker kind, for origin checks. */
function originRoute(connectors: readonly ConnectorConfig[], message: InboundMessage): Route | { refused: string } {
  const transport = headerText(message.headers, DLQ_HEADERS.originTransport);
  if (transport === 'kafka') {
    const topic = headerText(message.headers, DLQ_HEADERS.originTopic);
    const source = connectors.map((c) => c.source).find((s) => s.kind === 'kafka' && s.topic === topic);
    if (source?.kind !== 'kafka') return { refused: `origin topic ${topic ?? '(none)'} is not the source of a configured connector` };
    return { sink: { kind: 'kafka', brokers: source.brokers, clientId: source.clientId, ssl: source.ssl, sasl: source.sasl, topic: source.topic, maxMessageBytes: source.maxMessageBytes }, destination: source.topic };
  }
  if (transport === 'amqp') {
    // Back to the queue the connector consumed it from (default exchange), not through the original
    // exchange: that would deliver a second copy to every other queue bound to it.
    const queue = headerText(message.headers, DLQ_HEADERS.originQueue);
    const source = connectors.map((c) => c.source).find((s) => s.kind === 'rabbitmq' && s.queue === queue);
    if (source?.kind !== 'rabbitmq') return { refused: `origin queue ${queue ?? '(none)'} is not the source of a configured connector` };
    return { sink: { ...amqpConnection(source), exchange: '', routingKey: source.queue }, destination: source.queue };
  }
  if (transport === 'memory') {
    const stream = headerText(message.headers, DLQ_HEADERS.originTopic);
    const source = connectors.map((c) => c.source).find((s) => s.kind === 'memory' && s.stream === stream);
    if (source?.kind !== 'memory') return { refused: `origin stream ${stream ?? '(none)'} is not the source of a configured connector` };
    return { sink: { kind: 'memory', stream: source.stream }, destination: source.stream };
  }
  return { refused: 'the message has no origin headers' };
}

function namedRoute(connector: ConnectorConfig, target: Exclude<ReplayTarget, { kind: 'origin' }>): Route {
  const source = connector.source;
  const allowed = connector.replay.targets.some((t) =>
    t.kind === 'kafka' ? target.kind === 'kafka' && t.topic === target.topic : target.kind === 'rabbitmq' && t.exchange === target.exchange && t.routingKey === target.routingKey,
  );
  const isOwnSource =
    (target.kind === 'kafka' && source.kind === 'kafka' && source.topic === target.topic) ||
    (target.kind === 'rabbitmq' && source.kind === 'rabbitmq' && target.exchange === '' && target.routingKey === source.queue);
  if (!allowed && !isOwnSource) {
    throw new ReplayError('TARGET_NOT_ALLOWED', `target ${JSON.stringify(target)} is neither the source of connector ${connector.name} nor listed in its replay.targets`);
  }
  if (target.kind === 'kafka' && source.kind === 'kafka') {
    return { sink: { kind: 'kafka', brokers: source.brokers, clientId: source.clientId, ssl: source.ssl, sasl: source.sasl, topic: target.topic, maxMessageBytes: source.maxMessageBytes }, destination: target.topic };
  }
  if (target.kind === 'rabbitmq' && source.kind === 'rabbitmq') {
    return { sink: { ...amqpConnection(source), exchange: target.exchange, routingKey: target.routingKey }, destination: target.routingKey };
  }
  throw new ReplayError('TARGET_NOT_ALLOWED', `a ${target.kind} target needs a connector whose source is ${target.kind}`);
}

/** The full plan of a request; throws the request's refusal before anything is read. */
export function planReplay(connectors: readonly ConnectorConfig[], from: DeadLetterSource, target: ReplayTarget): ReplayPlan {
  const { connector, store, parkingLot } = readPlan(connectors, from);
  const fixed = target.kind === 'origin' ? undefined : namedRoute(connector, target);
  return {
    connector,
    store,
    parkingLot,
    maxReplays: connector.replay.maxReplays,
    route: (message) => fixed ?? originRoute(connectors, message),
  };
}
