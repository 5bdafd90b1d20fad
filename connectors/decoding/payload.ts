/**
 * Per-message helpers shared by every decoder (json, cloudevents, sap, salesforce): content types,
 * UTF-8, JSON, keys, trace context, transport ids and times. Hot path: no regex is compiled per call, nothing is allocated that is not returned.
 */
import { createHash } from 'node:crypto';
import { TextDecoder } from 'node:util';
import { ModelbridgeError } from '../../schemas/errors.ts';
import type { HeaderValue, Headers, InboundMessage } from '../types.ts';

/** A strict UTF-8 decoder (throws on invalid bytes). Stateless between calls; one per decoder. */
export function createUtf8Decoder(): TextDecoder {
  return new TextDecoder('utf-8', { fatal: true });
}

/** Header lookup: the exact (lower-case) name first, then case-insensitively (AMQP tables keep case). */
export function findHeader(headers: Headers, lowerName: string): HeaderValue | undefined {
  const exact = headers[lowerName];
  if (exact !== undefined) return exact;
  for (const name in headers) {
    if (name.length === lowerName.length && name.toLowerCase() === lowerName) return headers[name];
  }
  return undefined;
}

/** A header value as text; bytes are read as UTF-8 (lossy: callers validate the result). */
export function headerText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return undefined;
}

/** The message's content type: the transport property, else a `content-type` header; `undefined` when empty. */
export function contentTypeOf(message: InboundMessage): string | undefined {
  const value = message.contentType || headerText(findHeader(message.headers, 'content-type'));
  return value === undefined || value.trim() === '' ? undefined : value;
}

/** `Application/JSON; charset=utf-8` → `application/json`. */
export function mediaType(contentType: string): string {
  const semicolon = contentType.indexOf(';');
  return (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
}

/** `application/json`, `text/json` or any `*\/*+json` (media type already lower-cased). */
export function isJsonMediaType(type: string): boolean {
  return type === 'application/json' || type === 'text/json' || type.endsWith('+json');
}

/** Textual content: `text/*`, XML, or any content type that declares a charset. */
export function isTextContentType(contentType: string): boolean {
  const type = mediaType(contentType);
  return type.startsWith('text/') || type === 'application/xml' || type.endsWith('+xml') || contentType.toLowerCase().includes('charset=');
}

/** Strict UTF-8 decoding; invalid bytes are MALFORMED_PAYLOAD. */
export function decodeUtf8(utf8: TextDecoder, bytes: Uint8Array, what = 'payload'): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new ModelbridgeError('MALFORMED_PAYLOAD', `${what} is not valid UTF-8`);
  }
}

const JSON_POSITION = /at position (\d+)/;
/**
 * An integer literal of 16 or more digits where a JSON value starts (after `:`, `[` or `,`) and ending
 * where a value ends: the only literals a double may not hold exactly. A leading zero is left alone, so
 * that invalid JSON stays invalid.
 */
const LONG_INTEGER = /([:[,]\s*)(-?[1-9]\d{15,})(?=\s*[,\]}])/g;

/**
 * The text with every integer literal beyond ±2^53 turned into a JSON string of its digits, or
 * `undefined` when there is none. Matches inside JSON strings are skipped by tracking, from one match to
 * the next, whether the position is inside a string (unescaped quotes counted with `indexOf`).
 */
function quoteLongIntegers(text: string): string | undefined {
  LONG_INTEGER.lastIndex = 0;
  let match = LONG_INTEGER.exec(text);
  if (match === null) return undefined;
  let out: string | undefined;
  let copied = 0;
  let scanned = 0;
  let inString = false;
  for (; match !== null; match = LONG_INTEGER.exec(text)) {
    const start = match.index + match[1]!.length;
    const digits = match[2]!;
    for (let quote = text.indexOf('"', scanned); quote !== -1 && quote < start; quote = text.indexOf('"', quote + 1)) {
      let backslashes = 0;
      while (text.charCodeAt(quote - 1 - backslashes) === 92) backslashes++;
      if (backslashes % 2 === 0) inString = !inString;
    }
    scanned = start;
    if (inString || Number.isSafeInteger(Number(digits))) continue;
    out = `${out ?? ''}${text.slice(copied, start)}"${digits}"`;
    copied = start + digits.length;
  }
  return out === undefined ? undefined : out + text.slice(copied);
}

