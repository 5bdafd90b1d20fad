/**
 * The ways a real payload reaches a decoder: as the record value or message body on Kafka and on
 * RabbitMQ / SAP Event Mesh, and for CloudEvents also in binary mode (`ce_*` Kafka headers as bytes,
 * `cloudEvents_*` AMQP headers as strings). Headers and origins are what the sources hand the pipeline.
 */
import { readFileSync } from 'node:fs';
import type { Headers, InboundMessage, MessageOrigin } from '../../../connectors/types.ts';

const DIR = new URL('../../fixtures/real/', import.meta.url);

/** The bytes of a file in test/fixtures/real. */
export function realPayload(name: string): Buffer {
  return readFileSync(new URL(name, DIR));
}

export type DeliveryForm = 'kafka' | 'kafka-binary' | 'rabbitmq' | 'rabbitmq-binary';

export function kafkaOrigin(topic: string, offset = '4711'): MessageOrigin {
  return { transport: 'kafka', topic, partition: 2, offset, timestamp: 1_700_000_000_000 };
}

export function amqpOrigin(queue: string): Extract<MessageOrigin, { transport: 'amqp' }> {
  return { transport: 'amqp', exchange: 'amq.topic', routingKey: queue, queue, redelivered: false, deliveryTag: 9 };
}

/** A message carrying `body` as it is, labelled with `contentType`. */
export function plain(body: Buffer, form: 'kafka' | 'rabbitmq', contentType: string, where: string, headers: Headers = {}): InboundMessage {
  if (form === 'kafka') {
    return { key: null, value: body, headers: { 'content-type': Buffer.from(contentType), ...headers }, contentType: undefined, timestamp: 1_700_000_000_000, origin: kafkaOrigin(where) };
  }
  return { key: null, value: body, headers, contentType, timestamp: undefined, origin: amqpOrigin(where) };
}

/** A structured CloudEvent file in binary mode: attributes as headers, `data` as the body. */
export function binaryCloudEvent(file: Buffer, form: 'kafka-binary' | 'rabbitmq-binary', where: string): InboundMessage {
  const event = JSON.parse(file.toString('utf8')) as Record<string, unknown>;
  const headers: Headers = {};
  for (const [name, value] of Object.entries(event)) {
    if (name === 'data' || name === 'datacontenttype') continue;
    if (form === 'kafka-binary') headers[`ce_${name}`] = Buffer.from(String(value));
    else headers[`cloudEvents_${name}`] = String(value);
  }
  const contentType = typeof event.datacontenttype === 'string' ? event.datacontenttype : 'application/json';
  const body = Buffer.from(JSON.stringify(event.data));
  if (form === 'kafka-binary') {
    return { key: null, value: body, headers: { ...headers, 'content-type': Buffer.from(contentType) }, contentType: undefined, timestamp: undefined, origin: kafkaOrigin(where) };
  }
  return { key: null, value: body, headers, contentType, timestamp: undefined, origin: amqpOrigin(where) };
}

/** The file delivered in `form`; JSON CloudEvents arrive structured as `application/cloudevents+json` on Kafka and as SAP Event Mesh labels them (`application/json`) on RabbitMQ. */
export function deliver(name: string, form: DeliveryForm, where: string, headers: Headers = {}): InboundMessage {
  const file = realPayload(name);
  if (form === 'kafka-binary' || form === 'rabbitmq-binary') return binaryCloudEvent(file, form, where);
  const xml = name.endsWith('.xml');
  const cloudEvent = !xml && JSON.parse(file.toString('utf8')).specversion !== undefined;
  const contentType = xml ? 'application/xml' : cloudEvent && form === 'kafka' ? 'application/cloudevents+json' : 'application/json';
  return plain(file, form, contentType, where, headers);
}
