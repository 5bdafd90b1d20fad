/**
 * Pub/Sub API field bitmaps → field names. In Pub/Sub, `changedFields`, `nulledFields` and `diffFields`
 * arrive as hex bitmaps over the Avro schema's field positions, e.g. `["0x400800"]`, bit 0 being the least
 * significant (as forcedotcom/pub-sub-api `ChangeEventHeaderUtility.py` reads them): element 0 covers the
 * top-level fields, `"<parentPos>-0x<bits>"` the fields of a compound field (`BillingAddress.City`).
 *
 * The schema's field order is taken from the decoded record itself: Avro decoding yields every field, in
 * schema order, with `ChangeEventHeader` first, and JSON keeps that order. When that cannot be trusted
 * (the record does not start with `ChangeEventHeader`, a bit points past the last field, a compound
 * field's value is null so its sub-fields are unknown), the entry is kept raw, still `0x…`: consumers can
 * tell a raw entry by that prefix.
 */

const TOP = /^0x[0-9a-fA-F]+$/;
const NESTED = /^(\d{1,4})-0x([0-9a-fA-F]+)$/;

/** True when the list holds bitmap entries rather than field names. */
export function isBitmapList(entries: readonly unknown[]): boolean {
  const first = entries[0];
  return typeof first === 'string' && (TOP.test(first) || NESTED.test(first));
}

/** Positions of the set bits of a hex bitmap, least significant first. */
export function setBits(hex: string): number[] {
  const bits: number[] = [];
  for (let i = hex.length - 1, nibble = 0; i >= 0; i--, nibble++) {
    const value = Number.parseInt(hex[i]!, 16);
    for (let bit = 0; bit < 4; bit++) if (value & (1 << bit)) bits.push(nibble * 4 + bit);
  }
  return bits;
}

/**
 * Bitmap entries → field names, given the record (`fields` in schema order). Entries that cannot be
 * resolved stay as they were; names are never guessed.
 */
export function decodeBitmaps(entries: readonly unknown[], record: Record<string, unknown>): unknown[] {
  const fields = Object.keys(record);
  const trusted = fields[0] === 'ChangeEventHeader';
  const names: unknown[] = [];
  for (const entry of entries) {
    if (typeof entry !== 'string' || !trusted) {
      names.push(entry);
      continue;
    }
    const top = TOP.test(entry) ? entry.slice(2) : undefined;
    if (top !== undefined) {
      const positions = setBits(top);
      if (positions.every((p) => p < fields.length)) names.push(...positions.map((p) => fields[p]));
      else names.push(entry);
      continue;
    }
    const nested = NESTED.exec(entry);
    const parent = nested ? fields[Number(nested[1])] : undefined;
    const value = parent !== undefined ? record[parent] : undefined;
    if (nested === null || parent === undefined || typeof value !== 'object' || value === null || Array.isArray(value)) {
      names.push(entry);
      continue;
    }
    const children = Object.keys(value);
    const positions = setBits(nested[2]!);
    if (positions.every((p) => p < children.length)) names.push(...positions.map((p) => `${parent}.${children[p]}`));
    else names.push(entry);
  }
  return names;
}
