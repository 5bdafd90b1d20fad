/**
 * Consumes one RabbitMQ queue with manual acknowledgements and `prefetch` as the intake window.
 *
 * Acks are coalesced (see acker.ts): the contiguous prefix of completed delivery tags is acked with
 * one `multiple` ack per event-loop turn; a delivery completed beyond a gap is acked on its own, so
 * nothing is acked early and one slow message does not keep the prefetch window full.
 */
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import { pino } from 'pino';
import type { Logger } from 'pino';
import type { RabbitmqSourceConfig } from '../../schemas/connector-config.ts';
import { ModelbridgeError } from '../../schemas/errors.ts';
import type { DeliveryHandler, Source } from '../types.ts';
import { amqpSecurity, createAmqpConnection } from './connection.ts';
import type { AmqpConnection, AmqpSession } from './connection.ts';
import { Acker } from './acker.ts';
import { AmqpDelivery } from './delivery.ts';
import type { DeliveryContext } from './delivery.ts';

export interface RabbitmqSourceDeps {
  readonly logger?: Logger | undefined;
}

/** The consumer on one session. `tag` is set from `consume-ok` until `cancel-ok`. */
interface Consumer {
  readonly context: DeliveryContext;
  tag: string | undefined;
}

/**
 * A `Source` over `config.queue`. `pause()` cancels the consumer (deliveries already pushed still
 * arrive and can be acked), `resume()` consumes again; after a reconnect consuming resumes by itself
 * unless paused or closed. Unacked deliveries of a lost channel are redelivered by the broker.
 *
 * `start()` keeps retrying (with backoff, logged) until the broker is reachable and consuming began;
 * `close()` aborts it with `ABORTED`. `maxMessageBytes` is the pipeline's check, not enforced here.
 */
export function createRabbitmqSource(config: RabbitmqSourceConfig, deps: RabbitmqSourceDeps = {}): Source {
  const logger = (deps.logger ?? pino({ enabled: false })).child({ component: 'rabbitmq-source', queue: config.queue });
  const security = amqpSecurity(config);
  let handler: DeliveryHandler | undefined;
  let connection: AmqpConnection | undefined;
  let consumer: Consumer | undefined;
  let running = false;
  let reconciled: Promise<void> = Promise.resolve();
  let paused = false;
  let closed = false;
  let closing: Promise<void> | undefined;

  const onSettleError = (error: unknown): void => logger.debug({ err: error }, 'ack/nack on a closing channel; the broker requeues it');

  function onMessage(current: Consumer, raw: ConsumeMessage | null): void {
    if (raw === null) {
      // The broker cancelled us (queue deleted, node down): recycle the session to re-declare and re-consume.
      logger.warn('consumer cancelled by the broker');
      current.tag = undefined;
      current.context.session.channel.close().catch(onSettleError);
      return;
    }
    handler?.(new AmqpDelivery(raw, current.context));
  }

  /**
   * Brings the broker-side consumer in line with `paused`/`closed`, one channel operation at a time.
   * A running pass re-reads the state after every await, so a call while running needs no new pass.
   */
  function reconcile(): Promise<void> {
    // `running` is set before the pass starts and cleared in its `finally`, which runs synchronously
    // when the pass has nothing to do: testing the promise instead would keep a finished one forever.
    if (!running) {
      running = true;
      reconciled = runReconcile();
    }
    return reconciled;
  }

  async function runReconcile(): Promise<void> {
    try {
      for (;;) {
        const current = consumer;
        if (!current || !current.context.session.alive) return;
        const { channel } = current.context.session;
        const want = !paused && !closed;
        if (want && current.tag === undefined) {
          const ok = await channel.consume(config.queue, (raw) => onMessage(current, raw), { noAck: false });
          current.tag = ok.consumerTag;
        } else if (!want && current.tag !== undefined) {
          await channel.cancel(current.tag);
          current.tag = undefined;
        } else {
          return;
        }
      }
    } catch (error) {
      // Consume/cancel fail only with their channel, whose loss is handled by the connection.
      logger.warn({ err: error }, 'consume/cancel failed');
    } finally {
      running = false;
    }
  }

  async function setup(session: AmqpSession<Channel>): Promise<void> {
    const { channel } = session;
    await channel.prefetch(config.prefetch);
    if (config.assertQueue) await channel.assertQueue(config.queue, { durable: true });
    else await channel.checkQueue(config.queue);
    const acker = new Acker(channel, onSettleError);
    const current: Consumer = { context: { session, queue: config.queue, acker }, tag: undefined };
    consumer = current;
    await reconcile();
    // A reconcile already running for the previous session may have returned early; run ours.
    if (current.tag === undefined && !paused && !closed) await reconcile();
    if (current.tag === undefined && !paused && !closed) throw new Error(`could not consume from ${config.queue}`);
  }

  return {
    kind: 'rabbitmq',

    async start(onDelivery) {
      if (closed) throw new ModelbridgeError('ABORTED', 'source closed', { stage: 'receive' });
      if (connection) throw new ModelbridgeError('INTERNAL', 'source already started', { stage: 'receive' });
      handler = onDelivery;
      connection = createAmqpConnection({
        url: config.url,
        security,
        stage: 'receive',
        reconnectDelayMs: config.reconnectDelayMs,
        connectionName: `modelbridge source ${config.queue}`,
        logger,
        openChannel: (model: ChannelModel) => model.createChannel(),
        setup,
        onLost(session) {
          if (consumer?.context.session === session) {
            consumer.context.acker.close();
            consumer = undefined;
          }
          if (!closed) logger.warn('amqp channel lost; unacked deliveries will be redelivered');
        },
      });
      await connection.ready();
    },

    pause() {
      paused = true;
      void reconcile();
    },

    resume() {
      paused = false;
      void reconcile();
    },

    status() {
      return { connected: consumer?.context.session.alive === true, paused };
    },

    async backlog() {
      const session = consumer?.context.session;
      if (!session?.alive) return {};
      // Ready messages only: what this consumer holds unacked is the connector's in-flight count.
      const { messageCount } = await session.channel.checkQueue(config.queue);
      return { queue: { name: config.queue, ready: messageCount } };
    },

    close() {
      closed = true;
      // Acks coalesced for this turn go out before the channel closes.
      if (consumer?.context.session.alive) consumer.context.acker.flush();
      closing ??= connection ? connection.close() : Promise.resolve();
      return closing;
    },
  };
}
