/**
 * `ChangeEventHeader` validation and normalisation: the same header whichever shape delivered it, with
 * Pub/Sub bitmaps decoded to field names (see {@link decodeBitmaps}).
 */
import { ModelbridgeError } from '../../schemas/errors.ts';
import { isJsonObject } from '../decoding/payload.ts';
import { decodeBitmaps, isBitmapList } from './bitmap.ts';
import { isoTime } from './values.ts';

export interface ChangeHeader {
  readonly entityName: string;
  readonly recordIds: readonly string[];
  readonly changeType: string;
  readonly transactionKey: string;
  readonly sequenceNumber: number;
  /** RFC 3339, from the epoch-ms `commitTimestamp`. */
  readonly time: string;
  /** The header as it goes into `data`, field lists decoded. */
  readonly normalized: Record<string, unknown>;
}

const ENTITY = /^[A-Za-z][A-Za-z0-9_]{0,254}$/;
const CHANGE_TYPE = /^[A-Z][A-Z_]{0,31}$/;
const FIELD_LISTS = ['changedFields', 'nulledFields', 'diffFields'] as const;

function invalid(message: string): ModelbridgeError {
  return new ModelbridgeError('INVALID_EVENT', `ChangeEventHeader ${message}`);
}

export function readChangeHeader(body: Record<string, unknown>): ChangeHeader {
  const header = body.ChangeEventHeader;
  if (!isJsonObject(header)) throw new ModelbridgeError('INVALID_EVENT', 'not a Change Data Capture event: no ChangeEventHeader object');
  const { entityName, recordIds, changeType, transactionKey } = header;
  if (typeof entityName !== 'string' || !ENTITY.test(entityName)) throw invalid('entityName must be an object API name');
  if (!Array.isArray(recordIds) || recordIds.length === 0 || !recordIds.every((id) => typeof id === 'string' && id !== '' && id.length <= 64)) {
    throw invalid('recordIds must be a non-empty array of record ids');
  }
  if (typeof changeType !== 'string' || !CHANGE_TYPE.test(changeType)) throw invalid('changeType must be an upper-case change type');
  if (typeof transactionKey !== 'string' || transactionKey === '' || transactionKey.length > 256) throw invalid('transactionKey must be a non-empty string');
  const sequenceNumber = typeof header.sequenceNumber === 'string' && /^\d{1,15}$/.test(header.sequenceNumber) ? Number(header.sequenceNumber) : header.sequenceNumber;
  if (typeof sequenceNumber !== 'number' || !Number.isSafeInteger(sequenceNumber) || sequenceNumber < 0) throw invalid('sequenceNumber must be a non-negative integer');
  const time = isoTime(header.commitTimestamp);
  if (time === undefined) throw invalid('commitTimestamp must be epoch milliseconds');

  let normalized: Record<string, unknown> = header;
  for (const name of FIELD_LISTS) {
    const list = header[name];
    if (list === undefined || list === null) continue;
    if (!Array.isArray(list)) throw invalid(`${name} must be an array`);
    if (isBitmapList(list)) {
      if (normalized === header) normalized = { ...header };
      normalized[name] = decodeBitmaps(list, body);
    }
  }
  return { entityName, recordIds: recordIds as string[], changeType, transactionKey, sequenceNumber, time, normalized };
}

/** `Account` → `AccountChangeEvent`; custom `Employee__c` → `Employee__ChangeEvent` (Salesforce's naming). */
export function changeEventName(entityName: string): string {
  return entityName.endsWith('__c') ? `${entityName.slice(0, -1)}ChangeEvent` : `${entityName}ChangeEvent`;
}
