/**
 * Hand-written kafkajs pipelines the worker is compared with, as a benchmark child process:
 *
 *   node bench/procs/kafka-baseline.ts --mode pipe|naive --brokers h:p --input T --output T
 *     --group G --partitions N [--model-url URL]
 *
 * - `pipe`: the ceiling. `eachBatch` forwards the whole fetched batch with one `send` (idempotent
 *   producer, acks -1, like the worker's sink), no model call, offsets committed by kafkajs.
 * - `naive`: the usual hand-written consumer. `eachMessage` awaits one HTTP model call, then awaits its
 *   own `send` (acks -1); `partitionsConsumedConcurrently` = partitions, so one event in flight per
 *   partition.
 */
import { parseArgs } from 'node:util';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import { announceReady, callModelOnce, exitOnSigterm } from './ready.ts';

const { values } = parseArgs({
  options: {
    mode: { type: 'string' },
    brokers: { type: 'string' },
    input: { type: 'string' },
    output: { type: 'string' },
    group: { type: 'string' },
    partitions: { type: 'string', default: '1' },
    'model-url': { type: 'string', default: '' },
  },
});
const mode = values.mode;
if ((mode !== 'pipe' && mode !== 'naive') || !values.brokers || !values.input || !values.output || !values.group) {
  console.error('usage: kafka-baseline.ts --mode pipe|naive --brokers … --input … --output … --group … [--partitions N] [--model-url URL]');
  process.exit(2);
}
const output = values.output;
const partitions = Number(values.partitions);
const inferUrl = `${values['model-url']}/v2/models/echo/infer`;

const kafka = new Kafka({ brokers: values.brokers.split(','), clientId: `bench-${mode}`, logLevel: logLevel.NOTHING });
const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: mode === 'pipe', maxInFlightRequests: mode === 'pipe' ? 5 : undefined });
const consumer = kafka.consumer({ groupId: values.group, maxWaitTimeInMs: 1000 });
await producer.connect();
await consumer.connect();
await consumer.subscribe({ topic: values.input, fromBeginning: true });
consumer.on(consumer.events.GROUP_JOIN, () => announceReady({ mode }));

if (mode === 'pipe') {
  await consumer.run({
    partitionsConsumedConcurrently: partitions,
    eachBatch: async ({ batch }) => {
      if (batch.messages.length === 0) return;
      await producer.send({ topic: output, acks: -1, messages: batch.messages.map((m) => ({ key: m.key, value: m.value })) });
    },
  });
} else {
  await consumer.run({
    partitionsConsumedConcurrently: partitions,
    eachMessage: async ({ message }) => {
      const event = JSON.parse(message.value?.toString('utf8') ?? '{}') as { id: string; text: string };
      const result = await callModelOnce(inferUrl, event.id, event.text);
      await producer.send({ topic: output, acks: -1, messages: [{ key: message.key, value: JSON.stringify({ ...event, output: result }) }] });
    },
  });
}

exitOnSigterm(async () => {
  await consumer.disconnect();
  await producer.disconnect();
});
