/**
 * The `salesforce-platform-event` decoder: platform events (`<Name>__e`) delivered by CometD, the Pub/Sub
 * API (Avro decoded to JSON) or the Confluent connector, to one canonical event:
 *
 * - `id`: `EventUuid` (CometD carries it in `data.event`; Pub/Sub API payloads have none), else the replay
 *   id (CometD `event.replayId`, Connect `ReplayId`, a `{"replayId": …, "payload": …}` wrapper, or a
 *   `replay-id` / `replay_id` / `replayid` header a bridge sets), else the transport position (Kafka
 *   `topic:partition:offset`, AMQP `message-id` or a hash of the body): stable across redelivery;
 * - `type`: `com.salesforce.event.<Name>__e`; `source`: `/salesforce/<org>/event/<Name>__e`; the name
 *   comes from the payload's `EventApiName`, the CometD channel when it is `/event/<Name>__e` (a custom
 *   channel `…__chn` carries several event types), a `schema-name` / `schema_name` / `event-api-name`
 *   header (the Avro schema's name or full name `com.sforce.eventbus.<Name>__e`), the connector's
 *   `_ObjectType`, else a Kafka topic / AMQP queue whose last `.`- or `/`-separated part ends in `__e`;
 * - `time`: `CreatedDate` (ISO in CometD, epoch ms elsewhere); extension `replayid` when known;
 * - `partitionkey` and `subject`: the value of `decode.keyPath` (a path or JSONata expression) when
 *   configured, else the first custom field whose name ends in `Id__c` (`Order_Id__c`, `AccountId__c`),
 *   else the message key;
 * - `data`: the event's fields, the same in every shape: `EventUuid` and `ReplayId` (string) included,
 *   `CreatedDate` as ISO, `CreatedById` in its 18-character form, without `_ObjectType`/`_EventType`.
 *
 * @throws ConfigError when `decode.keyPath` is malformed.
 */
import { isUtf8 } from 'node:buffer';
import type { CanonicalEvent } from '../../schemas/event.ts';
import { assertCanonicalEvent } from '../cloudevents/attributes.ts';
import { ModelbridgeError } from '../../schemas/errors.ts';
import type { DecodeConfig } from '../../schemas/connector-config.ts';
import { compileKeyPath, configuredKey } from '../decoding/key-expression.ts';
import { createUtf8Decoder, findHeader, keyText, messageTraceparent, originName, transportId } from '../decoding/payload.ts';
import type { Decoder, HeaderValue, InboundMessage } from '../types.ts';
import { createJsonReader, readEnvelope, text, type Envelope } from './envelope.ts';
import { sourcePrefix, type SalesforceDecoderOptions } from './options.ts';
import { define, isoTime, toId18, unwrapUnion } from './values.ts';

const EVENT_NAME = /^[A-Za-z][A-Za-z0-9_]{0,80}__e$/;
const DROPPED = new Set(['_ObjectType', '_EventType']);

