/**
 * The `salesforce-platform-event` decoder: platform events (`<Name>__e`) delivered by CometD, the Pub/Sub
 * API (Avro decoded to JSON) or the Confluent connector, to one canonical event:
 *
 * - `id`: `EventUuid` (CometD carries it in `data.event`), else the replay id;
 * - `type`: `com.salesforce.event.<Name>__e`; `source`: `/salesforce/<org>/event/<Name>__e`; the name
 *   comes from the CometD channel, the connector's `_ObjectType`, else a Kafka topic / AMQP queue whose
 *   last `.`- or `/`-separated part ends in `__e` (a Pub/Sub record does not name its event);
 * - `time`: `CreatedDate` (ISO in CometD, epoch ms elsewhere); extension `replayid` when known;
 * - `partitionkey` and `subject`: the value at `decode.keyPath` when configured, else the first custom
 *   field whose name ends in `Id__c` (`Order_Id__c`, `AccountId__c`), else the message key;
 * - `data`: the event's fields, the same in every shape: `EventUuid` and `ReplayId` (string) included,
 *   `CreatedDate` as ISO, `CreatedById` in its 18-character form, without `_ObjectType`/`_EventType`.
 *
 * @throws ConfigError when `decode.keyPath` is malformed.
 */
import { ConfigError } from '../../schemas/config-error.ts';
import type { CanonicalEvent } from '../../schemas/event.ts';
import { assertCanonicalEvent } from '../cloudevents/attributes.ts';
import { ModelbridgeError } from '../errors.ts';
import type { DecodeConfig } from '../json/decoder.ts';
import { compileFieldPath, readFieldPath, type FieldPath } from '../json/field-path.ts';
import { createUtf8Decoder, keyText, messageTraceparent } from '../json/payload.ts';
import type { Decoder, InboundMessage } from '../types.ts';
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
      const name = eventName(envelope, message);
      const id = envelope.eventUuid ?? envelope.replayId;
      if (id === undefined) throw new ModelbridgeError('INVALID_EVENT', `platform event ${name} has neither EventUuid nor a replay id`);

      const data = eventData(body, envelope);
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
      const key = keyPath ? configuredKey(data, keyPath) : obviousKey(data);
      if (key !== undefined) event.subject = key;
      const partitionkey = key ?? keyText(utf8, message.key);
      if (partitionkey !== undefined) event.partitionkey = partitionkey;
      if (envelope.replayId !== undefined) event.replayid = envelope.replayId;
      const traceparent = messageTraceparent(message);
      if (traceparent !== undefined) event.traceparent = traceparent;
      event.data = data;
      assertCanonicalEvent(event);
      return event;
    },
  };
}

function eventName(envelope: Envelope, message: InboundMessage): string {
  const { origin } = message;
  const candidates = [
    envelope.channel?.startsWith('/event/') ? envelope.channel.slice(7) : undefined,
    envelope.objectType,
    lastPart(origin.transport === 'kafka' ? origin.topic : origin.transport === 'amqp' ? origin.queue : origin.stream),
  ];
  for (const candidate of candidates) if (candidate !== undefined && EVENT_NAME.test(candidate)) return candidate;
  throw new ModelbridgeError('INVALID_EVENT', 'cannot tell which platform event this is: no /event/<Name>__e channel, no _ObjectType, and the topic or queue name does not end in __e');
}

function lastPart(name: string): string {
  return name.slice(Math.max(name.lastIndexOf('.'), name.lastIndexOf('/')) + 1);
}

function eventData(body: Record<string, unknown>, envelope: Envelope): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const key in body) {
    if (DROPPED.has(key)) continue;
    define(data, key, key === 'CreatedById' ? toId18(body[key]) : body[key]);
  }
  if (envelope.eventUuid !== undefined) data.EventUuid = envelope.eventUuid;
  if (envelope.replayId !== undefined) data.ReplayId = envelope.replayId;
  return data;
}

function compileKeyPath(path: string | undefined): (FieldPath & { source: string }) | undefined {
  if (path === undefined) return undefined;
  const compiled = compileFieldPath(path);
  if (typeof compiled === 'string') throw new ConfigError([{ path: 'decode.keyPath', message: compiled }]);
  return Object.assign([...compiled], { source: path });
}

function configuredKey(data: unknown, path: FieldPath & { source: string }): string {
  const key = text(readFieldPath(data, path));
  if (key === undefined) throw new ModelbridgeError('INVALID_EVENT', `keyPath "${path.source}" must hold a non-empty string or a number`);
  return key;
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
