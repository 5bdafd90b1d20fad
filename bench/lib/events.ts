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

/** The JSON body of event `index` of a run. */
export function eventBody(runId: string, index: number, keys: number, ts: number): string {
  return `{"id":"${runId}-${index}","key":"k${index % keys}","text":"${TEXTS[index % TEXTS.length]}","ts":${ts}}`;
}

/** The message key of event `index`. */
export function eventKey(index: number, keys: number): string {
  return `k${index % keys}`;
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
