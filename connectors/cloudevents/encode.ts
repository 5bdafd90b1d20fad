/**
 * Canonical event → CloudEvents message, for sinks: structured mode (JSON format) or binary mode with
 * the Kafka (`ce_*`) or AMQP (`cloudEvents_*`, the separator the spec prefers) header convention.
 * The reverse of `createCloudEventsDecoder`: decoding an encoded event gives the event back, except that
 * binary mode carries every attribute as a string and `Buffer` data without `datacontenttype` gains
 * `application/octet-stream` (bytes cannot travel as JSON).
 */
import type { CanonicalEvent } from '../../schemas/event.ts';
import { isJsonMediaType, mediaType } from '../decoding/payload.ts';

/** An encoded event. Kafka sinks write `headers`; AMQP sinks also set the content-type property from `contentType`. */
export interface EncodedEvent {
  readonly value: Buffer | null;
  readonly headers: Record<string, string>;
  readonly contentType: string | undefined;
}

export type CloudEventsBinding = 'kafka' | 'amqp';

export const STRUCTURED_CONTENT_TYPE = 'application/cloudevents+json; charset=utf-8';
const PREFIXES: Readonly<Record<CloudEventsBinding, string>> = { kafka: 'ce_', amqp: 'cloudEvents_' };

/** The event as one JSON document; `Buffer` data travels as `data_base64`. */
export function encodeStructured(event: CanonicalEvent): EncodedEvent {
  let document: Record<string, unknown> = event;
  if (Buffer.isBuffer(event.data)) {
    const { data, ...attributes } = event;
    document = { ...attributes, data_base64: (data as Buffer).toString('base64') };
  }
  return { value: Buffer.from(JSON.stringify(document)), headers: { 'content-type': STRUCTURED_CONTENT_TYPE }, contentType: STRUCTURED_CONTENT_TYPE };
}

/**
 * Attributes as headers, `data` as the value (none: `null`, a tombstone on compacted topics).
 * `datacontenttype` becomes the `content-type` header (Kafka) or the content-type property (AMQP).
 */
export function encodeBinary(event: CanonicalEvent, binding: CloudEventsBinding): EncodedEvent {
  const prefix = PREFIXES[binding];
  const headers: Record<string, string> = {};
  for (const name in event) {
    if (name === 'data' || name === 'datacontenttype') continue;
    const value = event[name];
    if (value !== undefined && value !== null) headers[prefix + name] = String(value);
  }
  const { data } = event;
  let contentType = event.datacontenttype;
  let value: Buffer | null = null;
  if (Buffer.isBuffer(data)) {
    value = data;
    contentType ??= 'application/octet-stream';
  } else if (data !== undefined) {
    const json = contentType === undefined || isJsonMediaType(mediaType(contentType)) || typeof data !== 'string';
    value = Buffer.from(json ? JSON.stringify(data) : data);
  }
  if (binding === 'kafka' && contentType !== undefined) headers['content-type'] = contentType;
  return { value, headers, contentType };
}
