/**
 * Reads a RabbitMQ dead-letter queue for browsing and replay without reordering it.
 *
 * AMQP 0-9-1 has no non-destructive read. The reader takes the messages the queue held when it opened,
 * one `basic.get` at a time and without acking, so the queue order is kept: a removed message is
 * acked (after its replay was confirmed), and every other one stays unacked until `close()`, when the
 * channel closes and the broker requeues them. Classic queues (what the sinks declare) put requeued
 * messages back at their original position; other queue types may not. While a reader is open, the
 * messages it holds are invisible to other consumers of the queue, and they come back with the
 * `redelivered` flag set. A connection lost midway has the same effect as `close()`: nothing is lost,
 * and a message whose replay was confirmed but whose ack did not reach the broker is read again.
 */
import { connect } from 'amqplib';
import type { Channel, ChannelModel, GetMessage } from 'amqplib';
import type { BrokerTlsConfig } from '../../schemas/connector-config.ts';
import { ModelbridgeError } from '../../schemas/errors.ts';
import type { DeadLetterReader, DeadLetterStore, StoredDeadLetter } from '../types.ts';
import { amqpConnectOptions, amqpSecurity, toAmqpRefusal } from './connection.ts';
import { toInboundMessage } from './delivery.ts';

export interface RabbitmqDeadLetterConfig {
  /** `amqp://user:pass@host:5672/vhost` or `amqps://…`. */
  readonly url: string;
  readonly queue: string;
  /** TLS of an `amqps://` URL and the login mechanism, as in the connector's `deadLetter`. */
  readonly tls?: BrokerTlsConfig | undefined;
  readonly auth?: 'plain' | 'external' | undefined;
}

/** A {@link DeadLetterStore} over one queue. */
export function createRabbitmqDeadLetterStore(config: RabbitmqDeadLetterConfig): DeadLetterStore {
  return {
    kind: 'rabbitmq',
    name: config.queue,
    async open(mode) {
      const skip = mode.kind === 'browse' && mode.cursor !== undefined ? decodeCursor(mode.cursor) : 0;
      const security = amqpSecurity({ tls: config.tls, auth: config.auth ?? 'plain' });
      let model: ChannelModel;
      try {
        model = await connect(config.url, amqpConnectOptions(security, `modelbridge dlq reader ${config.queue}`));
      } catch (error) {
        throw toAmqpRefusal(error, 'receive') ?? new Error(`cannot connect to RabbitMQ for ${config.queue}`, { cause: error });
      }
      let lost: Error | undefined;
      model.on('error', (error: Error) => (lost = error));
      try {
        const channel = await model.createChannel();
        channel.on('error', (error: Error) => (lost = error));
        const { messageCount } = await channel.checkQueue(config.queue);
        return createReader(model, channel, config.queue, messageCount, skip, mode.kind === 'consume', () => lost);
      } catch (error) {
        await model.close().catch(() => undefined);
        throw new Error(`cannot read dead-letter queue ${config.queue}`, { cause: error });
      }
    },
  };
}

function createReader(
  model: ChannelModel,
  channel: Channel,
  queue: string,
  total: number,
  skip: number,
  consume: boolean,
  lost: () => Error | undefined,
): DeadLetterReader {
  let taken = 0;
  let closing: Promise<void> | undefined;
  let exhausted = false;

  function entry(raw: GetMessage, index: number): StoredDeadLetter {
    let settled = false;
    return {
      message: toInboundMessage(raw, queue),
      position: String(index),
      remove() {
        if (settled) return;
        settled = true;
        // A browse never removes; a channel already closed means the broker requeued it: read again later.
        if (consume && !closing) channel.ack(raw);
      },
      keep() {
        settled = true;
      },
    };
  }

  return {
    total,
    async next(signal) {
      for (;;) {
        signal.throwIfAborted();
        const error = lost();
        if (error) throw new Error(`lost the connection reading ${queue}`, { cause: error });
        // Only the messages present at open: replays to another queue never feed back, and a reader
        // never spins on messages it holds itself.
        if (exhausted || closing || taken >= total) return undefined;
        const raw = await channel.get(queue, { noAck: false });
        if (raw === false) {
          exhausted = true;
          return undefined;
        }
        const index = taken++;
        if (index >= skip) return entry(raw, index);
      }
    },
    cursor() {
      return String(taken);
    },
    close() {
      closing ??= (async () => {
        // Closing the channel requeues every unacked message in place; its close-ok also means the
        // broker processed every ack sent before it.
        await channel.close().catch(() => undefined);
        await model.close().catch(() => undefined);
      })();
      return closing;
    },
  };
}

function decodeCursor(cursor: string): number {
  if (!/^\d{1,9}$/.test(cursor)) throw new ModelbridgeError('CONFIG_INVALID', 'invalid cursor', { stage: 'receive' });
  return Number(cursor);
}
