/**
 * RabbitMQ plumbing of the fault suite, against a given broker URL (a private node the test may
 * stop, block or cut): unique queues, a paced publisher of numbered events with publisher confirms,
 * and collectors of the enriched queue and the dead-letter queue that survive the broker going away.
 */
import { connect } from 'amqplib';
import type { ChannelModel, ConfirmChannel } from 'amqplib';
import { DLQ_HEADERS } from '../../../schemas/dead-letter.ts';
import { uniqueName, waitFor } from '../../support/wait-for.ts';
import { faultEventValue } from './kafka-io.ts';
import type { Arrival } from './kafka-io.ts';
import { Ledger } from './ledger.ts';
import type { NumberedEvent } from './ledger.ts';

export interface AmqpFaultIo {
  readonly queues: { readonly source: string; readonly sink: string; readonly dlq: string };
  readonly ledger: Ledger;
  readonly sink: Arrival[];
  readonly deadLetters: Arrival[];
  /** Publishes at `perSecond` with confirms; a broker that goes away is waited for and the tick re-sent. */
  produce(events: readonly NumberedEvent[], perSecond: number): Promise<void>;
  close(): Promise<void>;
}

export async function createAmqpFaultIo(url: string, name: string): Promise<AmqpFaultIo> {
  const base = uniqueName(`mb-faults-${name}`);
  const queues = { source: `${base}.in`, sink: `${base}.enriched`, dlq: `${base}.dlq` };
  const ledger = new Ledger(name);
  const sink: Arrival[] = [];
  const deadLetters: Arrival[] = [];
  let closed = false;
  let collector: ChannelModel | undefined;

  // The collector reconnects by itself after a broker restart or a forced close; acks after recording,
  // so a message is recorded at least once (a redelivery after a cut shows as a duplicate, honestly).
  async function startCollector(): Promise<void> {
    const connection = await connect(url, { clientProperties: { connection_name: `faults collector ${base}` } });
    collector = connection;
    connection.on('error', () => undefined);
    connection.on('close', () => {
      if (!closed) void waitFor(() => startCollector().then(() => true), { timeoutMs: 120_000, intervalMs: 500, what: 'collector reconnect' });
    });
    const channel = await connection.createChannel();
    channel.on('error', () => undefined);
    for (const queue of Object.values(queues)) await channel.assertQueue(queue, { durable: true });
    await channel.prefetch(500);
    for (const [queue, into, dead] of [[queues.sink, sink, false], [queues.dlq, deadLetters, true]] as const) {
      await channel.consume(queue, (message) => {
        if (!message) return;
        const value = message.content.toString('utf8');
        const input = dead
          ? (JSON.parse(value) as { id: string; key: string; seq: number })
          : (JSON.parse(value) as { data: { input: { id: string; key: string; seq: number } } }).data.input;
        const header = (message.properties.headers as Record<string, unknown> | undefined)?.[DLQ_HEADERS.eventId];
        const id = dead && header !== undefined ? String(header) : input.id;
        into.push({ id, key: input.key, seq: input.seq, at: Date.now() });
        if (dead) ledger.deadLettered(id);
        else ledger.enriched(id);
        channel.ack(message);
      });
    }
  }
  await startCollector();

  let publisher: { connection: ChannelModel; channel: ConfirmChannel } | undefined;
  async function publishChannel(): Promise<ConfirmChannel> {
    if (publisher) return publisher.channel;
    const connection = await connect(url, { clientProperties: { connection_name: `faults publisher ${base}` } });
    connection.on('error', () => undefined);
    const channel = await connection.createConfirmChannel();
    channel.on('error', () => undefined);
    const current = { connection, channel };
    publisher = current;
    connection.on('close', () => {
      if (publisher === current) publisher = undefined;
    });
    return channel;
  }

  return {
    queues,
    ledger,
    sink,
    deadLetters,
    async produce(events, perSecond) {
      const perTick = Math.max(1, Math.round(perSecond / 20));
      for (let i = 0; i < events.length; i += perTick) {
        const tick = Date.now();
        const batch = events.slice(i, i + perTick);
        ledger.sent(batch);
        // At-least-once publishing: a tick whose confirms did not arrive is sent again whole.
        await waitFor(async () => {
          const channel = await publishChannel();
          for (const event of batch) {
            channel.sendToQueue(queues.source, Buffer.from(faultEventValue(event)), {
              persistent: true,
              contentType: 'application/json',
              headers: { cloudEvents_partitionkey: event.key },
            });
          }
          await channel.waitForConfirms();
          return true;
        }, { timeoutMs: 120_000, intervalMs: 250, what: 'the source queue to confirm a tick' });
        const wait = 50 - (Date.now() - tick);
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      }
    },
    async close() {
      closed = true;
      await publisher?.connection.close().catch(() => undefined);
      const cleanup = await connect(url).catch(() => undefined);
      if (cleanup) {
        cleanup.on('error', () => undefined);
        const channel = await cleanup.createChannel();
        for (const queue of Object.values(queues)) await channel.deleteQueue(queue).catch(() => undefined);
        await cleanup.close().catch(() => undefined);
      }
      await collector?.close().catch(() => undefined);
    },
  };
}