/** Creates the platform event decoder. */
export function createSalesforcePlatformEventDecoder(config: DecodeConfig, options: SalesforceDecoderOptions = {}): Decoder {
  const keyPath = compileKeyPath(config.keyPath);
  const readJson = createJsonReader();
  const utf8 = createUtf8Decoder();
  const source = sourcePrefix(options);

  return {
    format: 'salesforce-platform-event',
    decode(message: InboundMessage): CanonicalEvent {
      const envelope = readEnvelope(readJson(message));
      const body = envelope.shape === 'pubsub' ? (unwrapUnion(envelope.body) as Record<string, unknown>) : envelope.body;
      if (body.ChangeEventHeader !== undefined) throw new ModelbridgeError('INVALID_EVENT', 'a Change Data Capture event, not a platform event: use decode format salesforce-cdc');
      const name = eventName(envelope, body, message);
      const replayId = envelope.replayId ?? headerValue(message, REPLAY_ID_HEADERS);
      const id = envelope.eventUuid ?? text(body.EventUuid) ?? replayId ?? transportId(message);

      const data = eventData(body, envelope, replayId);
      const event: Record<string, unknown> = {
        specversion: '1.0',
        id,
        source: `${source}/event/${name}`,
        type: `com.salesforce.event.${name}`,
        datacontenttype: 'application/json',
      };
      if (data.CreatedDate !== undefined && data.CreatedDate !== null) {
        const time = isoTime(data.CreatedDate);
        if (time === undefined) throw new ModelbridgeError('INVALID_EVENT', `platform event ${name} has a CreatedDate that is neither ISO 8601 nor epoch milliseconds`);
        data.CreatedDate = time;
        event.time = time;
      }
      const key = keyPath ? configuredKey(keyPath, data) : obviousKey(data);
      if (key !== undefined) event.subject = key;
      const partitionkey = key ?? keyText(utf8, message.key);
      if (partitionkey !== undefined) event.partitionkey = partitionkey;
      if (replayId !== undefined) event.replayid = replayId;
      const traceparent = messageTraceparent(message);
      if (traceparent !== undefined) event.traceparent = traceparent;
      event.data = data;
      assertCanonicalEvent(event);
      return event;
    },
    keyRule(): string | undefined {
      return config.keyPath === undefined ? undefined : `decode.keyPath ${config.keyPath}`;
    },
  };
}

/** Header names a bridge uses for the replay id and the event's schema name, compared case-insensitively. */
const REPLAY_ID_HEADERS = ['replay-id', 'replay_id', 'replayid'];
const SCHEMA_NAME_HEADERS = ['schema-name', 'schema_name', 'schemaname', 'event-api-name', 'eventapiname'];

function eventName(envelope: Envelope, body: Record<string, unknown>, message: InboundMessage): string {
  // Cheapest first; the header scans run only for events that name themselves nowhere else.
  const apiName = text(body.EventApiName);
  if (isEventName(apiName)) return apiName;
  const channel = envelope.channel?.startsWith('/event/') ? envelope.channel.slice(7) : undefined;
  if (isEventName(channel)) return channel;
  const schemaName = headerValue(message, SCHEMA_NAME_HEADERS);
  const fromHeader = schemaName === undefined ? undefined : lastPart(schemaName);
  if (isEventName(fromHeader)) return fromHeader;
  if (isEventName(envelope.objectType)) return envelope.objectType;
  const fromOrigin = lastPart(originName(message));
  if (isEventName(fromOrigin)) return fromOrigin;
  throw new ModelbridgeError(
    'INVALID_EVENT',
    'cannot tell which platform event this is: no EventApiName, no /event/<Name>__e channel, no schema-name header, no _ObjectType, and the topic or queue name does not end in __e',
  );
}

function isEventName(name: string | undefined): name is string {
  return name !== undefined && EVENT_NAME.test(name);
}

/** The first of `names` present as a header, as text (bytes that are not UTF-8 as base64). */
function headerValue(message: InboundMessage, names: readonly string[]): string | undefined {
  for (const name of names) {
    const value: HeaderValue | undefined = findHeader(message.headers, name);
    if (value === undefined) continue;
    const found = Buffer.isBuffer(value) ? (isUtf8(value) ? value.toString('utf8') : value.toString('base64')) : text(value);
    if (found !== undefined && found.trim() !== '') return found.trim();
  }
  return undefined;
}

function lastPart(name: string): string {
  return name.slice(Math.max(name.lastIndexOf('.'), name.lastIndexOf('/')) + 1);
}

function eventData(body: Record<string, unknown>, envelope: Envelope, replayId: string | undefined): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const key in body) {
    if (DROPPED.has(key)) continue;
    define(data, key, key === 'CreatedById' ? toId18(body[key]) : body[key]);
  }
  if (envelope.eventUuid !== undefined) data.EventUuid = envelope.eventUuid;
  if (replayId !== undefined) data.ReplayId = replayId;
  return data;
}

function obviousKey(data: Record<string, unknown>): string | undefined {
  for (const name in data) {
    if (name.length > 5 && name.endsWith('__c') && name.slice(-5, -3).toLowerCase() === 'id') {
      const key = text(data[name]);
      if (key !== undefined) return key;
    }
  }
  return undefined;
}
