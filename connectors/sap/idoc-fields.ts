/**
 * Typing of IDoc field values on request (`decode.idoc.typedFields`). IDoc XML is all text: numbers
 * are zero-padded (`0000100131`) and SAP writes negative amounts with a trailing minus (`12.50-`), dates
 * are `YYYYMMDD` with `00000000` meaning "no date", times are `HHMMSS`. Untyped fields stay strings, which
 * keeps leading zeros of document and material numbers intact.
 */
import { ModelbridgeError } from '../../schemas/errors.ts';

export type FieldType = 'number' | 'date' | 'time';

/** Field name (`MENGE`) or segment-qualified name (`E1EDP01.MENGE`, which wins) → type. */
export interface FieldTypes {
  readonly byName: ReadonlyMap<string, FieldType>;
  readonly qualified: boolean;
}

export function compileFieldTypes(typedFields: Readonly<Record<string, FieldType>> | undefined): FieldTypes {
  const byName = new Map(Object.entries(typedFields ?? {}));
  return { byName, qualified: [...byName.keys()].some((name) => name.includes('.')) };
}

export function fieldType(types: FieldTypes, segment: string, field: string): FieldType | undefined {
  if (types.byName.size === 0) return undefined;
  return (types.qualified ? types.byName.get(`${segment}.${field}`) : undefined) ?? types.byName.get(field);
}

const NUMBER = /^(-?)(\d+)(?:\.(\d*))?(-?)$/;
const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function invalid(segment: string, field: string, value: string, what: string): ModelbridgeError {
  return new ModelbridgeError('INVALID_EVENT', `IDoc field ${segment}.${field} is typed as ${what} but holds ${JSON.stringify(value.slice(0, 40))}`);
}

/** The typed value; blank text and SAP's initial date are `null`. */
export function typeField(type: FieldType, value: string, segment: string, field: string): string | number | null {
  const text = value.trim();
  if (text === '') return null;
  switch (type) {
    case 'number': {
      const match = NUMBER.exec(text);
      if (!match || (match[1] === '-' && match[4] === '-')) throw invalid(segment, field, value, 'a number');
      const number = Number(`${match[2]}.${match[3] || '0'}`);
      if (!Number.isSafeInteger(Math.trunc(number))) throw invalid(segment, field, value, 'a number within double precision');
      return match[1] === '-' || match[4] === '-' ? -number : number;
    }
    case 'date': {
      if (text === '00000000') return null;
      if (!/^\d{8}$/.test(text)) throw invalid(segment, field, value, 'a YYYYMMDD date');
      const year = Number(text.slice(0, 4));
      const month = Number(text.slice(4, 6));
      const day = Number(text.slice(6, 8));
      const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
      const days = month === 2 && !leap ? 28 : DAYS_IN_MONTH[month - 1];
      if (days === undefined || day < 1 || day > days) throw invalid(segment, field, value, 'a YYYYMMDD date');
      return `${text.slice(0, 4)}-${text.slice(4, 6)}-${text.slice(6, 8)}`;
    }
    case 'time': {
      if (!/^\d{6}$/.test(text) || Number(text.slice(0, 2)) > 23 || Number(text.slice(2, 4)) > 59 || Number(text.slice(4, 6)) > 59) {
        throw invalid(segment, field, value, 'an HHMMSS time');
      }
      return `${text.slice(0, 2)}:${text.slice(2, 4)}:${text.slice(4, 6)}`;
    }
  }
}
