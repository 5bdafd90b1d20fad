/**
 * Publishes to a RabbitMQ exchange on a confirm channel: `publish()` resolves only on the broker's
 * `basic.ack`, persistent (delivery mode 2) and `mandatory`.
 *
 * Failure semantics, decided here once:
 * - broker `basic.nack`, or the channel/connection lost before the confirm: PUBLISH_FAILED, retryable
 *   (the message may or may not be stored; a retry can duplicate, which at-least-once allows);
 * - returned as unroutable (`basic.return`, 312 NO_ROUTE): PUBLISH_FAILED, **not** retryable. No queue
 *   is bound for the routing key, a topology/config problem that retrying the same message will not
 *   fix; failing fast lets the worker dead-letter it with the reason instead of stalling its key;
 * - body above `maxMessageBytes`, or a header table above amqplib's 64 KiB: PUBLISH_TOO_LARGE.
 *
 * Backpressure: when amqplib's `publish()` returns false its socket buffer is full; later publishes
 * queue (in order) until `'drain'`. Publishes also queue while disconnected. A queued publish waits at
 * most `waitTimeoutMs`, then fails retryable, so nothing waits without bound.
 *
 * Each publish carries a `messageId` unique to this sink, the only way to tie a `basic.return` to its
 * publish (returns and confirms are not in publish order across queues).
 */
import { randomBytes } from 'node:crypto';
import type { ChannelModel, ConfirmChannel, Message } from 'amqplib';
import { pino } from 'pino';
import type { Logger } from 'pino';
import { rabbitmqRoutingKey } from '../../schemas/connector-config.ts';
import type { RabbitmqSinkConfig } from '../../schemas/connector-config.ts';
import { ModelbridgeError } from '../../schemas/errors.ts';
import type { OutboundMessage, Sink } from '../types.ts';
import { amqpSecurity, createAmqpConnection } from './connection.ts';
import type { AmqpConnection, AmqpSession } from './connection.ts';
import { toAmqpHeaders } from './headers.ts';

export interface RabbitmqSinkDeps {
  readonly logger?: Logger | undefined;
  /** Longest a publish waits for a connection or for the channel to drain, in ms. Default 30 000. */
  readonly waitTimeoutMs?: number | undefined;
}

interface Pending {
  readonly message: OutboundMessage;
  readonly content: Buffer;
  readonly resolve: () => void;
  readonly reject: (error: ModelbridgeError) => void;
  id: string;
  session: AmqpSession<ConfirmChannel> | undefined;
  timer: NodeJS.Timeout | undefined;
  returned: Message | undefined;
  done: boolean;
}

const NO_ROUTE = 312;

