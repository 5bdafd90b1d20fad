/**
 * Ack coalescing for one channel. Delivery tags of a channel count up from 1, and the pipeline settles
 * them out of order. Acks of the contiguous prefix of settled tags go out as one `basic.ack` with
 * `multiple: true` per event-loop turn; an ack beyond a gap (an earlier tag still in flight) goes out on
 * its own, so nothing is ever acked before it completed and one slow message does not hold the prefetch
 * window full. Nacks (requeue) go out at once, one by one.
 *
 * The tag of a `multiple` ack is always one still outstanding on the broker (acked here, not yet sent):
 * RabbitMQ closes the channel on an unknown tag.
 */
export interface AckChannel {
  ack(message: { fields: { deliveryTag: number } }, allUpTo?: boolean): void;
  nack(message: { fields: { deliveryTag: number } }, allUpTo?: boolean, requeue?: boolean): void;
}

const ACKED = 1;
/** Settled and already sent on its own (an ack beyond a gap, or a nack). */
const SENT = 2;

export class Acker {
  readonly #channel: AckChannel;
  readonly #onError: (error: unknown) => void;
  /** Every tag up to here is settled (acked or nacked) and sent. */
  #frontier = 0;
  /** Settled tags above the frontier. */
  readonly #settled = new Map<number, typeof ACKED | typeof SENT>();
  #scheduled: NodeJS.Immediate | undefined;
  #alive = true;

  constructor(channel: AckChannel, onError: (error: unknown) => void) {
    this.#channel = channel;
    this.#onError = onError;
  }

  ack(tag: number): void {
    if (!this.#alive || tag <= this.#frontier || this.#settled.has(tag)) return;
    this.#settled.set(tag, ACKED);
    this.#scheduled ??= setImmediate(() => this.flush());
  }

  nack(tag: number): void {
    if (!this.#alive || tag <= this.#frontier || this.#settled.has(tag)) return;
    this.#settled.set(tag, SENT);
    this.#send(tag, false, true);
  }

  /** Sends what is due now: one multiple ack for the prefix, single acks beyond a gap. */
  flush(): void {
    if (this.#scheduled) clearImmediate(this.#scheduled);
    this.#scheduled = undefined;
    if (!this.#alive) return;
    let upTo = 0;
    for (let next = this.#frontier + 1; ; next++) {
      const state = this.#settled.get(next);
      if (state === undefined) break;
      this.#settled.delete(next);
      this.#frontier = next;
      if (state === ACKED) upTo = next;
    }
    if (upTo > 0) this.#send(upTo, true, false);
    for (const [tag, state] of this.#settled) {
      if (state !== ACKED) continue;
      this.#settled.set(tag, SENT);
      this.#send(tag, false, false);
    }
  }

  /** The channel is gone: its deliveries are requeued by the broker, nothing more is sent. */
  close(): void {
    this.#alive = false;
    if (this.#scheduled) clearImmediate(this.#scheduled);
    this.#scheduled = undefined;
    this.#settled.clear();
  }

  /** One ack (or nack, requeueing) frame; a channel that closed meanwhile is the error callback's. */
  #send(deliveryTag: number, multiple: boolean, nack: boolean): void {
    const message = { fields: { deliveryTag } };
    try {
      if (nack) this.#channel.nack(message, multiple, true);
      else this.#channel.ack(message, multiple);
    } catch (error) {
      this.#onError(error);
    }
  }
}
