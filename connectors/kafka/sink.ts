/**
 * Kafka sink: an idempotent producer (acks -1) whose `publish()` resolves only once the broker
 * acknowledged the message. Publishes issued in the same event-loop turn go out as one `sendBatch`.
 */
import type { Message, Producer, TopicMessages } from 'kafkajs';
import { Partitioners } from 'kafkajs';
import type { KafkaSinkConfig } from '../../schemas/connector-config.ts';
import { ModelbridgeError } from '../../schemas/errors.ts';
import type { Headers, OutboundMessage, Sink } from '../types.ts';
import { createBatcher } from './batcher.ts';
import { createKafkaClient, silentLogger } from './client.ts';
import type { KafkaDeps } from './client.ts';
import { isTooLarge, toConnectRefusal, toPublishError } from './errors.ts';

/** Most messages coalesced into one produce request. */
const MAX_BATCH_COUNT = 500;
/** Per-record framing (lengths, attributes, timestamp and offset deltas), a safe upper estimate. */
const RECORD_OVERHEAD_BYTES = 32;

interface Outgoing {
  readonly topic: string;
  readonly message: Message;
}

/** Creates a Kafka sink publishing to `config.topic` (or each message's `destination`). */
export function createKafkaSink(config: KafkaSinkConfig, deps: KafkaDeps = {}): Sink {
  const logger = deps.logger ?? silentLogger;
  const kafka = createKafkaClient(config, logger, 'modelbridge-sink');
  // Idempotence needs acks -1 and at most 5 requests in flight; it keeps retries from duplicating.
  const producer: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 5, createPartitioner: Partitioners.DefaultPartitioner });
  let connected = false;
  let connecting: Promise<void> | undefined;
  let closing: Promise<void> | undefined;
  producer.on(producer.events.CONNECT, () => (connected = true));
  producer.on(producer.events.DISCONNECT, () => (connected = false));

  function connect(): Promise<void> {
    connecting ??= producer.connect().catch((error: unknown) => {
      connecting = undefined;
      throw error;
    });
    return connecting;
  }

  const batcher = createBatcher<Outgoing>({
    maxCount: MAX_BATCH_COUNT,
    // The broker's size limit applies to the record batch of a partition, not to each record.
    maxBytes: config.maxMessageBytes,
    splittable: isTooLarge,
    mapError: toPublishError,
    async send(items) {
      await connect();
      await producer.sendBatch({ topicMessages: byTopic(items), acks: -1 });
    },
  });

  async function shutdown(): Promise<void> {
    const failures: unknown[] = [];
    await batcher.flush().catch((error: unknown) => failures.push(error));
    if (connecting) {
      await producer.disconnect().catch((error: unknown) => failures.push(error));
    }
    connected = false;
    for (const error of failures) logger.error({ err: error }, 'kafka sink did not close cleanly');
    if (failures.length > 0) throw new Error('kafka sink did not close cleanly', { cause: failures[0] });
  }

  return {
    kind: 'kafka',
    async start() {
      try {
        await connect();
      } catch (error) {
        throw toConnectRefusal(error, 'publish') ?? toPublishError(error);
      }
    },
    publish(message) {
      if (closing) return Promise.reject(new ModelbridgeError('ABORTED', 'kafka sink is closed', { stage: 'publish' }));
      const bytes = sizeOf(message);
      if (bytes > config.maxMessageBytes) {
        return Promise.reject(
          new ModelbridgeError('PUBLISH_TOO_LARGE', `message of about ${bytes} bytes exceeds the sink's maxMessageBytes ${config.maxMessageBytes}`),
        );
      }
      return batcher.add({ topic: message.destination ?? config.topic, message: toKafkaMessage(message) }, bytes);
    },
    status() {
      return { connected: connected && !closing };
    },
    close() {
      closing ??= shutdown();
      return closing;
    },
  };
}

function toKafkaMessage(message: OutboundMessage): Message {
  let headers: Headers = message.headers;
  if (message.contentType !== undefined && headers['content-type'] === undefined) {
    headers = { ...headers, 'content-type': message.contentType };
  }
  const out: Message = { key: message.key, value: message.value, headers };
  if (message.partition !== undefined) out.partition = message.partition;
  return out;
}

function byTopic(items: Outgoing[]): TopicMessages[] {
  const first = items[0]!.topic;
  if (items.every((item) => item.topic === first)) return [{ topic: first, messages: items.map((item) => item.message) }];
  const topics = new Map<string, Message[]>();
  for (const { topic, message } of items) {
    const list = topics.get(topic);
    if (list) list.push(message);
    else topics.set(topic, [message]);
  }
  return [...topics].map(([topic, messages]) => ({ topic, messages }));
}

/** Upper estimate of the record's size on the wire (uncompressed). */
function sizeOf(message: OutboundMessage): number {
  let bytes = RECORD_OVERHEAD_BYTES + byteLength(message.key) + byteLength(message.value);
  for (const key in message.headers) bytes += Buffer.byteLength(key) + byteLength(message.headers[key]) + 4;
  if (message.contentType !== undefined) bytes += 16 + Buffer.byteLength(message.contentType);
  return bytes;
}

function byteLength(value: Buffer | string | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'string' ? Buffer.byteLength(value) : value.length;
}
