/**
 * Resolution of the five predefined entities and character references in XML text: fast-xml-parser
 * runs with entity processing off, and {@link guardXml} has already refused every other reference.
 */
import { ModelbridgeError } from '../../schemas/errors.ts';

const REFERENCE = /&(?:(amp|lt|gt|quot|apos)|#([0-9]{1,7})|#x([0-9a-fA-F]{1,6}));/g;
const PREDEFINED: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Text with references resolved; a reference to a character XML does not allow is MALFORMED_PAYLOAD. */
export function resolveReferences(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(REFERENCE, (_match, name: string | undefined, decimal: string | undefined, hex: string | undefined) => {
    if (name !== undefined) return PREDEFINED[name]!;
    const code = decimal !== undefined ? Number(decimal) : Number.parseInt(hex!, 16);
    if (!isXmlChar(code)) throw new ModelbridgeError('MALFORMED_PAYLOAD', `IDoc XML has a character reference to U+${code.toString(16).toUpperCase()}, which XML does not allow`);
    return String.fromCodePoint(code);
  });
}

function isXmlChar(code: number): boolean {
  return code === 9 || code === 10 || code === 13 || (code >= 0x20 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0xfffd) || (code >= 0x10000 && code <= 0x10ffff);
}
