/**
 * Compiles a replay filter once into a predicate over dead letters. Every given criterion must hold
 * (AND). The JSONata predicate runs last, only on messages the cheap header checks let through.
 */
import jsonata from 'jsonata';
import type { InboundMessage } from '../../connectors/types.ts';
import { DLQ_HEADERS } from '../../schemas/dead-letter.ts';
import { headerText } from './bookkeeping.ts';
import { ReplayError } from './types.ts';
import type { ReplayFilter } from './types.ts';

export type MessagePredicate = (message: InboundMessage) => Promise<boolean>;

/** The `{headers, value}` a JSONata predicate sees: headers as text, value parsed when it is JSON. */
export function predicateInput(message: InboundMessage): { headers: Record<string, string>; value: unknown } {
  const headers: Record<string, string> = {};
  for (const name in message.headers) headers[name] = headerText(message.headers, name)!;
  let value: unknown = null;
  if (message.value !== null) {
    const text = message.value.toString('utf8');
    try {
      value = JSON.parse(text);
    } catch {
      value = text;
    }
  }
  return { headers, value };
}

function timeMs(iso: string | undefined): number | undefined {
  if (iso === undefined) return undefined;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Compiles `filter`; a JSONata syntax error is an `INVALID_REQUEST`. */
export function compileFilter(filter: ReplayFilter): MessagePredicate {
  const checks: ((message: InboundMessage) => boolean)[] = [];
  const equals = (name: string, values: readonly string[]): void => {
    const set = new Set(values);
    checks.push((m) => {
      const value = headerText(m.headers, name);
      return value !== undefined && set.has(value);
    });
  };
  if (filter.connector !== undefined) equals(DLQ_HEADERS.connector, [filter.connector]);
  if (filter.codes) equals(DLQ_HEADERS.code, filter.codes);
  if (filter.stages) equals(DLQ_HEADERS.stage, filter.stages);
  if (filter.eventIds) equals(DLQ_HEADERS.eventId, filter.eventIds);
  for (const [name, value] of Object.entries(filter.headers ?? {})) equals(name, [value]);
  if (filter.key !== undefined) {
    const key = filter.key;
    checks.push((m) => m.key !== null && m.key.toString('utf8') === key);
  }
  if (filter.window) {
    const header = filter.window.field === 'first' ? DLQ_HEADERS.firstFailureAt : DLQ_HEADERS.lastFailureAt;
    const since = timeMs(filter.window.since);
    const until = timeMs(filter.window.until);
    checks.push((m) => {
      const at = timeMs(headerText(m.headers, header));
      return at !== undefined && (since === undefined || at >= since) && (until === undefined || at < until);
    });
  }
  let expression: ReturnType<typeof jsonata> | undefined;
  if (filter.predicate !== undefined) {
    try {
      expression = jsonata(filter.predicate);
    } catch (error) {
      throw new ReplayError('INVALID_REQUEST', `filter.predicate is not valid JSONata: ${(error as Error).message}`, { cause: error });
    }
  }
  return async (message) => {
    for (const check of checks) if (!check(message)) return false;
    if (!expression) return true;
    try {
      return Boolean(await expression.evaluate(predicateInput(message)));
    } catch {
      // A predicate that cannot be evaluated on this message (type error, missing function) does not select it.
      return false;
    }
  };
}