/** A `Sink` publishing to `config.exchange` with `config.routingKey` (or `message.destination`). */
export function createRabbitmqSink(config: RabbitmqSinkConfig, deps: RabbitmqSinkDeps = {}): Sink {
  const destination = config.exchange === '' ? (config.queue ?? config.routingKey) : config.exchange;
  const logger = (deps.logger ?? pino({ enabled: false })).child({ component: 'rabbitmq-sink', destination });
  const security = amqpSecurity(config);
  const waitTimeoutMs = deps.waitTimeoutMs ?? 30_000;
  // On the default exchange the routing key is the queue name: default it to the declared queue.
  const routingKey = rabbitmqRoutingKey(config);
  const idPrefix = `${randomBytes(6).toString('base64url')}.`;
  const inflight = new Map<string, Pending>();
  const waiting: Pending[] = [];
  let sequence = 0;
  let connection: AmqpConnection | undefined;
  let started: Promise<void> | undefined;
  let ready: AmqpSession<ConfirmChannel> | undefined;
  let writable = false;
  let closed = false;
  let closing: Promise<void> | undefined;
  let onIdle: (() => void) | undefined;

  function finish(pending: Pending, error?: ModelbridgeError): void {
    if (pending.done) return;
    pending.done = true;
    if (pending.id !== '') inflight.delete(pending.id);
    if (pending.timer !== undefined) clearTimeout(pending.timer);
    if (error) pending.reject(error);
    else pending.resolve();
    if (onIdle && inflight.size === 0 && waiting.length === 0) onIdle();
  }

  function failed(message: string, cause?: unknown): ModelbridgeError {
    return new ModelbridgeError('PUBLISH_FAILED', message, { cause });
  }

  function onConfirm(pending: Pending, error: unknown): void {
    if (error) finish(pending, failed('the broker did not confirm the publish', error));
    else if (pending.returned) {
      const { replyCode, replyText } = pending.returned.fields as unknown as { replyCode: number; replyText: string };
      finish(
        pending,
        new ModelbridgeError('PUBLISH_FAILED', `unroutable: no queue bound to ${config.exchange || '(default exchange)'} for routing key "${pending.returned.fields.routingKey}" (${replyCode} ${replyText})`, {
          retryable: replyCode !== NO_ROUTE,
          upstreamStatus: replyCode,
        }),
      );
    } else finish(pending);
  }

  function send(pending: Pending, session: AmqpSession<ConfirmChannel>): void {
    const { message } = pending;
    pending.id = idPrefix + (++sequence).toString(36);
    pending.session = session;
    inflight.set(pending.id, pending);
    let accepted: boolean;
    try {
      accepted = session.channel.publish(
        config.exchange,
        message.destination ?? routingKey,
        pending.content,
        {
          persistent: true,
          mandatory: true,
          messageId: pending.id,
          contentType: message.contentType,
          headers: toAmqpHeaders(message.headers, message.key),
          timestamp: Math.floor(Date.now() / 1000),
        },
        (error: unknown) => onConfirm(pending, error),
      );
    } catch (error) {
      // amqplib throws RangeError for a header table over its 64 KiB frame buffer (2.3.1+).
      if (error instanceof RangeError) finish(pending, new ModelbridgeError('PUBLISH_TOO_LARGE', 'message headers too large for AMQP', { cause: error }));
      else finish(pending, failed('publish on a closed channel', error));
      return;
    }
    if (!accepted) writable = false;
  }

  function enqueue(pending: Pending): void {
    pending.timer = setTimeout(() => {
      const index = waiting.indexOf(pending);
      if (index >= 0) waiting.splice(index, 1);
      finish(pending, failed(`no connection or channel drain within ${waitTimeoutMs}ms`));
    }, waitTimeoutMs);
    waiting.push(pending);
  }

  function flush(): void {
    while (ready?.alive && writable && waiting.length > 0) {
      const pending = waiting.shift()!;
      clearTimeout(pending.timer);
      pending.timer = undefined;
      send(pending, ready);
    }
  }

  async function setup(session: AmqpSession<ConfirmChannel>): Promise<void> {
    const { channel } = session;
    if (config.exchangeType !== undefined && config.exchange !== '') {
      await channel.assertExchange(config.exchange, config.exchangeType, { durable: true });
    }
    if (config.queue !== undefined) {
      await channel.assertQueue(config.queue, { durable: true });
      if (config.exchange !== '') await channel.bindQueue(config.queue, config.exchange, config.routingKey);
    } else if (config.exchange !== '') {
      await channel.checkExchange(config.exchange);
    }
    channel.on('return', (returned: Message) => {
      const pending = inflight.get(returned.properties.messageId as string);
      if (pending) pending.returned = returned;
    });
    channel.on('drain', () => {
      if (ready !== session) return;
      writable = true;
      flush();
    });
    ready = session;
    writable = true;
    flush();
  }

  function start(): Promise<void> {
    started ??= (async () => {
      connection = createAmqpConnection({
        url: config.url,
        security,
        stage: 'publish',
        reconnectDelayMs: config.reconnectDelayMs,
        connectionName: `modelbridge sink ${destination}`,
        logger,
        openChannel: (model: ChannelModel) => model.createConfirmChannel(),
        setup,
        onLost(session) {
          if (ready === session) ready = undefined;
          for (const pending of inflight.values()) {
            if (pending.session === session) finish(pending, failed('connection lost before the broker confirmed the publish'));
          }
        },
      });
      await connection.ready();
    })();
    return started;
  }

  return {
    kind: 'rabbitmq',

    start() {
      if (closed) return Promise.reject(new ModelbridgeError('ABORTED', 'sink closed', { stage: 'publish' }));
      return start();
    },

    publish(message) {
      if (closed) return Promise.reject(new ModelbridgeError('ABORTED', 'sink closed', { stage: 'publish' }));
      const content = toContent(message.value);
      if (content.length > config.maxMessageBytes) {
        return Promise.reject(new ModelbridgeError('PUBLISH_TOO_LARGE', `message of ${content.length} bytes exceeds maxMessageBytes ${config.maxMessageBytes}`));
      }
      if (!started) start().catch((error: unknown) => logger.debug({ err: error }, 'sink start ended'));
      return new Promise<void>((resolve, reject) => {
        const pending: Pending = { message, content, resolve, reject, id: '', session: undefined, timer: undefined, returned: undefined, done: false };
        if (ready?.alive && writable && waiting.length === 0) send(pending, ready);
        else enqueue(pending);
      });
    },

    status() {
      return { connected: ready?.alive === true };
    },

    close() {
      closing ??= (async () => {
        closed = true;
        // Flush: let queued and unconfirmed publishes finish, bounded, while a connection is up.
        if (ready?.alive && (inflight.size > 0 || waiting.length > 0)) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, waitTimeoutMs);
            onIdle = () => {
              clearTimeout(timer);
              resolve();
            };
          });
        }
        for (const pending of waiting.splice(0)) finish(pending, new ModelbridgeError('ABORTED', 'sink closed before publishing', { stage: 'publish' }));
        await connection?.close();
      })();
      return closing;
    },
  };
}

function toContent(value: Buffer | string | null): Buffer {
  if (value === null) return Buffer.alloc(0);
  return typeof value === 'string' ? Buffer.from(value) : value;
}
