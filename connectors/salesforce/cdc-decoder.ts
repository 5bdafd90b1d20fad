/**
 * The `salesforce-cdc` decoder: Change Data Capture events delivered by CometD, the Pub/Sub API (Avro
 * decoded to JSON) or the Confluent connectors (see {@link readEnvelope}), to one canonical event:
 *
 * - `id`: `<transactionKey>:<sequenceNumber>`, the same for one change in every shape (replay ids differ
 *   per shape and record ids repeat across changes);
 * - `type`: `com.salesforce.cdc.<Entity>ChangeEvent`; `source`: `/salesforce/<org>/data/<Entity>ChangeEvent`;
 *   `time`: `commitTimestamp`; extensions `changetype` (`CREATE`, `GAP_UPDATE`, …) and `replayid` when known;
 * - `partitionkey`: the value of `decode.keyPath` in `data` when configured, else the first of `recordIds`. A merged event (several records changed alike in one
 *   transaction) stays one event with every id in `data.ChangeEventHeader.recordIds`, keyed by its first
 *   id; a wildcard id (`001*`, after a field-type conversion) and the overflow id `000000000000000AAA`
 *   are used as they come. `subject`: the record id, only when the event is about exactly one record;
 * - `data`: the payload with `ChangeEventHeader` normalised (Pub/Sub field bitmaps decoded), Avro
 *   union wrappers removed, audit dates as ISO strings, without the connectors' `ReplayId`/`_ObjectType`/
 *   `_EventType`. Unchanged fields are omitted (CometD) or `null` (Pub/Sub, Connect) as delivered.
 *
 * Gap events (`GAP_CREATE`, `GAP_UPDATE`, …) and overflow events (`GAP_OVERFLOW`) carry no field values:
 * per `decode.salesforce.gapEvents` / `overflowEvents` they fail with GAP_EVENT / OVERFLOW_EVENT
 * (`dead-letter`, the default) or are decoded and reported by `passThrough` (`pass-through`).
 */
import type { CanonicalEvent } from '../../schemas/event.ts';
import { assertCanonicalEvent } from '../cloudevents/attributes.ts';
import { ModelbridgeError } from '../../schemas/errors.ts';
import type { DecodeConfig } from '../../schemas/connector-config.ts';
import { compileKeyPath, configuredKey } from '../decoding/key-expression.ts';
import { messageTraceparent } from '../decoding/payload.ts';
import type { Decoder, InboundMessage } from '../types.ts';
import { changeEventName, readChangeHeader, type ChangeHeader } from './change-header.ts';
import { CONNECT_KEYS, createJsonReader, readEnvelope } from './envelope.ts';
import { sourcePrefix, type SalesforceDecoderOptions } from './options.ts';
import { AUDIT_DATES, define, isoTime, unwrapUnion } from './values.ts';

const OVERFLOW = 'GAP_OVERFLOW';
const OVERFLOW_RECORD_ID = '000000000000000AAA';
const TYPE_PREFIX = 'com.salesforce.cdc.';

/** Creates the Change Data Capture decoder. */
export function createSalesforceCdcDecoder(config: DecodeConfig, options: SalesforceDecoderOptions = {}): Decoder {
  const passGaps = config.salesforce?.gapEvents === 'pass-through';
  const passOverflows = config.salesforce?.overflowEvents === 'pass-through';
  const readJson = createJsonReader();
  const source = sourcePrefix(options);
  const keyPath = compileKeyPath(config.keyPath);

  return {
    format: 'salesforce-cdc',
    decode(message: InboundMessage): CanonicalEvent {
      const envelope = readEnvelope(readJson(message));
      const body = envelope.shape === 'pubsub' ? (unwrapUnion(envelope.body) as Record<string, unknown>) : envelope.body;
      const header = readChangeHeader(body);
      const { changeType } = header;
      if (changeType === OVERFLOW ? !passOverflows : changeType.startsWith('GAP_') && !passGaps) throw skipped(header);

      const name = changeEventName(header.entityName);
      const recordId = header.recordIds[0]!;
      const event: Record<string, unknown> = {
        specversion: '1.0',
        id: `${header.transactionKey}:${header.sequenceNumber}`,
        source: `${source}/data/${name}`,
        type: TYPE_PREFIX + name,
        time: header.time,
        datacontenttype: 'application/json',
        partitionkey: recordId,
        changetype: changeType,
      };
      if (header.recordIds.length === 1 && !recordId.includes('*') && recordId !== OVERFLOW_RECORD_ID) event.subject = recordId;
      if (envelope.replayId !== undefined) event.replayid = envelope.replayId;
      const traceparent = messageTraceparent(message);
      if (traceparent !== undefined) event.traceparent = traceparent;
      event.data = eventData(body, header);
      if (keyPath) event.partitionkey = configuredKey(keyPath, event.data);
      assertCanonicalEvent(event);
      return event;
    },
    keyRule(): string {
      return config.keyPath === undefined ? 'the first of ChangeEventHeader.recordIds' : `decode.keyPath ${config.keyPath}`;
    },
    passThrough(event: CanonicalEvent): boolean {
      const changeType = event.changetype;
      if (typeof changeType !== 'string' || !event.type.startsWith(TYPE_PREFIX)) return false;
      return changeType === OVERFLOW ? passOverflows : changeType.startsWith('GAP_') && passGaps;
    },
  };
}

function eventData(body: Record<string, unknown>, header: ChangeHeader): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const key in body) {
    if (CONNECT_KEYS.has(key)) continue;
    const value = body[key];
    if (key === 'ChangeEventHeader') data[key] = header.normalized;
    else define(data, key, AUDIT_DATES.has(key) && typeof value === 'number' ? (isoTime(value) ?? value) : value);
  }
  return data;
}

function skipped(header: ChangeHeader): ModelbridgeError {
  const overflow = header.changeType === OVERFLOW;
  const what = overflow
    ? `overflow event for ${header.entityName} (more changes in one transaction than Salesforce sends)`
    : `gap event ${header.changeType} for ${header.entityName} (${header.recordIds.length} record${header.recordIds.length === 1 ? '' : 's'})`;
  const option = overflow ? 'overflowEvents' : 'gapEvents';
  return new ModelbridgeError(
    overflow ? 'OVERFLOW_EVENT' : 'GAP_EVENT',
    `Salesforce CDC ${what} in transaction ${header.transactionKey}:${header.sequenceNumber} carries no field values; dead-lettered per decode.salesforce.${option} (read the records to catch up)`,
  );
}
