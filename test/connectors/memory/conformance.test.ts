import { createMemoryBroker, createMemorySink, createMemorySource } from '../../../connectors/memory/index.ts';
import { runTransportConformance } from '../../support/transport-conformance.ts';
import { uniqueName } from '../../support/wait-for.ts';

// The in-memory transport (demo and unit tests) honours the same contract as Kafka and RabbitMQ.
runTransportConformance(
  'memory',
  async () => {
    const broker = createMemoryBroker();
    const stream = uniqueName('mem');
    let read = 0;
    return {
      createSource: () => createMemorySource({ kind: 'memory', stream, maxMessageBytes: 1_048_576 }, broker),
      createSink: () => createMemorySink({ kind: 'memory', stream }, broker),
      async inject(messages) {
        for (const message of messages) {
          broker.publish(stream, {
            key: message.key === null ? null : Buffer.from(message.key),
            value: message.value === null ? null : Buffer.from(message.value),
            headers: message.headers,
            contentType: message.contentType,
          });
        }
      },
      // Like a queue read: what was read once is not returned again.
      async readBack() {
        const log = broker.stream(stream).log;
        const fresh = log.slice(read).map((m) => ({ key: m.key, value: m.value, headers: m.headers }));
        read = log.length;
        return fresh;
      },
      async dispose() {},
    };
  },
  { preservesHeaderTypes: true, carriesContentType: true },
);
