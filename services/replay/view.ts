/**
 * Dead letters as operators see them (browse, dry-run preview): headers and a value excerpt with
 * secrets redacted. Redaction is by name (header names, JSON keys) and, in plain text, by the
 * `name=value` / `name: value` and `Bearer …` shapes; it is a safety net for previews, not a
 * guarantee about arbitrary payloads, which is why only an excerpt is ever shown.
 */
import type { StoredDeadLetter } from '../../connectors/types.ts';
import { DLQ_HEADERS } from '../../schemas/dead-letter.ts';
import { headerText, replayCountOf } from './bookkeeping.ts';
import type { DeadLetterView } from './types.ts';

/** Characters of the value shown. */
export const EXCERPT_CHARS = 1024;
const REDACTED = '[redacted]';
const SECRET_NAME = /pass(word|wd)?|secret|token|api[-_]?key|authori[sz]ation|cookie|credential|private[-_]?key|session/i;
const SECRET_IN_TEXT = /\b((?:pass(?:word|wd)?|secret|token|api[-_]?key|authorization|credential)\w*)(["']?\s*[:=]\s*["']?)[^\s"',;&}]+/gi;
const BEARER = /\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi;

/** Whether a header or field name names a secret. */
export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

function redactJson(value: unknown, depth = 0): unknown {
  if (depth > 32 || value === null || typeof value !== 'object') return typeof value === 'string' ? redactText(value) : value;
  if (Array.isArray(value)) return value.map((item) => redactJson(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(value)) out[name] = isSecretName(name) ? REDACTED : redactJson(field, depth + 1);
  return out;
}

/** Secrets in free text (`password=…`, `"token": "…"`, `Bearer …`) replaced. */
export function redactText(text: string): string {
  return text.replace(BEARER, `$1 ${REDACTED}`).replace(SECRET_IN_TEXT, `$1$2${REDACTED}`);
}

/** A redacted excerpt of a value: JSON redacted by key, text by pattern, binary as base64. */
export function valueExcerpt(value: Buffer | null, limit = EXCERPT_CHARS): { text: string | null; truncated: boolean } {
  if (value === null) return { text: null, truncated: false };
  const text = value.toString('utf8');
  let shown: string;
  if (Buffer.byteLength(text) !== value.length || text.includes('\uFFFD')) {
    shown = `base64:${value.subarray(0, limit).toString('base64')}`;
    return { text: shown, truncated: value.length > limit };
  }
  try {
    shown = JSON.stringify(redactJson(JSON.parse(text)));
  } catch {
    shown = redactText(text);
  }
  return shown.length > limit ? { text: `${shown.slice(0, limit)}…`, truncated: true } : { text: shown, truncated: false };
}

/** The operator's view of one dead letter; `limit` characters of its value (default an excerpt). */
export function toView(entry: StoredDeadLetter, limit = EXCERPT_CHARS): DeadLetterView {
  const { message } = entry;
  const headers: Record<string, string> = {};
  for (const name in message.headers) {
    headers[name] = isSecretName(name) ? REDACTED : redactText(headerText(message.headers, name)!);
  }
  const { text, truncated } = valueExcerpt(message.value, limit);
  return {
    position: entry.position,
    key: message.key === null ? null : message.key.toString('utf8'),
    headers,
    contentType: message.contentType,
    value: text,
    valueBytes: message.value?.length ?? 0,
    truncated,
    code: headerText(message.headers, DLQ_HEADERS.code),
    connector: headerText(message.headers, DLQ_HEADERS.connector),
    eventId: headerText(message.headers, DLQ_HEADERS.eventId),
    replayCount: replayCountOf(message.headers),
  };
}
