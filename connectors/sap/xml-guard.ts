/**
 * A linear pre-scan of IDoc XML, run before fast-xml-parser sees the text. fast-xml-parser does not
 * refuse a DOCTYPE, accepts unbalanced tags, and leaves unknown entity references as text, so this scan
 * is what makes the input safe and well-formed enough:
 *
 * - any markup declaration (`<!DOCTYPE`, `<!ENTITY`, `<!ELEMENT`, …) → UNSAFE_PAYLOAD: no DTD means no
 *   billion-laughs expansion and no external entities (XXE);
 * - an entity reference other than the five predefined ones and character references → UNSAFE_PAYLOAD;
 * - nesting deeper than `maxDepth`, more than `maxElements` elements → UNSAFE_PAYLOAD;
 * - unbalanced or unclosed tags, no or several root elements, text outside the root → MALFORMED_PAYLOAD.
 *
 * Comments, CDATA sections and processing instructions are skipped; the XML declaration may only name
 * UTF-8 (the bytes were decoded as UTF-8).
 */
import { ModelbridgeError } from '../../schemas/errors.ts';

export interface XmlLimits {
  /** Deepest element nesting accepted (the root is depth 1). */
  readonly maxDepth: number;
  /** Most elements accepted in one document. */
  readonly maxElements: number;
}

const PREDEFINED = new Set(['amp', 'lt', 'gt', 'quot', 'apos']);
const ENCODING = /\bencoding\s*=\s*["']([^"']*)["']/;
const UTF8 = /^(?:utf-?8|us-ascii)$/i;

function unsafe(message: string): ModelbridgeError {
  return new ModelbridgeError('UNSAFE_PAYLOAD', message);
}

function malformed(message: string): ModelbridgeError {
  return new ModelbridgeError('MALFORMED_PAYLOAD', `IDoc XML is malformed: ${message}`);
}

/** Throws UNSAFE_PAYLOAD or MALFORMED_PAYLOAD; returns the number of elements. */
export function guardXml(text: string, limits: XmlLimits): number {
  const open: string[] = [];
  // The next `&` at or after the scan position, found with a forward-only search: O(n) in all.
  const amp = { at: text.indexOf('&') };
  let elements = 0;
  let roots = 0;
  let i = 0;
  const end = text.length;
  while (i < end) {
    const lt = text.indexOf('<', i);
    const textEnd = lt === -1 ? end : lt;
    if (textEnd > i) {
      if (open.length === 0 && !isBlank(text, i, textEnd)) throw malformed('text outside the root element');
      checkReferences(text, i, textEnd, amp);
    }
    if (lt === -1) break;
    const next = text.charCodeAt(lt + 1);
    if (next === 63 /* ? */) {
      i = skipTo(text, lt + 2, '?>', 'processing instruction');
      if (text.startsWith('<?xml', lt) && lt === 0) checkDeclaration(text.slice(lt, i));
    } else if (next === 33 /* ! */) {
      if (text.startsWith('<!--', lt)) i = skipTo(text, lt + 4, '-->', 'comment');
      else if (text.startsWith('<![CDATA[', lt)) {
        if (open.length === 0) throw malformed('CDATA outside the root element');
        i = skipTo(text, lt + 9, ']]>', 'CDATA section');
      } else {
        const word = /^<!\[?([A-Za-z]*)/.exec(text.slice(lt, lt + 12))?.[1] ?? '';
        throw unsafe(`IDoc XML must not contain a document type declaration or markup declarations (found <!${word.toUpperCase()}); DTDs and entities are refused`);
      }
    } else if (next === 47 /* / */) {
      const close = text.indexOf('>', lt + 2);
      if (close === -1) throw malformed('unterminated end tag');
      const name = text.slice(lt + 2, close).trimEnd();
      const expected = open.pop();
      if (expected === undefined) throw malformed(`end tag </${name.slice(0, 64)}> without a start tag`);
      if (name !== expected) throw malformed(`end tag </${name.slice(0, 64)}> does not match <${expected.slice(0, 64)}>`);
      i = close + 1;
    } else {
      const nameEnd = scanName(text, lt + 1);
      if (nameEnd === lt + 1) throw malformed('"<" not followed by a tag name');
      const close = scanTagEnd(text, nameEnd, amp);
      if (open.length === 0 && ++roots > 1) throw malformed('more than one root element');
      if (++elements > limits.maxElements) throw unsafe(`IDoc XML has more than ${limits.maxElements} elements`);
      if (text.charCodeAt(close - 1) !== 47 /* / */) {
        if (open.length + 1 > limits.maxDepth) throw unsafe(`IDoc XML nests elements deeper than ${limits.maxDepth} levels`);
        open.push(text.slice(lt + 1, nameEnd));
      }
      i = close + 1;
    }
  }
  if (open.length > 0) throw malformed(`element <${open[open.length - 1]!.slice(0, 64)}> is not closed (truncated?)`);
  if (roots === 0) throw malformed('no root element');
  return elements;
}

function skipTo(text: string, from: number, terminator: string, what: string): number {
  const at = text.indexOf(terminator, from);
  if (at === -1) throw malformed(`unterminated ${what}`);
  return at + terminator.length;
}

function checkDeclaration(declaration: string): void {
  const encoding = ENCODING.exec(declaration)?.[1];
  if (encoding !== undefined && !UTF8.test(encoding)) {
    throw new ModelbridgeError('MALFORMED_PAYLOAD', `IDoc XML declares encoding ${JSON.stringify(encoding.slice(0, 40))}; only UTF-8 is read`);
  }
}

function isBlank(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13 && c !== 0xfeff) return false;
  }
  return true;
}

/** End of an XML name starting at `from` (ASCII letters, digits, `_ : . -`, and any non-ASCII). */
function scanName(text: string, from: number): number {
  let i = from;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    const ok = (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 58 || c > 127 || (i > from && ((c >= 48 && c <= 57) || c === 45 || c === 46));
    if (!ok) break;
    i++;
  }
  return i;
}

/** Index of the `>` closing a start tag; attribute values may hold `>` and are checked for references. */
function scanTagEnd(text: string, from: number, amp: { at: number }): number {
  let i = from;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 62 /* > */) return i;
    if (c === 60 /* < */) throw malformed('"<" inside a tag');
    if (c === 34 || c === 39) {
      const close = text.indexOf(c === 34 ? '"' : "'", i + 1);
      if (close === -1) throw malformed('unterminated attribute value');
      checkReferences(text, i + 1, close, amp);
      i = close + 1;
    } else {
      i++;
    }
  }
  throw malformed('unterminated start tag');
}

/** Every `&` in `[from, to)` must start a predefined entity or a character reference. */
function checkReferences(text: string, from: number, to: number, amp: { at: number }): void {
  while (amp.at !== -1 && amp.at < from) amp.at = text.indexOf('&', amp.at + 1);
  while (amp.at !== -1 && amp.at < to) {
    const at = amp.at;
    const semicolon = text.indexOf(';', at);
    if (semicolon === -1 || semicolon >= to || semicolon - at > 12) throw malformed('"&" that does not start an entity or character reference');
    const name = text.slice(at + 1, semicolon);
    if (name.charCodeAt(0) === 35 /* # */) {
      if (!/^#(?:[0-9]{1,7}|x[0-9a-fA-F]{1,6})$/.test(name)) throw malformed(`bad character reference &${name};`);
    } else if (!PREDEFINED.has(name)) {
      throw unsafe(`IDoc XML refers to entity &${name.slice(0, 12)};; only the five predefined entities are allowed`);
    }
    amp.at = text.indexOf('&', semicolon);
  }
}
