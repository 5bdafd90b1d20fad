/**
 * The hand-written kafkajs pipeline a team would weigh Modelbridge against, as a benchmark child:
 *
 *   node bench/procs/kafka-handwritten.ts --brokers h:p --input T --output T --group G --partitions N
 *     --model-url URL [--concurrency 256]
 *
 * `eachBatch` on every partition at once; each batch's events call the model with at most
 * `concurrency` calls in flight across partitions (undici keep-alive), the outputs of the batch go out
 * in one send (idempotent producer, acks -1), and only then is the batch's offset committed.
 */
import { parseArgs } from 'node:util';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import { createModelCaller, createSemaphore } from './handwritten.ts';
import { announceReady, exitOnSigterm } from './ready.ts';

const { values } = parseArgs({
  options: {
    brokers: { type: 'string' },
    input: { type: 'string' },
    output: { type: 'string' },
    group: { type: 'string' },
    partitions: { type: 'string', default: '1' },
    'model-url': { type: 'string' },
    concurrency: { type: 'string', default: '256' },
  },
});
if (!values.brokers || !values.input || !values.output || !values.group || !values['model-url']) {
  console.error('usage: kafka-handwritten.ts --brokers … --input … --output … --group … --model-url URL [--partitions N] [--concurrency N]');
  process.exit(2);
}
const output = values.output;
const concurrency = Number(values.concurrency);
const callModel = createModelCaller(values['model-url'], concurrency);
const limited = createSemaphore(concurrency);

const kafka = new Kafka({ brokers: values.brokers.split(','), clientId: 'bench-handwritten', logLevel: logLevel.NOTHING });
const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true, maxInFlightRequests: 5 });
const consumer = kafka.consumer({ groupId: values.group, maxWaitTimeInMs: 100, maxBytesPerPartition: 256 * 1024 });
await producer.connect();
await consumer.connect();
await consumer.subscribe({ topic: values.input, fromBeginning: true });
consumer.on(consumer.events.GROUP_JOIN, () => announceReady({ mode: 'handwritten' }));

await consumer.run({
  autoCommit: false,
  eachBatchAutoResolve: false,
  partitionsConsumedConcurrently: Number(values.partitions),
  eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary }) => {
    if (batch.messages.length === 0) return;
    const outputs = await Promise.all(batch.messages.map((m) => limited(async () => ({ key: m.key, value: await callModel(m.value!) }))));
    await producer.send({ topic: output, acks: -1, messages: outputs });
    resolveOffset(batch.lastOffset());
    await commitOffsetsIfNecessary({ topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: String(Number(batch.lastOffset()) + 1) }] }] });
    await heartbeat();
  },
});

exitOnSigterm(async () => {
  await consumer.disconnect();
  await producer.disconnect();
});
