/**
 * The `json` decoder: any JSON object → canonical event. The payload becomes `data` unchanged;
 * the envelope comes from the configuration and the transport.
 */
import type { DecodeConfig } from '../../schemas/connector-config.ts';
import type { CanonicalEvent } from '../../schemas/event.ts';
import { ModelbridgeError } from '../../schemas/errors.ts';
import type { Decoder, InboundMessage } from '../types.ts';
import { compileFieldPath, readFieldPath, type FieldPath } from '../decoding/field-path.ts';
import { compileKeyPath, configuredKey } from '../decoding/key-expression.ts';
import {
  contentTypeOf,
  createUtf8Decoder,
  decodeUtf8,
  isJsonMediaType,
  isJsonObject,
  keyText,
  kindOf,
  mediaType,
  messageTraceparent,
  originName,
  parseJson,
  transportId,
  transportTime,
} from '../decoding/payload.ts';
import { ConfigError } from '../../schemas/config-error.ts';

const MAX_ID_LENGTH = 1024;

/**
 * Creates the JSON decoder.
 *
 * - `id`: the value at `idPath` (which must then exist), else the payload's own `id` when present,
 *   else the transport position: Kafka `topic:partition:offset`, memory `stream:sequence`, AMQP the
 *   `message-id` header or, lacking one, `sha256:<hex of the payload>` (delivery tags are not stable
 *   across redeliveries, a content hash is).
 * - `partitionkey`: the value at `keyPath` (a path or JSONata expression; it must then give a value),
 *   else the message key as UTF-8 (base64 when the key is not UTF-8).
 * - Integers beyond 2^53 in the payload stay exact, as decimal strings (see {@link parseJson}).
 * - `source`: `/modelbridge/json/<topic | queue | stream>`; `type`: `config.type`; `time`: the
 *   message timestamp; `traceparent`: a well-formed `traceparent` header.
 *
 * @throws ConfigError when `idPath` or `keyPath` is malformed.
 */
export function createJsonDecoder(config: DecodeConfig): Decoder {
  const idPath = compile(config.idPath, 'decode.idPath');
  const keyPath = compileKeyPath(config.keyPath);
  const utf8 = createUtf8Decoder();
  const type = config.type;

  return {
    format: 'json',
    decode(message: InboundMessage): CanonicalEvent {
      const { value } = message;
      if (value === null || value.length === 0) throw new ModelbridgeError('EMPTY_MESSAGE', 'message has no value');
      const contentType = contentTypeOf(message);
      if (contentType !== undefined && !isJsonMediaType(mediaType(contentType))) {
        throw new ModelbridgeError('UNSUPPORTED_CONTENT_TYPE', `content type ${JSON.stringify(contentType.slice(0, 100))} is not JSON`);
      }
      const data = parseJson(decodeUtf8(utf8, value));
      if (!isJsonObject(data)) throw new ModelbridgeError('INVALID_EVENT', `JSON payload must be an object, got ${kindOf(data)}`);

      const event: CanonicalEvent = {
        specversion: '1.0',
        id: eventId(message, data, idPath),
        source: `/modelbridge/json/${originName(message)}`,
        type,
        datacontenttype: 'application/json',
      };
      const partitionkey = keyPath ? configuredKey(keyPath, data) : keyText(utf8, message.key);
      if (partitionkey !== undefined) event.partitionkey = partitionkey;
      const time = transportTime(message);
      if (time !== undefined) event.time = time;
      const traceparent = messageTraceparent(message);
      if (traceparent !== undefined) event.traceparent = traceparent;
      event.data = data;
      return event;
    },
    keyRule(): string | undefined {
      return config.keyPath === undefined ? undefined : `decode.keyPath ${config.keyPath}`;
    },
  };
}

function compile(path: string | undefined, at: string): (FieldPath & { source: string }) | undefined {
  if (path === undefined) return undefined;
  const compiled = compileFieldPath(path);
  if (typeof compiled === 'string') throw new ConfigError([{ path: at, message: compiled }]);
  return Object.assign([...compiled], { source: path });
}

/** A string or number at a configured path; anything else makes the event invalid. */
function field(data: unknown, path: FieldPath & { source: string }, option: string): string {
  const value = readFieldPath(data, path);
  const text = typeof value === 'string' ? value : typeof value === 'number' && Number.isFinite(value) ? String(value) : undefined;
  if (text === undefined || text === '') {
    throw new ModelbridgeError('INVALID_EVENT', `${option} "${path.source}" must hold a non-empty string or a number, found ${kindOf(value)}`);
  }
  if (text.length > MAX_ID_LENGTH) throw new ModelbridgeError('INVALID_EVENT', `${option} "${path.source}" is longer than ${MAX_ID_LENGTH} characters`);
  return text;
}

const PAYLOAD_ID: FieldPath & { source: string } = Object.assign(['id'], { source: 'id' });

function eventId(message: InboundMessage, data: Record<string, unknown>, idPath: (FieldPath & { source: string }) | undefined): string {
  if (idPath) return field(data, idPath, 'idPath');
  // A present but unusable `id` is an error, not a reason to invent one: downstream de-duplicates on it.
  if (data.id !== undefined && data.id !== null) return field(data, PAYLOAD_ID, 'id field');
  return transportId(message);
}
