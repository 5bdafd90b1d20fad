/**
 * Value normalisation shared by the Salesforce decoders, so that one event reads the same whichever
 * way it was delivered: epoch-millisecond dates (Pub/Sub, Connect) become ISO strings like CometD's, Avro
 * union wrappers (`{"string": "94105"}`) are unwrapped, 15-character record ids gain their 18-character form.
 */
import { isRfc3339 } from '../cloudevents/attributes.ts';
import { isJsonObject } from '../decoding/payload.ts';

/** Standard audit date fields present on every object and platform event. Custom date fields are left as delivered. */
export const AUDIT_DATES: ReadonlySet<string> = new Set(['CreatedDate', 'LastModifiedDate', 'SystemModstamp']);

const AVRO_PRIMITIVES = new Set(['string', 'long', 'int', 'double', 'float', 'boolean', 'bytes']);
// Largest epoch-ms Date accepts, and year 9999 for an ISO string of the usual width.
const MAX_EPOCH_MS = 253_402_300_799_999;

/** Epoch ms or an RFC 3339 string → RFC 3339 (UTC for numbers); `undefined` when it is neither. */
export function isoTime(value: unknown): string | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 && value <= MAX_EPOCH_MS ? new Date(value).toISOString() : undefined;
  if (typeof value === 'string') {
    if (/^\d{1,15}$/.test(value)) return isoTime(Number(value));
    return isRfc3339(value) ? value : undefined;
  }
  return undefined;
}

/** `{"string": x}`, `{"long": x}`, `{"com.sforce.eventbus.Address": {...}}` → the wrapped value, recursively for records. */
export function unwrapUnion(value: unknown): unknown {
  if (!isJsonObject(value)) return value;
  let only: string | undefined;
  for (const key in value) {
    if (only !== undefined) return unwrapFields(value);
    only = key;
  }
  if (only !== undefined && (AVRO_PRIMITIVES.has(only) || /^[a-z][\w]*(?:\.[\w]+)+$/.test(only))) return unwrapUnion(value[only]);
  return unwrapFields(value);
}

function unwrapFields(record: Record<string, unknown>): Record<string, unknown> {
  let copy: Record<string, unknown> | undefined;
  for (const key in record) {
    const value = record[key];
    if (!isJsonObject(value)) continue;
    copy ??= { ...record };
    define(copy, key, unwrapUnion(value));
  }
  return copy ?? record;
}

/** Own data property, also for a key named `__proto__` (plain assignment would set the prototype). */
export function define(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

const ID15 = /^[a-zA-Z0-9]{15}$/;
const SUFFIX = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';

/** A 15-character case-sensitive Salesforce id → its 18-character case-insensitive form; other values unchanged. */
export function toId18(value: unknown): unknown {
  if (typeof value !== 'string' || !ID15.test(value)) return value;
  let suffix = '';
  for (let block = 0; block < 3; block++) {
    let bits = 0;
    for (let i = 0; i < 5; i++) {
      const c = value.charCodeAt(block * 5 + i);
      if (c >= 65 && c <= 90) bits |= 1 << i;
    }
    suffix += SUFFIX[bits];
  }
  return value + suffix;
}
