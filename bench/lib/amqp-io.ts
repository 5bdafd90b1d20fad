/**
 * The load generator's RabbitMQ side: unique durable queues, a confirmed publisher (as fast as the
 * broker confirms, or at a fixed rate) and a collector consuming the output queue.
 */
import { randomBytes } from 'node:crypto';
import { connect } from 'amqplib';

import { eventBody, eventKey } from './events.ts';
import type { KeySpec } from './events.ts';
import { nowMs } from './stats.ts';
import type { BenchTransport } from './transport.ts';

const BATCH = 500;

/** The RabbitMQ side of the load generator as a {@link BenchTransport}. */
export async function createAmqpTransport(url: string): Promise<BenchTransport> {
  const connection = await connect(url);
  connection.on('error', () => undefined);
  const channel = await connection.createConfirmChannel();
  channel.on('error', () => undefined);

  async function publishBatch(queue: string, runId: string, from: number, to: number, keys: KeySpec): Promise<void> {
    const ts = nowMs();
    for (let i = from; i < to; i++) {
      const accepted = channel.sendToQueue(queue, Buffer.from(eventBody(runId, i, keys, ts)), {
        persistent: true,
        contentType: 'application/json',
        headers: { cloudEvents_partitionkey: eventKey(i, keys) },
      });
      if (!accepted) await new Promise((resolve) => channel.once('drain', resolve));
    }
    await channel.waitForConfirms();
  }

  return {
    kind: 'rabbitmq',
    version: String(connection.connection.serverProperties.version ?? 'unknown'),
    async prepare(prefix, partitions) {
      const base = `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
      const d = { input: `${base}.in`, output: `${base}.out`, deadLetter: `${base}.dlq`, partitions };
      for (const queue of [d.input, d.output, d.deadLetter]) await channel.assertQueue(queue, { durable: true });
      return d;
    },
    async collect(d, collector) {
      // A channel of its own: consuming must not wait behind the publisher's confirms.
      const reader = await connection.createChannel();
      reader.on('error', () => undefined);
      await reader.consume(d.output, (message) => message && collector.record(message.content), { noAck: true });
      return () => reader.close().catch(() => undefined);
    },
    async produce(d, spec) {
      if (spec.mode === 'fast') {
        const firstAt = nowMs();
        for (let i = 0; i < spec.events; i += BATCH) await publishBatch(d.input, spec.runId, i, Math.min(spec.events, i + BATCH), spec.keys);
        return { sent: spec.events, firstAt };
      }
      const started = nowMs();
      let sent = 0;
      while (nowMs() - started < spec.durationMs) {
        const due = Math.floor(((nowMs() - started) / 1000) * spec.perSecond);
        if (due > sent) {
          await publishBatch(d.input, spec.runId, sent, due, spec.keys);
          sent = due;
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      return { sent, firstAt: started };
    },
    async cleanup(d) {
      for (const queue of [d.input, d.output, d.deadLetter]) await channel.deleteQueue(queue).catch(() => undefined);
    },
    close: () => connection.close().catch(() => undefined),
  };
}

