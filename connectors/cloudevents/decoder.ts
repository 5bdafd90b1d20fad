/**
 * The `cloudevents` decoder: CloudEvents 1.0 in structured mode (`application/cloudevents+json`) or
 * binary mode (Kafka `ce_*` headers; AMQP `cloudEvents_*` / `cloudEvents:*` headers mirrored in the
 * 0-9-1 headers table), to the canonical event.
 *
 * How `data` comes out, the same in both modes:
 * - JSON (`datacontenttype` absent, `application/json`, `text/json`, `*\/*+json`): the parsed JSON value;
 * - text (`text/*`, XML, or a `charset` parameter): a string (invalid UTF-8 is MALFORMED_PAYLOAD);
 * - anything else, and structured `data_base64`: a `Buffer` with the exact bytes. Bytes never turn
 *   into a string just because they happen to be valid UTF-8, so Avro/Protobuf data keeps one type.
 * A binary-mode message without a value is an event without `data` (the binding's tombstone).
 *
 * JSON is parsed losslessly: integers beyond 2^53 become their exact decimal text. `partitionkey`: the
 * value of `decode.keyPath` in `data` when configured, else the `partitionkey` attribute, else the message
 * key. `decode.lenientTime` accepts plain but non-RFC 3339 `time` values (see {@link applyLenientTime}).
 */
import type { CanonicalEvent } from '../../schemas/event.ts';
import { ModelbridgeError } from '../../schemas/errors.ts';
import {
  contentTypeOf,
  createUtf8Decoder,
  decodeUtf8,
  findHeader,
  isJsonMediaType,
  isJsonObject,
  isTextContentType,
  keyText,
  kindOf,
  mediaType,
  parseJson,
  validTraceparent,
} from '../decoding/payload.ts';
import type { Decoder, InboundMessage } from '../types.ts';
import { ATTRIBUTE_NAME, assertCanonicalEvent } from './attributes.ts';
import type { DecodeConfig } from '../../schemas/connector-config.ts';
import { compileKeyPath, configuredKey } from '../decoding/key-expression.ts';
import { applyLenientTime } from './lenient-time.ts';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Creates the CloudEvents decoder. Of the `decode` options, `keyPath` and `lenientTime` apply.
 * @throws ConfigError when `decode.keyPath` is malformed.
 */
export function createCloudEventsDecoder(config: DecodeConfig): Decoder {
  const utf8 = createUtf8Decoder();
  const keyPath = compileKeyPath(config.keyPath);
  const lenientTime = config.lenientTime === true;

  function structured(message: InboundMessage, contentType: string): Record<string, unknown> {
    const type = mediaType(contentType);
    if (type !== 'application/cloudevents+json') {
      // Batch mode is not part of the Kafka binding; other structured formats (Avro, Protobuf) are not read.
      throw new ModelbridgeError('UNSUPPORTED_CONTENT_TYPE', `structured content type ${JSON.stringify(type.slice(0, 100))} is not supported`);
    }
    if (message.value === null || message.value.length === 0) throw new ModelbridgeError('EMPTY_MESSAGE', 'structured CloudEvent has no value');
    const parsed = parseJson(decodeUtf8(utf8, message.value));
    if (!isJsonObject(parsed)) throw new ModelbridgeError('INVALID_EVENT', `structured CloudEvent must be a JSON object, got ${kindOf(parsed)}`);
    const event: Record<string, unknown> = {};
    for (const name in parsed) {
      const value = parsed[name];
      if (name === 'data_base64') {
        if ('data' in parsed) throw new ModelbridgeError('INVALID_EVENT', 'data and data_base64 are mutually exclusive');
        if (value === null) continue;
        if (typeof value !== 'string' || !BASE64.test(value)) throw new ModelbridgeError('INVALID_EVENT', 'data_base64 must be a base64 string');
        event.data = Buffer.from(value, 'base64');
      } else if (name === 'data' || value !== null) {
        // JSON format: an attribute set to null is unset.
        event[name] = value;
      }
    }
    return event;
  }

  function binary(message: InboundMessage, contentType: string | undefined): Record<string, unknown> {
    const event: Record<string, unknown> = {};
    let found = false;
    for (const header in message.headers) {
      const name = attributeName(header);
      if (name === undefined) continue;
      const raw = message.headers[header];
      let value: unknown;
      if (Buffer.isBuffer(raw)) value = decodeUtf8(utf8, raw, `header ${header}`);
      else value = raw;
      // AMQP tables may carry typed values; anything other than a scalar is not an attribute.
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') continue;
      if (event[name] === undefined) event[name] = value;
      found = true;
    }
    const { value } = message;
    if (!found) {
      if (value === null || value.length === 0) throw new ModelbridgeError('EMPTY_MESSAGE', 'message has no value and no CloudEvents headers');
      throw new ModelbridgeError('INVALID_EVENT', 'not a CloudEvent: no ce_* / cloudEvents_* headers and the content type is not application/cloudevents+json');
    }
    if (contentType !== undefined) event.datacontenttype = contentType;
    const datacontenttype = typeof event.datacontenttype === 'string' ? event.datacontenttype : undefined;
    if (value !== null && value.length > 0) event.data = binaryData(value, datacontenttype);
    return event;
  }

  function binaryData(value: Buffer, datacontenttype: string | undefined): unknown {
    if (datacontenttype === undefined || isJsonMediaType(mediaType(datacontenttype))) return parseJson(decodeUtf8(utf8, value, 'data'), 'data');
    if (isTextContentType(datacontenttype)) return decodeUtf8(utf8, value, 'data');
    return value;
  }

  return {
    format: 'cloudevents',
    decode(message: InboundMessage): CanonicalEvent {
      const contentType = contentTypeOf(message);
      const isStructured = contentType !== undefined && contentType.trimStart().slice(0, 23).toLowerCase() === 'application/cloudevents';
      const event = isStructured ? structured(message, contentType) : binary(message, contentType);

      const traceparent = event.traceparent ?? findHeader(message.headers, 'traceparent');
      const valid = validTraceparent(traceparent);
      if (valid !== undefined) event.traceparent = valid;
      else if (event.traceparent !== undefined) delete event.traceparent;
      if (keyPath) {
        event.partitionkey = configuredKey(keyPath, event.data);
      } else if (event.partitionkey === undefined) {
        const key = keyText(utf8, message.key);
        if (key !== undefined) event.partitionkey = key;
      }
      if (lenientTime) applyLenientTime(event);
      assertCanonicalEvent(event);
      return event;
    },
    keyRule(): string {
      return config.keyPath === undefined ? 'the partitionkey attribute, else the message key' : `decode.keyPath ${config.keyPath}`;
    },
  };
}

/** `ce_id` → `id`, `cloudEvents_id` / `cloudEvents:id` → `id`; `undefined` for other headers. */
function attributeName(header: string): string | undefined {
  let name: string;
  if (header.length > 3 && (header.charCodeAt(0) | 32) === 99 && (header.charCodeAt(1) | 32) === 101 && header.charCodeAt(2) === 95) {
    name = header.slice(3);
  } else if (header.length > 12 && (header.charCodeAt(11) === 95 || header.charCodeAt(11) === 58) && header.slice(0, 11).toLowerCase() === 'cloudevents') {
    name = header.slice(12);
  } else {
    return undefined;
  }
  return ATTRIBUTE_NAME.test(name) && name !== 'data' ? name : undefined;
}