/**
 * Lossless `JSON.parse`: an integer that a double cannot hold exactly (beyond ±2^53, e.g. a CDC
 * `commitNumber` of 1725357365187780609) becomes its exact decimal text, a string, which survives
 * re-encoding as JSON unchanged; every other value parses as usual. The literals are quoted before
 * parsing rather than revived (Node 24's reviver `context.source` would do it too, at about nine times
 * the cost of the parse: see the lossless-json benchmark). Failures are MALFORMED_PAYLOAD. The engine's
 * message quotes the payload, which may hold personal data or secrets and ends up in dead-letter
 * headers, so only the position is kept (positions refer to the text after quoting).
 */
export function parseJson(text: string, what = 'payload'): unknown {
  try {
    return JSON.parse(quoteLongIntegers(text) ?? text);
  } catch (error) {
    const position = error instanceof Error ? JSON_POSITION.exec(error.message)?.[1] : undefined;
    const where = position === undefined ? (text.trim() === '' ? ' (empty)' : ' (truncated?)') : ` at position ${position}`;
    throw new ModelbridgeError('MALFORMED_PAYLOAD', `${what} is not valid JSON${where}`);
  }
}

/** `typeof` as people say it, for error messages. */
export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/** True for a plain JSON object (not null, not an array). */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The message key as a partition key: UTF-8 text, or base64 when the bytes are not UTF-8; none when empty. */
export function keyText(utf8: TextDecoder, key: Buffer | null): string | undefined {
  if (key === null || key.length === 0) return undefined;
  try {
    return utf8.decode(key);
  } catch {
    return key.toString('base64');
  }
}

const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;
const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_PARENT_ID = '0'.repeat(16);

/**
 * A well-formed W3C `traceparent`, else `undefined`: per W3C Trace Context an invalid one is ignored
 * (a new trace starts), it does not make the event invalid.
 */
export function validTraceparent(value: unknown): string | undefined {
  const text = headerText(value);
  if (text === undefined || !TRACEPARENT.test(text)) return undefined;
  if (text.startsWith('ff') || text.slice(3, 35) === ZERO_TRACE_ID || text.slice(36, 52) === ZERO_PARENT_ID) return undefined;
  return text;
}

/** The message's `traceparent` header when well-formed ({@link validTraceparent}). */
export function messageTraceparent(message: InboundMessage): string | undefined {
  return validTraceparent(findHeader(message.headers, 'traceparent'));
}

/** The transport timestamp as an RFC 3339 `time`, for payloads that carry none; undefined when absent or invalid. */
export function transportTime(message: InboundMessage): string | undefined {
  const timestamp = message.timestamp;
  if (timestamp === undefined || !Number.isFinite(timestamp)) return undefined;
  // Records fetched together mostly share their millisecond: format each one once.
  if (timestamp === lastTimestamp) return lastTime;
  const time = new Date(timestamp);
  const text = Number.isNaN(time.getTime()) ? undefined : time.toISOString();
  lastTimestamp = timestamp;
  lastTime = text;
  return text;
}

let lastTimestamp = Number.NaN;
let lastTime: string | undefined;

const MAX_ID_LENGTH = 1024;

/**
 * An event id from where the message sits, stable across redelivery: Kafka `topic:partition:offset`,
 * memory `stream:sequence`, AMQP the `message-id` header or, lacking one, `sha256:<hex of the payload>`
 * (delivery tags change on redelivery, a content hash does not).
 */
export function transportId(message: InboundMessage): string {
  const { origin } = message;
  switch (origin.transport) {
    case 'kafka':
      return `${origin.topic}:${origin.partition}:${origin.offset}`;
    case 'memory':
      return `${origin.stream}:${origin.sequence}`;
    case 'amqp': {
      const messageId = headerText(findHeader(message.headers, 'message-id'));
      if (messageId !== undefined && messageId !== '' && messageId.length <= MAX_ID_LENGTH) return messageId;
      return `sha256:${createHash('sha256').update(message.value ?? Buffer.alloc(0)).digest('hex')}`;
    }
  }
}

/** The topic, queue or stream the message came from. */
export function originName(message: InboundMessage): string {
  const { origin } = message;
  if (origin.transport === 'kafka') return origin.topic;
  if (origin.transport === 'amqp') return origin.queue;
  return origin.stream;
}
