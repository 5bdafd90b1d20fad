import type { FaultRegistry } from './faults.ts';
import type { Model } from './models/model.ts';
import type { ServerStats } from './stats.ts';

/** What the route handlers of one server share. */
export interface ServerContext {
  readonly models: ReadonlyMap<string, Model>;
  readonly faults: FaultRegistry;
  readonly stats: ServerStats;
  readonly maxBodyBytes: number;
  readonly random: () => number;
  readonly now: () => number;
  /** Resolves after `ms`, or rejects when `signal` aborts. */
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Aborted when the server closes. */
  readonly closing: AbortSignal;
}
