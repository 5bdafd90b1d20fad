/**
 * Hand-written amqplib pipelines the worker is compared with, as a benchmark child process:
 *
 *   node bench/procs/amqp-baseline.ts --mode pipe|naive --url amqp://… --input Q --output Q
 *     [--prefetch N] [--model-url URL]
 *
 * - `pipe`: the ceiling. Consumes with `prefetch` deliveries outstanding, republishes each on a confirm
 *   channel (persistent) and acks the delivery on the publisher confirm, no model call.
 * - `naive`: the usual hand-written consumer (the RabbitMQ work-queue tutorial): prefetch 1, each
 *   delivery awaits one HTTP model call, then its confirmed publish, then is acked.
 */
import { parseArgs } from 'node:util';
import { connect } from 'amqplib';
import type { ConsumeMessage } from 'amqplib';
import { announceReady, callModelOnce, exitOnSigterm } from './ready.ts';

const { values } = parseArgs({
  options: {
    mode: { type: 'string' },
    url: { type: 'string' },
    input: { type: 'string' },
    output: { type: 'string' },
    prefetch: { type: 'string', default: '256' },
    'model-url': { type: 'string', default: '' },
  },
});
const mode = values.mode;
if ((mode !== 'pipe' && mode !== 'naive') || !values.url || !values.input || !values.output) {
  console.error('usage: amqp-baseline.ts --mode pipe|naive --url … --input … --output … [--prefetch N] [--model-url URL]');
  process.exit(2);
}
const output = values.output;
const inferUrl = `${values['model-url']}/v2/models/echo/infer`;

const connection = await connect(values.url);
const consumeChannel = await connection.createChannel();
const publishChannel = await connection.createConfirmChannel();
await consumeChannel.prefetch(mode === 'pipe' ? Number(values.prefetch) : 1);

function publishConfirmed(content: Buffer, headers: Record<string, unknown> | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    publishChannel.sendToQueue(output, content, { persistent: true, headers, contentType: 'application/json' }, (error: unknown) =>
      error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve(),
    );
  });
}

async function onMessage(message: ConsumeMessage | null): Promise<void> {
  if (message === null) return;
  try {
    if (mode === 'pipe') {
      await publishConfirmed(message.content, message.properties.headers);
    } else {
      const event = JSON.parse(message.content.toString('utf8')) as { id: string; text: string };
      const result = await callModelOnce(inferUrl, event.id, event.text);
      await publishConfirmed(Buffer.from(JSON.stringify({ ...event, output: result })), message.properties.headers);
    }
    consumeChannel.ack(message);
  } catch (error) {
    console.error(error);
    consumeChannel.nack(message);
  }
}

await consumeChannel.consume(values.input, (message) => void onMessage(message), { noAck: false });
announceReady({ mode });

exitOnSigterm(async () => {
  await connection.close();
});
