/**
 * AMQP 0-9-1 header tables ↔ the pipeline's `Headers`, and the header that carries the message key.
 */
import type { HeaderValue, Headers } from '../types.ts';

/**
 * AMQP 0-9-1 has no message key. Modelbridge carries it in this header, the CloudEvents partitioning
 * extension as mirrored into AMQP headers (`cloudEvents_*`, the separator the AMQP binding prefers), so
 * SAP/Salesforce events that already carry a partition key get per-key ordering without configuration.
 * The source also accepts the older `cloudEvents:partitionkey` spelling.
 */
export const KEY_HEADER = 'cloudEvents_partitionkey';
const LEGACY_KEY_HEADER = 'cloudEvents:partitionkey';

const NO_HEADERS: Headers = Object.freeze({});

/**
 * Converts an amqplib header table: strings and Buffers (`x` byte arrays) stay as they are, numbers,
 * booleans and bigints become their decimal text, typed values (`{'!': 'timestamp', value}`) their
 * value's text, nested tables and arrays JSON; `null`/`void` fields are dropped. The table is reused
 * when nothing needs converting (the common case), so the per-message path allocates nothing here.
 */
export function fromAmqpHeaders(table: Record<string, unknown> | undefined): Headers {
  if (table === undefined || table === null) return NO_HEADERS;
  let converted: Record<string, HeaderValue> | undefined;
  for (const name in table) {
    const value = table[name];
    if (typeof value === 'string' || Buffer.isBuffer(value)) {
      if (converted) converted[name] = value;
      continue;
    }
    converted ??= copyPlain(table, name);
    const text = headerText(value);
    if (text !== undefined) converted[name] = text;
  }
  return converted ?? (table as Headers);
}

/** The fields before `stop` (all already strings or Buffers). */
function copyPlain(table: Record<string, unknown>, stop: string): Record<string, HeaderValue> {
  const copy: Record<string, HeaderValue> = {};
  for (const name in table) {
    if (name === stop) break;
    copy[name] = table[name] as HeaderValue;
  }
  return copy;
}

function headerText(value: unknown): string | undefined {
  switch (typeof value) {
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(value);
    case 'object': {
      if (value === null) return undefined;
      const typed = value as { '!'?: unknown; value?: unknown };
      if (typeof typed['!'] === 'string' && 'value' in typed) {
        return typeof typed.value === 'object' ? JSON.stringify(typed.value) : String(typed.value);
      }
      return JSON.stringify(value, bufferAsBase64);
    }
    default:
      return undefined;
  }
}

/** JSON replacer: byte arrays inside nested tables as base64 (reads the raw value, before `toJSON`). */
function bufferAsBase64(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const raw = this[key];
  return Buffer.isBuffer(raw) ? raw.toString('base64') : value;
}

/** The message key from {@link KEY_HEADER}, as bytes; `null` when the message has none. */
export function keyFromHeaders(headers: Headers): Buffer | null {
  const value = headers[KEY_HEADER] ?? headers[LEGACY_KEY_HEADER];
  if (value === undefined) return null;
  return typeof value === 'string' ? Buffer.from(value) : value;
}

/** Headers to publish: the message's own, plus the key in {@link KEY_HEADER} unless already present. */
export function toAmqpHeaders(headers: Headers, key: Buffer | string | null): Headers {
  if (key === null || headers[KEY_HEADER] !== undefined || headers[LEGACY_KEY_HEADER] !== undefined) return headers;
  return { ...headers, [KEY_HEADER]: key };
}
