import type { FaultRegistry } from './faults.ts';
import type { Model } from './models/model.ts';
import type { Scheduler } from './scheduler.ts';
import type { ServerStats } from './stats.ts';

/** What the route handlers of one server share. */
export interface ServerContext {
  readonly models: ReadonlyMap<string, Model>;
  readonly faults: FaultRegistry;
  readonly stats: ServerStats;
  /** Schedulers (queue, dynamic batching) of the models configured with one. */
  readonly schedulers: ReadonlyMap<string, Scheduler>;
  readonly maxBodyBytes: number;
  readonly random: () => number;
  readonly now: () => number;
  /** Resolves after `ms`, or rejects when `signal` aborts. */
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Aborted when the server closes. */
  readonly closing: AbortSignal;
}
