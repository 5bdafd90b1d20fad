import { inject } from 'vitest';
import { createKafkaSink, createKafkaSource } from '../../../../connectors/kafka/index.ts';
import type { OutboundMessage, Source } from '../../../../connectors/types.ts';
import { kafkaSinkSchema, kafkaSourceSchema } from '../../../../schemas/connector-config.ts';
import { createTopic, deleteTopic, produce, readRange, testKafka, topicEnds } from '../../../support/kafka.ts';
import type { TopicEnds } from '../../../support/kafka.ts';
import { runTransportConformance } from '../../../support/transport-conformance.ts';
import { uniqueName } from '../../../support/wait-for.ts';

const brokers = inject('kafkaBrokers');

runTransportConformance(
  'kafka',
  async () => {
    const topic = await createTopic(brokers, { cleanup: false });
    const group = uniqueName('mb-conformance');
    // Opened up front: read-back snapshots the high watermark at once, so a publish that resolved
    // before the broker had the record is caught.
    const admin = testKafka(brokers).admin();
    await admin.connect();
    let readUpTo: TopicEnds = new Map();
    const open = new Set<Source>();

    return {
      createSource() {
        // Consumer-group members split partitions rather than compete per message, and a paused
        // member keeps its partitions. A source made while another is still open is therefore the
        // suite's "witness": it reads as its own group, from the beginning.
        const source = createKafkaSource(
          kafkaSourceSchema.parse({ kind: 'kafka', brokers, topic, group: open.size > 0 ? uniqueName('mb-witness') : group, commitInterval: '100ms' }),
        );
        open.add(source);
        const close = source.close.bind(source);
        return { ...source, status: () => source.status(), close: () => close().finally(() => open.delete(source)) };
      },
      createSink: () => createKafkaSink(kafkaSinkSchema.parse({ kind: 'kafka', brokers, topic })),
      inject: (messages: readonly OutboundMessage[]) =>
        produce(
          brokers,
          topic,
          messages.map((m) => ({
            key: m.key,
            value: m.value,
            headers: m.contentType === undefined ? { ...m.headers } : { ...m.headers, 'content-type': m.contentType },
          })),
        ),
      async readBack() {
        const ends = await topicEnds(admin, topic);
        const records = await readRange(brokers, topic, readUpTo, ends);
        readUpTo = ends;
        return records.map((r) => ({
          key: r.key,
          value: r.value,
          headers: Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, Buffer.from(Array.isArray(v) ? v[v.length - 1]! : v!)])),
        }));
      },
      async dispose() {
        await admin.disconnect();
        await deleteTopic(brokers, topic);
      },
    };
  },
  // Kafka header values are bytes; content type travels as the `content-type` header both ways.
  { preservesHeaderTypes: false, carriesContentType: true, timeoutMs: 30_000 },
);
