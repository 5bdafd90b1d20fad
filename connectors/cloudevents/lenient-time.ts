/**
 * `decode.lenientTime`: reading `time` values that are not RFC 3339 but say one instant plainly, as some
 * of SAP's own published events do (`"2018-04-08 08:31:00"`). Off by default: a value without a zone
 * names an instant only under an assumption (here: UTC, the zone SAP's event producers write), and a
 * consumer that compares `time` across systems should not inherit that assumption unknowingly.
 */
import { isRfc3339 } from './attributes.ts';

/** Extension attribute that keeps the producer's value when `time` was normalised. */
export const ORIGINAL_TIME = 'originaltime';

// Date, `T`/`t`/space, time with optional fraction, optional zone (`Z`, `±HH:MM`, `±HHMM`, `±HH`).
const LENIENT = /^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?)(?:([Zz])|([+-]\d{2})(?::?(\d{2}))?)?$/;
// SAP's packed UTC timestamp (ABAP TIMESTAMP): YYYYMMDDhhmmss.
const PACKED = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/;

/**
 * The RFC 3339 form of `value`, or `undefined` when it is not one of the accepted forms or not a real
 * date and time. Values without a zone are read as UTC.
 */
export function normalizeTime(value: string): string | undefined {
  const packed = PACKED.exec(value);
  const candidate = packed
    ? `${packed[1]}-${packed[2]}-${packed[3]}T${packed[4]}:${packed[5]}:${packed[6]}Z`
    : lenient(value);
  return candidate !== undefined && isRfc3339(candidate) ? candidate : undefined;
}

function lenient(value: string): string | undefined {
  const match = LENIENT.exec(value.trim());
  if (!match) return undefined;
  const [, date, time, zulu, offsetHours, offsetMinutes] = match;
  const zone = zulu !== undefined || offsetHours === undefined ? 'Z' : `${offsetHours}:${offsetMinutes ?? '00'}`;
  return `${date}T${time}${zone}`;
}

/**
 * Normalises `event.time` in place when it is not RFC 3339 but an accepted form, recording the
 * producer's value in {@link ORIGINAL_TIME}. Values that stay invalid are left for validation to refuse.
 */
export function applyLenientTime(event: Record<string, unknown>): void {
  const time = event.time;
  if (typeof time !== 'string' || isRfc3339(time)) return;
  const normalized = normalizeTime(time);
  if (normalized === undefined) return;
  event.time = normalized;
  if (event[ORIGINAL_TIME] === undefined) event[ORIGINAL_TIME] = time;
}
