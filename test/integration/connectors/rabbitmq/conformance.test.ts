import { createRabbitmqSink, createRabbitmqSource } from '../../../../connectors/rabbitmq/index.ts';
import { toAmqpHeaders } from '../../../../connectors/rabbitmq/headers.ts';
import { rabbitmqSinkSchema, rabbitmqSourceSchema } from '../../../../schemas/connector-config.ts';
import { amqpUrl, drainQueue, openTestChannel, publishRaw } from '../../../support/rabbitmq.ts';
import { runTransportConformance } from '../../../support/transport-conformance.ts';
import { uniqueName } from '../../../support/wait-for.ts';

runTransportConformance(
  'rabbitmq',
  async () => {
    const url = amqpUrl();
    const queue = uniqueName('mb-conformance');
    // Reads go over a channel opened up front, so read-back is as prompt as the broker.
    const reader = await openTestChannel();
    await reader.channel.assertQueue(queue, { durable: true });
    return {
      createSource: () => createRabbitmqSource(rabbitmqSourceSchema.parse({ kind: 'rabbitmq', url, queue, prefetch: 64, reconnectDelay: 100 })),
      createSink: () => createRabbitmqSink(rabbitmqSinkSchema.parse({ kind: 'rabbitmq', url, routingKey: queue })),
      inject: (messages) =>
        publishRaw(
          queue,
          messages.map((message) => ({
            value: message.value ?? Buffer.alloc(0),
            headers: toAmqpHeaders(message.headers, message.key),
            properties: message.contentType === undefined ? {} : { contentType: message.contentType },
          })),
        ),
      readBack: () => drainQueue(queue, reader.channel),
      dispose: async () => {
        await reader.channel.deleteQueue(queue);
        await reader.close();
      },
    };
  },
  { preservesHeaderTypes: true, carriesContentType: true },
);
