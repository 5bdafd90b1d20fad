/**
 * The last hour of each connector, for the console's plots: dead letters per error code in one-minute
 * buckets (from `modelbridge_events_dead_lettered_total`) and the breaker's state changes (from the
 * worker's status). Sampled every few seconds while the app runs and once more on every read, kept in
 * memory only: a restarted worker starts a new history, as its counters do.
 */
import type { Registry } from 'prom-client';
import { z } from 'zod';
import type { Worker } from '../worker/worker.ts';
import { defineRoute } from './route-spec.ts';
import type { RouteSpec } from './route-spec.ts';

type BreakerState = 'closed' | 'open' | 'half-open';

export interface HistoryOptions {
  readonly worker: Pick<Worker, 'status'>;
  readonly metricsRegistry: Registry;
  /** Bucket width (default 60 s). */
  readonly stepMs?: number;
  /** Buckets kept (default 60: the last hour). */
  readonly buckets?: number;
  readonly now?: () => number;
}

export const historySchema = z.object({
  /** Start of the oldest bucket (ISO-8601). */
  since: z.iso.datetime(),
  stepSeconds: z.number().int(),
  connectors: z.array(
    z.object({
      name: z.string(),
      /** Dead letters per error code, one count per bucket, oldest first; the last bucket is the current one. */
      deadLetters: z.record(z.string(), z.array(z.number().int())),
      /** The breaker's state at `since` and every change after it, oldest first. */
      breaker: z.array(z.object({ at: z.iso.datetime(), state: z.enum(['closed', 'open', 'half-open']) })),
    }),
  ),
});

export type HistoryView = z.infer<typeof historySchema>;

export interface History {
  /** Reads the counters and breaker states now. */
  sample(): Promise<void>;
  view(): HistoryView;
}

const DEAD_LETTERED = 'modelbridge_events_dead_lettered_total';

interface ConnectorHistory {
  /** bucket index (time / step) → code → count */
  readonly deadLetters: Map<number, Map<string, number>>;
  readonly breaker: { at: number; state: BreakerState }[];
}

/** An empty history; call {@link History.sample} periodically. */
export function createHistory(options: HistoryOptions): History {
  const stepMs = options.stepMs ?? 60_000;
  const buckets = options.buckets ?? 60;
  const now = options.now ?? Date.now;
  const connectors = new Map<string, ConnectorHistory>();
  /** Last counter value per `connector\0code`. */
  const seen = new Map<string, number>();

  const entry = (name: string): ConnectorHistory => {
    let found = connectors.get(name);
    if (!found) connectors.set(name, (found = { deadLetters: new Map(), breaker: [] }));
    return found;
  };

  function prune(history: ConnectorHistory, oldestBucket: number): void {
    for (const bucket of history.deadLetters.keys()) if (bucket < oldestBucket) history.deadLetters.delete(bucket);
    // Keep the last change before the window: it is the state at the window's start.
    const start = oldestBucket * stepMs;
    while (history.breaker.length > 1 && history.breaker[1]!.at <= start) history.breaker.shift();
  }

  return {
    async sample() {
      const at = now();
      const bucket = Math.floor(at / stepMs);
      for (const status of options.worker.status().connectors) {
        const history = entry(status.name);
        if (history.breaker.at(-1)?.state !== status.breaker) history.breaker.push({ at, state: status.breaker });
      }
      const metric = options.metricsRegistry.getSingleMetric(DEAD_LETTERED);
      const values = metric ? (await metric.get()).values : [];
      for (const { labels, value } of values) {
        const connector = String(labels.connector ?? '');
        const code = String(labels.code ?? 'UNKNOWN');
        const key = `${connector}\0${code}`;
        const delta = value - (seen.get(key) ?? 0);
        seen.set(key, value);
        if (delta <= 0) continue;
        const counts = entry(connector).deadLetters;
        const byCode = counts.get(bucket) ?? new Map<string, number>();
        byCode.set(code, (byCode.get(code) ?? 0) + delta);
        counts.set(bucket, byCode);
      }
      for (const history of connectors.values()) prune(history, bucket - buckets + 1);
    },
    view() {
      const last = Math.floor(now() / stepMs);
      const first = last - buckets + 1;
      return {
        since: new Date(first * stepMs).toISOString(),
        stepSeconds: Math.round(stepMs / 1000),
        connectors: [...connectors].map(([name, history]) => {
          const deadLetters: Record<string, number[]> = {};
          for (const [bucket, byCode] of history.deadLetters) {
            if (bucket < first || bucket > last) continue;
            for (const [code, count] of byCode) (deadLetters[code] ??= new Array<number>(buckets).fill(0))[bucket - first] = count;
          }
          const breaker = history.breaker.map((change) => ({ at: new Date(Math.max(change.at, first * stepMs)).toISOString(), state: change.state }));
          return { name, deadLetters, breaker };
        }),
      };
    },
  };
}

/** `GET /v1/history`. */
export function historyRoutes(history: History): RouteSpec[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/v1/history',
      operationId: 'readHistory',
      summary: 'The last hour of each connector: dead letters per code per minute, breaker state changes',
      description: 'Kept in memory by this worker since it started; a restart starts a new history.',
      tag: 'connectors',
      role: 'viewer',
      responses: { 200: { description: 'The history', schema: historySchema } },
      async handler() {
        await history.sample();
        return { status: 200, body: history.view() };
      },
    }),
  ];
}
