import { z } from 'zod';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)$/;

/** Parses `250ms`, `5s`, `1.5m`, `2h` or a bare number of milliseconds. Returns undefined when invalid. */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  const match = DURATION.exec(value.trim());
  if (!match) return undefined;
  return Math.round(Number(match[1]) * UNITS[match[2]!]!);
}

/** A duration in config (`250ms`, `5s`, `1m` or milliseconds), parsed to milliseconds. */
export const duration = z
  .union([z.string(), z.number()])
  .transform((value, ctx) => {
    const ms = parseDuration(value);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `invalid duration ${JSON.stringify(value)} (use e.g. 250ms, 5s, 1m)` });
      return z.NEVER;
    }
    return ms;
  });

const SIZE_UNITS: Record<string, number> = { b: 1, kb: 1000, kib: 1024, mb: 1_000_000, mib: 1_048_576, gb: 1e9, gib: 1_073_741_824 };
const SIZE = /^(\d+)\s*(b|kb|kib|mb|mib|gb|gib)$/i;

/** A byte size in config (`512KiB`, `1MiB`, `1000000`), parsed to bytes. */
export const byteSize = z.union([z.string(), z.number().int().positive()]).transform((value, ctx) => {
  if (typeof value === 'number') return value;
  const match = SIZE.exec(value.trim());
  if (!match) {
    ctx.addIssue({ code: 'custom', message: `invalid size ${JSON.stringify(value)} (use e.g. 512KiB, 1MiB)` });
    return z.NEVER;
  }
  return Number(match[1]) * SIZE_UNITS[match[2]!.toLowerCase()]!;
});

/** An object type with the duration fields `K` renamed to `…Ms`. */
export type DurationsInMs<T, K extends keyof T & string> = Omit<T, K> & { readonly [P in K as `${P}Ms`]: T[P] };

/**
 * Renames the duration fields `keys` of an object schema's output to `…Ms`: a file says `timeout: 2s`,
 * the compiled configuration `timeoutMs: 2000`. Issue paths keep the names the file uses.
 */
export function durationsInMs<S extends z.ZodType<Record<string, unknown>>, K extends keyof z.output<S> & string>(schema: S, ...keys: K[]) {
  const renamed = new Set<string>(keys);
  return schema.transform((value) => {
    const out: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(value)) out[renamed.has(key) ? `${key}Ms` : key] = field;
    return out as DurationsInMs<z.output<S>, K>;
  });
}
