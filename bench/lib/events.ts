/**
 * The benchmark's business events: small JSON objects that carry their produce time (`ts`, epoch ms
 * with sub-ms precision), so latency is measured from the payload the pipeline forwards, whatever the
 * candidate does with headers.
 */

const TEXTS = [
  'the delivery was late and the box was damaged',
  'great service, thank you for the quick refund',
  'invoice 4711 attached, please confirm the amount',
  'the replacement part works fine now',
];

/**
 * How events are keyed: `n` keys in turn (uniform), or `count` keys drawn from a Zipf distribution with
 * exponent `zipf` (key k0 the most frequent), deterministically from the event index.
 */
export type KeySpec = number | { readonly count: number; readonly zipf: number };

/** The JSON body of event `index` of a run. */
export function eventBody(runId: string, index: number, keys: KeySpec, ts: number): string {
  return `{"id":"${runId}-${index}","key":"${eventKey(index, keys)}","text":"${TEXTS[index % TEXTS.length]}","ts":${ts}}`;
}

/** The message key of event `index`. */
export function eventKey(index: number, keys: KeySpec): string {
  if (typeof keys === 'number') return `k${index % keys}`;
  return `k${zipfRank(index, keys.count, keys.zipf)}`;
}

/** Distinct keys of a spec. */
export function keyCount(keys: KeySpec): number {
  return typeof keys === 'number' ? keys : keys.count;
}

const cdfs = new Map<string, Float64Array>();

function zipfRank(index: number, count: number, exponent: number): number {
  const id = `${count}:${exponent}`;
  let cdf = cdfs.get(id);
  if (!cdf) {
    cdf = new Float64Array(count);
    let total = 0;
    for (let k = 0; k < count; k++) cdf[k] = total += 1 / (k + 1) ** exponent;
    for (let k = 0; k < count; k++) cdf[k]! /= total;
    cdfs.set(id, cdf);
  }
  // A fixed integer hash of the index (murmur3's finaliser) as the uniform draw: runs are reproducible.
  let h = Math.imul(index ^ (index >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  const u = ((h ^ (h >>> 16)) >>> 0) / 4294967296;
  let lo = 0;
  let hi = count - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cdf[mid]! < u) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** What the collector reads back from an output message. */
export interface OutputFields {
  readonly id: string;
  readonly ts: number;
  /** The model call latency the worker reports in provenance, when present. */
  readonly modelMs: number | undefined;
}

interface OutputShape {
  id?: unknown;
  ts?: unknown;
  data?: { input?: { id?: unknown; ts?: unknown }; provenance?: { latencyMs?: unknown } };
}

/**
 * Reads id and produce time from a raw pass-through (the input body itself) or an enriched
 * CloudEvent (`data.input` holds the input body). Undefined for anything else.
 */
export function readOutput(value: Buffer | null): OutputFields | undefined {
  if (value === null) return undefined;
  let parsed: OutputShape;
  try {
    parsed = JSON.parse(value.toString('utf8')) as OutputShape;
  } catch {
    return undefined;
  }
  const input = parsed.data?.input;
  const ts = typeof parsed.ts === 'number' ? parsed.ts : input?.ts;
  const id = typeof parsed.ts === 'number' ? parsed.id : input?.id;
  if (typeof ts !== 'number' || typeof id !== 'string') return undefined;
  const modelMs = parsed.data?.provenance?.latencyMs;
  return { id, ts, modelMs: typeof modelMs === 'number' ? modelMs : undefined };
}
