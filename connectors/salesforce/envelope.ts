/**
 * The three ways a Salesforce event reaches a Kafka topic or a queue, recognised from the JSON itself:
 *
 * - `cometd`: the Streaming API message, `{data:{schema, payload, event:{replayId, EventUuid?}}, channel}`,
 *   or its inner `{schema, payload, event}` without the wrapper;
 * - `connect`: the Confluent Salesforce connectors (flattened payload plus `ReplayId` as a string,
 *   `_ObjectType`, `_EventType`), schemaless or in the JsonConverter envelope `{schema:{…}, payload:{…}}`;
 * - `pubsub`: a Pub/Sub API event whose Avro payload was decoded to JSON: the fields at the top level, or
 *   wrapped with its replay id as a popular Node client writes it: `{"replayId": …, "payload": {…}}`.
 *
 * JSON is parsed losslessly: a `commitNumber` or replay id beyond 2^53 stays exact, as a decimal string.
 */
import { ModelbridgeError } from '../../schemas/errors.ts';
import { contentTypeOf, createUtf8Decoder, decodeUtf8, isJsonMediaType, isJsonObject, kindOf, mediaType, parseJson } from '../decoding/payload.ts';
import type { InboundMessage } from '../types.ts';

export type Shape = 'cometd' | 'connect' | 'pubsub';

export interface Envelope {
  readonly shape: Shape;
  /** The event's fields (CDC: with `ChangeEventHeader`). */
  readonly body: Record<string, unknown>;
  /** CometD `channel` (`/data/AccountChangeEvent`, `/event/Low_Ink__e`). */
  readonly channel: string | undefined;
  /** Replay id as text: CometD `event.replayId`, Connect `ReplayId`. */
  readonly replayId: string | undefined;
  /** CometD platform events carry `EventUuid` in `event`, not in the payload. */
  readonly eventUuid: string | undefined;
  /** Connect `_ObjectType` (`ContactChangeEvent`, `MyPlatformEvent__e`). */
  readonly objectType: string | undefined;
}

/** Keys the Confluent connectors add to the payload; they are envelope, not event fields. */
export const CONNECT_KEYS: ReadonlySet<string> = new Set(['ReplayId', '_ObjectType', '_EventType']);

/** A JSON body → its parsed object; content types other than JSON are refused. */
export function createJsonReader(): (message: InboundMessage) => Record<string, unknown> {
  const utf8 = createUtf8Decoder();
  return (message) => {
    const { value } = message;
    if (value === null || value.length === 0) throw new ModelbridgeError('EMPTY_MESSAGE', 'message has no value');
    const contentType = contentTypeOf(message);
    if (contentType !== undefined && !isJsonMediaType(mediaType(contentType))) {
      throw new ModelbridgeError('UNSUPPORTED_CONTENT_TYPE', `content type ${JSON.stringify(contentType.slice(0, 100))} is not JSON (Avro and Protobuf records must be converted to JSON first)`);
    }
    const parsed = parseJson(decodeUtf8(utf8, value));
    if (!isJsonObject(parsed)) throw new ModelbridgeError('INVALID_EVENT', `Salesforce event must be a JSON object, got ${kindOf(parsed)}`);
    return parsed;
  };
}

export function readEnvelope(root: Record<string, unknown>): Envelope {
  if (isPubSubWrapper(root)) {
    const body = root.payload as Record<string, unknown>;
    return { shape: 'pubsub', body, channel: undefined, replayId: text(root.replayId), eventUuid: text(body.EventUuid), objectType: undefined };
  }
  const wrapped = isJsonObject(root.data) && isJsonObject(root.data.payload) ? root.data : undefined;
  const outer = wrapped ?? root;
  if (isJsonObject(outer.payload)) {
    const body = outer.payload;
    const connect = (outer.schema !== undefined && typeof outer.schema !== 'string') || body._ObjectType !== undefined || body.ReplayId !== undefined;
    if (connect && wrapped === undefined) return connectEnvelope(body);
    const event = isJsonObject(outer.event) ? outer.event : undefined;
    return {
      shape: 'cometd',
      body,
      channel: wrapped !== undefined && typeof root.channel === 'string' ? root.channel : typeof outer.channel === 'string' ? outer.channel : undefined,
      replayId: text(event?.replayId),
      eventUuid: text(event?.EventUuid),
      objectType: undefined,
    };
  }
  if (root._ObjectType !== undefined || root.ReplayId !== undefined) return connectEnvelope(root);
  return { shape: 'pubsub', body: root, channel: undefined, replayId: undefined, eventUuid: text(root.EventUuid), objectType: undefined };
}

/** `{"replayId": …, "payload": {…}}` and nothing that marks CometD (`event`, `schema`) or Connect. */
function isPubSubWrapper(root: Record<string, unknown>): boolean {
  return root.replayId !== undefined && isJsonObject(root.payload) && root.event === undefined && root.schema === undefined && root.data === undefined && root.payload._ObjectType === undefined;
}

function connectEnvelope(body: Record<string, unknown>): Envelope {
  return { shape: 'connect', body, channel: undefined, replayId: text(body.ReplayId), eventUuid: text(body.EventUuid), objectType: text(body._ObjectType) };
}

/** A non-empty string, or a finite number as text; else `undefined`. */
export function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value === '' || value.length > 1024 ? undefined : value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}
