/**
 * An AMQP delivery as the pipeline sees it. Acks go to the channel the message came from, once, and
 * only while that channel lives: delivery tags are per channel, so acking an old tag on a new channel
 * would ack (or fail on) a different message. Deliveries of a dead channel are requeued by the broker.
 * Acks are coalesced per channel by its {@link Acker}.
 */
import type { Channel, ConsumeMessage, Message } from 'amqplib';
import type { Delivery, InboundMessage } from '../types.ts';
import type { Acker } from './acker.ts';
import type { AmqpSession } from './connection.ts';
import { fromAmqpHeaders, keyFromHeaders } from './headers.ts';

/** What all deliveries of one consumer share (one object per session, not per message). */
export interface DeliveryContext {
  readonly session: AmqpSession<Channel>;
  readonly queue: string;
  /** Coalesces this channel's acks. */
  readonly acker: Acker;
}

export class AmqpDelivery implements Delivery {
  readonly message: InboundMessage;
  readonly lane: string;
  readonly receivedAt = performance.now();
  #context: DeliveryContext;
  #raw: ConsumeMessage;
  #settled = false;

  constructor(raw: ConsumeMessage, context: DeliveryContext) {
    this.#raw = raw;
    this.#context = context;
    this.lane = context.queue;
    this.message = toInboundMessage(raw, context.queue);
  }

  ack(): void {
    this.#settle(true);
  }

  nack(): void {
    this.#settle(false);
  }

  #settle(ack: boolean): void {
    // A second ack of one tag is a channel error (406 PRECONDITION_FAILED) that would kill every
    // other delivery in flight on the channel.
    if (this.#settled) return;
    this.#settled = true;
    const { session, acker } = this.#context;
    if (!session.alive) return;
    if (ack) acker.ack(this.#raw.fields.deliveryTag);
    else acker.nack(this.#raw.fields.deliveryTag);
  }
}

/** The message unchanged, in the pipeline's shape. */
export function toInboundMessage(raw: Message, queue: string): InboundMessage {
  const { fields, properties } = raw;
  const headers = fromAmqpHeaders(properties.headers as Record<string, unknown> | undefined);
  const timestamp = properties.timestamp as unknown;
  return {
    key: keyFromHeaders(headers),
    value: raw.content,
    headers,
    contentType: typeof properties.contentType === 'string' ? properties.contentType : undefined,
    // AMQP timestamps are seconds since the epoch.
    timestamp: typeof timestamp === 'number' ? timestamp * 1000 : undefined,
    origin: {
      transport: 'amqp',
      exchange: fields.exchange,
      routingKey: fields.routingKey,
      queue,
      redelivered: fields.redelivered,
      deliveryTag: fields.deliveryTag,
    },
  };
}
