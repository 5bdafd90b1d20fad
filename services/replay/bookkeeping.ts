/**
 * What a replay publishes: the dead letter's original bytes, key, content type and headers without the
 * failure's `mb-dlq-*` headers, plus the replay count (incremented), the job id and the history of
 * failures; and what it parks: the dead letter unchanged plus the parking headers and full history.
 */
import type { Headers, HeaderValue, InboundMessage, OutboundMessage } from '../../connectors/types.ts';
import { DEAD_LETTER_HEADER_PREFIX, DLQ_HEADERS, REPLAY_KEPT_HEADERS } from '../../schemas/dead-letter.ts';
import type { DeadLetterHistoryEntry } from '../../schemas/dead-letter.ts';

/** Entries kept in the history header, newest last; older ones are dropped (AMQP tables are small). */
const MAX_HISTORY = 20;
const MAX_HISTORY_MESSAGE = 200;

/** A header as text (Kafka header values are bytes). */
export function headerText(headers: Headers, name: string): string | undefined {
  const value: HeaderValue | undefined = headers[name];
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : value.toString('utf8');
}

/** Replays so far; a missing or malformed count is 0. */
export function replayCountOf(headers: Headers): number {
  const count = Number(headerText(headers, DLQ_HEADERS.replayCount));
  return Number.isSafeInteger(count) && count > 0 ? count : 0;
}

/** The earlier failures recorded on the message; a malformed header reads as none. */
export function historyOf(headers: Headers): DeadLetterHistoryEntry[] {
  const text = headerText(headers, DLQ_HEADERS.history);
  if (text === undefined) return [];
  try {
    const parsed = JSON.parse(text) as unknown;
    return Array.isArray(parsed) ? (parsed.filter((e) => typeof e === 'object' && e !== null) as DeadLetterHistoryEntry[]) : [];
  } catch {
    return [];
  }
}

function numberOrUndefined(text: string | undefined): number | undefined {
  const n = Number(text);
  return text === undefined || !Number.isFinite(n) ? undefined : n;
}

/** The history with the dead letter's own (last) failure appended. */
export function historyWithLastFailure(headers: Headers, jobId: string): DeadLetterHistoryEntry[] {
  const message = headerText(headers, DLQ_HEADERS.message);
  const entry: DeadLetterHistoryEntry = {
    code: headerText(headers, DLQ_HEADERS.code),
    stage: headerText(headers, DLQ_HEADERS.stage),
    message: message !== undefined && message.length > MAX_HISTORY_MESSAGE ? `${message.slice(0, MAX_HISTORY_MESSAGE)}…` : message,
    attempts: numberOrUndefined(headerText(headers, DLQ_HEADERS.attempts)),
    connector: headerText(headers, DLQ_HEADERS.connector),
    firstFailureAt: headerText(headers, DLQ_HEADERS.firstFailureAt),
    lastFailureAt: headerText(headers, DLQ_HEADERS.lastFailureAt),
    replayJobId: headerText(headers, DLQ_HEADERS.replayJobId),
    handledByJob: jobId,
  };
  return [...historyOf(headers), entry].slice(-MAX_HISTORY);
}

/** The content type of the original message: the AMQP property the worker saved, else the one read. */
function originalContentType(message: InboundMessage): string | undefined {
  return headerText(message.headers, DLQ_HEADERS.originContentType) ?? message.contentType;
}

/** The message a replay re-publishes to `destination` (topic or routing key). */
export function buildReplayMessage(message: InboundMessage, jobId: string, destination: string): OutboundMessage {
  const headers: Headers = {};
  for (const name in message.headers) {
    if (!name.startsWith(DEAD_LETTER_HEADER_PREFIX) || REPLAY_KEPT_HEADERS.has(name)) headers[name] = message.headers[name]!;
  }
  headers[DLQ_HEADERS.replayCount] = String(replayCountOf(message.headers) + 1);
  headers[DLQ_HEADERS.replayJobId] = jobId;
  headers[DLQ_HEADERS.history] = JSON.stringify(historyWithLastFailure(message.headers, jobId));
  return { key: message.key, value: message.value, headers, contentType: originalContentType(message), destination };
}

/** The message a replay parks: the dead letter unchanged, with its whole history and the parking headers. */
export function buildParkedMessage(message: InboundMessage, jobId: string, now: Date): OutboundMessage {
  const headers: Headers = { ...message.headers };
  headers[DLQ_HEADERS.history] = JSON.stringify(historyWithLastFailure(message.headers, jobId));
  headers[DLQ_HEADERS.parkedAt] = now.toISOString();
  headers[DLQ_HEADERS.parkedByJob] = jobId;
  return { key: message.key, value: message.value, headers, contentType: message.contentType };
}
