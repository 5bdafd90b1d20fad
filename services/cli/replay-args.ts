/**
 * `modelbridge replay` flags → a replay request. Pure: the time source is passed in, so relative
 * windows (`--since 2h`) are testable.
 */
import { parseDuration } from '../../schemas/duration.ts';
import type { ReplayRequestInput, ReplayTarget } from '../replay/types.ts';

/** The flags as commander hands them over. */
export interface ReplayFlags {
  readonly from: string;
  readonly to?: string | undefined;
  readonly code?: readonly string[] | undefined;
  readonly stage?: readonly string[] | undefined;
  readonly since?: string | undefined;
  readonly until?: string | undefined;
  readonly window?: string | undefined;
  readonly eventId?: readonly string[] | undefined;
  readonly key?: string | undefined;
  readonly header?: readonly string[] | undefined;
  readonly where?: string | undefined;
  readonly dryRun?: boolean | undefined;
  readonly rate?: number | undefined;
  readonly max?: number | undefined;
  readonly preview?: number | undefined;
  readonly job?: string | undefined;
}

/** Thrown for a flag that cannot be understood; the message names the flag. */
export class FlagError extends Error {
  override readonly name = 'FlagError';
}

/** `connector` or `connector/destination`. */
export function parseFrom(value: string): { connector: string; name?: string } {
  const slash = value.indexOf('/');
  if (slash < 0) return { connector: value };
  const connector = value.slice(0, slash);
  const name = value.slice(slash + 1);
  if (connector === '' || name === '') throw new FlagError(`--from ${value}: expected <connector> or <connector>/<topic or queue>`);
  return { connector, name };
}

/** `origin`, `kafka:<topic>`, `rabbitmq:<queue>` (default exchange) or `rabbitmq:<exchange>/<routing key>`. */
export function parseTarget(value: string | undefined): ReplayTarget {
  if (value === undefined || value === 'origin') return { kind: 'origin' };
  const [kind, rest] = [value.slice(0, value.indexOf(':')), value.slice(value.indexOf(':') + 1)];
  if (kind === 'kafka' && rest !== '') return { kind: 'kafka', topic: rest };
  if (kind === 'rabbitmq' && rest !== '') {
    const slash = rest.indexOf('/');
    return slash < 0 ? { kind: 'rabbitmq', exchange: '', routingKey: rest } : { kind: 'rabbitmq', exchange: rest.slice(0, slash), routingKey: rest.slice(slash + 1) };
  }
  throw new FlagError(`--to ${value}: expected origin, kafka:<topic>, rabbitmq:<queue> or rabbitmq:<exchange>/<routing key>`);
}

/** An ISO-8601 time, or a duration ago (`90m`, `2h`). */
export function parseTime(flag: string, value: string, now: number): string {
  const ago = parseDuration(value);
  if (ago !== undefined && !/^\d+$/.test(value.trim())) return new Date(now - ago).toISOString();
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new FlagError(`${flag} ${value}: expected an ISO-8601 time or a duration ago such as 2h`);
  return new Date(ms).toISOString();
}

const list = (values: readonly string[] | undefined): string[] | undefined => {
  const flat = values?.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
  return flat && flat.length > 0 ? flat : undefined;
};

/** The request the flags describe. */
export function toReplayRequest(flags: ReplayFlags, now: number): ReplayRequestInput {
  const headers: Record<string, string> = {};
  for (const pair of flags.header ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new FlagError(`--header ${pair}: expected name=value`);
    headers[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const window =
    flags.since !== undefined || flags.until !== undefined
      ? {
          field: flags.window === 'first' ? ('first' as const) : ('last' as const),
          since: flags.since === undefined ? undefined : parseTime('--since', flags.since, now),
          until: flags.until === undefined ? undefined : parseTime('--until', flags.until, now),
        }
      : undefined;
  if (flags.window !== undefined && flags.window !== 'first' && flags.window !== 'last') throw new FlagError(`--window ${flags.window}: expected first or last`);
  return {
    from: parseFrom(flags.from),
    to: parseTarget(flags.to),
    filter: {
      codes: list(flags.code),
      stages: list(flags.stage) as ('receive' | 'decode' | 'validate' | 'map' | 'infer' | 'publish')[] | undefined,
      window,
      eventIds: list(flags.eventId),
      key: flags.key,
      headers: Object.keys(headers).length > 0 ? headers : undefined,
      predicate: flags.where,
    },
    dryRun: flags.dryRun ?? false,
    rate: flags.rate,
    max: flags.max,
    previewSize: flags.preview,
    jobId: flags.job,
  };
}
