/**
 * The `sap-event` decoder: SAP S/4HANA business events (Event Mesh / Advanced Event Mesh), which already
 * are CloudEvents 1.0. Decoding is the `cloudevents` decoder's; this one adds what is SAP-specific:
 *
 * - the body is read as a structured CloudEvent also when the bridge labels it `application/json` or
 *   not at all (SAP bridges do), unless the message carries binary-mode `ce_*` / `cloudEvents_*` headers;
 * - `source` stays the relative URI-reference SAP sends (`/default/sap.s4.beh/S4HCLNT100`);
 * - SAP extensions (`sappassport`, …) are kept as they are;
 * - `partitionkey`: the value of `decode.keyPath` in `data` when configured, else an explicit
 *   `partitionkey` attribute, else the business object key from `data` (see {@link businessKey}), else
 *   `subject` (SAP products other than S/4 put the object id there), else the message key. Lacking all,
 *   the worker orders the event by its own id and counts it. `subject` is left as sent;
 * - `time`: RFC 3339, or with `decode.lenientTime` the plain forms SAP also publishes.
 */
import type { CanonicalEvent } from '../../schemas/event.ts';
import { createCloudEventsDecoder } from '../cloudevents/decoder.ts';
import { ModelbridgeError } from '../../schemas/errors.ts';
import type { DecodeConfig } from '../../schemas/connector-config.ts';
import { contentTypeOf, createUtf8Decoder, isJsonMediaType, keyText, mediaType } from '../decoding/payload.ts';
import type { Decoder, Headers, InboundMessage } from '../types.ts';
import { businessKey, businessKeyRule } from './business-key.ts';

const STRUCTURED = 'application/cloudevents+json';

/** Creates the SAP S/4HANA business event decoder. */
export function createSapEventDecoder(config: DecodeConfig): Decoder {
  const cloudEvents = createCloudEventsDecoder(config);
  const utf8 = createUtf8Decoder();
  const keyPath = config.keyPath === undefined ? undefined : `decode.keyPath ${config.keyPath}`;

  return {
    format: 'sap-event',
    decode(message: InboundMessage): CanonicalEvent {
      const contentType = contentTypeOf(message);
      const structured = contentType === undefined ? !hasCloudEventsHeaders(message.headers) : isPlainJson(contentType, message.headers);
      // The message key is applied here, after the business key, not by the cloudevents decoder.
      const event = cloudEvents.decode({ ...message, key: null, contentType: structured ? STRUCTURED : message.contentType });
      if (event.partitionkey === undefined) {
        const key = businessKey(event.type, event.data) ?? event.subject ?? keyText(utf8, message.key);
        if (key !== undefined) event.partitionkey = key;
      }
      return event;
    },
    keyRule(type: string): string | undefined {
      return keyPath ?? businessKeyRule(type);
    },
  };
}

/** `application/json` without binary-mode headers: a structured event from a bridge that mislabels it. */
function isPlainJson(contentType: string, headers: Headers): boolean {
  const type = mediaType(contentType);
  if (type.startsWith('application/cloudevents')) return true;
  if (isJsonMediaType(type)) return !hasCloudEventsHeaders(headers);
  if (!hasCloudEventsHeaders(headers)) {
    throw new ModelbridgeError('UNSUPPORTED_CONTENT_TYPE', `content type ${JSON.stringify(contentType.slice(0, 100))} is not an SAP business event (JSON CloudEvent)`);
  }
  return false;
}

function hasCloudEventsHeaders(headers: Headers): boolean {
  for (const name in headers) {
    if (name.length > 3 && (name.charCodeAt(0) | 32) === 99 && (name.charCodeAt(1) | 32) === 101 && name.charCodeAt(2) === 95) return true;
    if (name.length > 12 && (name.charCodeAt(11) === 95 || name.charCodeAt(11) === 58) && name.slice(0, 11).toLowerCase() === 'cloudevents') return true;
  }
  return false;
}
