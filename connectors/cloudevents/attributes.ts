/**
 * Hand-written checks of CloudEvents attributes, equivalent to `canonicalEventSchema` but without
 * zod's per-message cost; failures name the attribute. A unit test keeps the two in agreement.
 */
import { ModelbridgeError } from '../../schemas/errors.ts';
import type { CanonicalEvent } from '../../schemas/event.ts';

/** CloudEvents attribute names: lower-case a–z and 0–9. */
export const ATTRIBUTE_NAME = /^[a-z0-9]{1,64}$/;

const LIMITS: Readonly<Record<string, number>> = { id: 1024, source: 4096, type: 1024, subject: 4096 };
const REQUIRED = ['id', 'source', 'type'] as const;
const OPTIONAL_STRINGS = ['subject', 'datacontenttype', 'dataschema', 'partitionkey'] as const;

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:Z|[+-](\d{2}):(\d{2}))$/;
const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** RFC 3339 `date-time` with an upper-case `T` and `Z` (as the canonical schema requires), real dates only. */
export function isRfc3339(value: string): boolean {
  const match = RFC3339.exec(value);
  if (!match) return false;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = month === 2 && !leap ? 28 : DAYS_IN_MONTH[month - 1];
  if (days === undefined || day < 1 || day > days) return false;
  if (Number(match[4]) > 23 || Number(match[5]) > 59 || Number(match[6]) > 59) return false;
  return match[7] === undefined || (Number(match[7]) <= 23 && Number(match[8]) <= 59);
}

function invalid(message: string): ModelbridgeError {
  return new ModelbridgeError('INVALID_EVENT', message);
}

/**
 * Throws INVALID_EVENT naming the first bad attribute; otherwise the object is a valid canonical event.
 * `traceparent` must already be valid or absent (decoders drop a malformed one).
 */
export function assertCanonicalEvent(event: Record<string, unknown>): asserts event is CanonicalEvent {
  if (event.specversion === undefined) throw invalid('missing required attribute specversion');
  if (event.specversion !== '1.0') throw invalid('attribute specversion must be "1.0"');
  for (const name of REQUIRED) {
    const value = event[name];
    if (value === undefined) throw invalid(`missing required attribute ${name}`);
    if (typeof value !== 'string' || value === '') throw invalid(`attribute ${name} must be a non-empty string`);
    if (value.length > LIMITS[name]!) throw invalid(`attribute ${name} is longer than ${LIMITS[name]} characters`);
  }
  for (const name of OPTIONAL_STRINGS) {
    const value = event[name];
    if (value === undefined) continue;
    if (typeof value !== 'string' || value === '') throw invalid(`attribute ${name} must be a non-empty string`);
    const limit = LIMITS[name];
    if (limit !== undefined && value.length > limit) throw invalid(`attribute ${name} is longer than ${limit} characters`);
  }
  const time = event.time;
  if (time !== undefined && (typeof time !== 'string' || !isRfc3339(time))) throw invalid('attribute time must be an RFC 3339 timestamp');
  for (const name in event) {
    if (name === 'data') continue;
    if (!ATTRIBUTE_NAME.test(name)) throw invalid(`attribute name ${JSON.stringify(name.slice(0, 70))} is not lower-case a-z and 0-9`);
    const type = typeof event[name];
    if (type !== 'string' && type !== 'number' && type !== 'boolean') throw invalid(`attribute ${name} must be a string, number or boolean`);
  }
}
