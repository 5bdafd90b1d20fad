/**
 * A fetched kafkajs message as the pipeline's `InboundMessage`: headers as bytes, the content type
 * from the `content-type` header, and the Kafka origin (topic, partition, offset, timestamp). Shared
 * by the source and the dead-letter reader, which must read records alike.
 */
import type { IHeaders, KafkaMessage } from 'kafkajs';
import type { Headers, InboundMessage } from '../types.ts';

/** The pipeline's view of one fetched record. */
export function toInbound(topic: string, partition: number, message: KafkaMessage): InboundMessage {
  const headers = toHeaders(message.headers);
  const contentType = headers['content-type'];
  const timestamp = message.timestamp ? Number(message.timestamp) : undefined;
  return {
    key: message.key,
    value: message.value,
    headers,
    contentType: contentType === undefined ? undefined : contentType.toString(),
    timestamp,
    origin: { transport: 'kafka', topic, partition, offset: message.offset, timestamp },
  };
}

const EMPTY_HEADERS: Headers = Object.freeze({}) as Headers;

/** kafkajs header values as bytes; a key repeated on the record keeps its last value (Java's `lastHeader`). */
function toHeaders(raw: IHeaders | undefined): Headers {
  if (!raw) return EMPTY_HEADERS;
  // Created at the first header: most records carry none, and share the one empty object.
  let headers: Record<string, Buffer> | undefined;
  for (const key in raw) {
    let value = raw[key];
    if (Array.isArray(value)) value = value[value.length - 1];
    if (value === undefined) continue;
    headers ??= {};
    headers[key] = typeof value === 'string' ? Buffer.from(value) : value;
  }
  return headers ?? EMPTY_HEADERS;
}
