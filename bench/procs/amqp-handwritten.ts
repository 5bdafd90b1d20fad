/**
 * The hand-written amqplib pipeline a team would weigh Modelbridge against, as a benchmark child:
 *
 *   node bench/procs/amqp-handwritten.ts --url amqp://… --input Q --output Q --model-url URL
 *     [--prefetch 256]
 *
 * `prefetch` deliveries outstanding (that is the concurrency), one undici keep-alive model call per
 * delivery, the output published on a confirm channel, the delivery acked on the publisher confirm.
 */
import { parseArgs } from 'node:util';
import { connect } from 'amqplib';
import type { ConsumeMessage } from 'amqplib';
import { createModelCaller } from './handwritten.ts';
import { announceReady, exitOnSigterm } from './ready.ts';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    input: { type: 'string' },
    output: { type: 'string' },
    prefetch: { type: 'string', default: '256' },
    'model-url': { type: 'string' },
  },
});
if (!values.url || !values.input || !values.output || !values['model-url']) {
  console.error('usage: amqp-handwritten.ts --url … --input … --output … --model-url URL [--prefetch N]');
  process.exit(2);
}
const output = values.output;
const prefetch = Number(values.prefetch);
const callModel = createModelCaller(values['model-url'], prefetch);

const connection = await connect(values.url);
const consumeChannel = await connection.createChannel();
const publishChannel = await connection.createConfirmChannel();
await consumeChannel.prefetch(prefetch);

async function onMessage(message: ConsumeMessage | null): Promise<void> {
  if (message === null) return;
  try {
    const body = await callModel(message.content);
    await new Promise<void>((resolve, reject) => {
      publishChannel.sendToQueue(output, Buffer.from(body), { persistent: true, headers: message.properties.headers, contentType: 'application/json' }, (error: unknown) =>
        error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve(),
      );
    });
    consumeChannel.ack(message);
  } catch (error) {
    console.error(error);
    consumeChannel.nack(message);
  }
}

await consumeChannel.consume(values.input, (message) => void onMessage(message), { noAck: false });
announceReady({ mode: 'handwritten' });

exitOnSigterm(async () => {
  await connection.close();
});
