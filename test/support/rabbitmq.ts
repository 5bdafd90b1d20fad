/**
 * RabbitMQ helpers for integration tests. Each helper opens a short-lived connection of its own, so a
 * test never shares a channel with the code under test.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { connect } from 'amqplib';
import type { Channel, ConfirmChannel, Options } from 'amqplib';
import { inject, onTestFinished } from 'vitest';
import { fromAmqpHeaders, keyFromHeaders } from '../../connectors/rabbitmq/headers.ts';
import type { Headers } from '../../connectors/types.ts';
import { uniqueName } from './wait-for.ts';

const DEFAULT_AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672';
const run = promisify(execFile);

/** The test broker: `inject('amqpUrl')` from the integration globalSetup, else `AMQP_URL`, else local. */
export function amqpUrl(): string {
  let provided: string | undefined;
  try {
    provided = inject('amqpUrl');
  } catch {
    provided = undefined;
  }
  return provided ?? process.env.AMQP_URL ?? DEFAULT_AMQP_URL;
}

/** Runs `work` on a fresh confirm channel, then closes its connection. */
export async function withChannel<T>(work: (channel: ConfirmChannel) => Promise<T>): Promise<T> {
  const connection = await connect(amqpUrl(), { timeout: 5000 });
  connection.on('error', () => undefined);
  try {
    const channel = await connection.createConfirmChannel();
    channel.on('error', () => undefined);
    return await work(channel);
  } finally {
    await connection.close().catch(() => undefined);
  }
}

export interface CreateQueueOptions {
  prefix?: string;
  /** Registers the queue's deletion; default `onTestFinished`. Pass e.g. a hook's cleanup list. */
  register?: (cleanup: () => Promise<void>) => void;
}

/** Declares a durable queue with a unique name and registers its deletion. */
export async function createQueue(options: CreateQueueOptions = {}): Promise<string> {
  const queue = uniqueName(options.prefix ?? 'mb-test');
  await withChannel((channel) => channel.assertQueue(queue, { durable: true }));
  (options.register ?? onTestFinished)(async () => {
    await withChannel((channel) => channel.deleteQueue(queue));
  });
  return queue;
}

/** A message to put on a queue directly (bypassing the sink under test). */
export interface RawAmqpMessage {
  value: Buffer | string;
  headers?: Headers | Record<string, unknown>;
  properties?: Omit<Options.Publish, 'headers'>;
}

/** Publishes to `queue` via the default exchange; resolves once the broker confirmed every message. */
export async function publishRaw(queue: string, messages: readonly RawAmqpMessage[]): Promise<void> {
  await withChannel(async (channel) => {
    for (const message of messages) {
      const content = typeof message.value === 'string' ? Buffer.from(message.value) : message.value;
      channel.sendToQueue(queue, content, { persistent: true, ...message.properties, headers: message.headers });
    }
    await channel.waitForConfirms();
  });
}

/** A message as read back from a queue. */
export interface DrainedMessage {
  key: Buffer | null;
  value: Buffer;
  headers: Headers;
  contentType: string | undefined;
  messageId: string | undefined;
  deliveryMode: number | undefined;
  redelivered: boolean;
}

/** Takes (gets and acks) every message the queue holds right now, on `channel` or a fresh one. */
export async function drainQueue(queue: string, channel?: Channel): Promise<DrainedMessage[]> {
  if (!channel) return withChannel((fresh) => drainQueue(queue, fresh));
  const drained: DrainedMessage[] = [];
  for (;;) {
    const message = await channel.get(queue, { noAck: true });
    if (message === false) return drained;
    const headers = fromAmqpHeaders(message.properties.headers as Record<string, unknown> | undefined);
    drained.push({
      key: keyFromHeaders(headers),
      value: message.content,
      headers,
      contentType: message.properties.contentType as string | undefined,
      messageId: message.properties.messageId as string | undefined,
      deliveryMode: message.properties.deliveryMode as number | undefined,
      redelivered: message.fields.redelivered,
    });
  }
}

/** An open test channel (for reads that must not pay for a connection handshake); `close()` it. */
export async function openTestChannel(): Promise<{ channel: ConfirmChannel; close: () => Promise<void> }> {
  const connection = await connect(amqpUrl(), { timeout: 5000 });
  connection.on('error', () => undefined);
  const channel = await connection.createConfirmChannel();
  channel.on('error', () => undefined);
  return { channel, close: () => connection.close().catch(() => undefined) };
}

/** Messages ready for delivery in `queue` (not counting unacked ones). */
export async function queueDepth(queue: string): Promise<number> {
  return withChannel(async (channel) => (await channel.checkQueue(queue)).messageCount);
}

/**
 * Force-closes, via `rabbitmqctl`, the broker connections whose client-provided `connection_name`
 * contains `nameFragment` — only ours, so tests of other files running against the same broker are
 * not disturbed. Returns how many were closed.
 */
export async function closeConnections(nameFragment: string): Promise<number> {
  // Plain output: the JSON formatter prints pids in a syntax close_connection does not accept.
  const { stdout } = await run('rabbitmqctl', ['list_connections', 'pid', 'client_properties', '--no-table-headers', '--quiet']);
  let closed = 0;
  for (const line of stdout.split('\n')) {
    const pid = line.split('\t')[0];
    if (!pid || !line.includes(nameFragment)) continue;
    await run('rabbitmqctl', ['close_connection', pid, 'modelbridge test: simulated connection loss', '--quiet']);
    closed++;
  }
  return closed;
}
