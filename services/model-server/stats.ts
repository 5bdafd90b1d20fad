/** Per-model infer call counts, readable in-process and over HTTP (`GET /admin/stats`). */

/** Counts of one model. */
export interface ModelStats {
  /** Infer calls received. */
  requests: number;
  /**
   * Infer answers by HTTP status (`"200"`, `"503"`, …) or, on the gRPC endpoint, by status code name
   * (`"OK"`, `"UNAVAILABLE"`, …); `"aborted"` when the client went away first.
   */
  byStatus: Record<string, number>;
  /** Infer calls being served right now. */
  inFlight: number;
  /** Most infer calls ever served at the same time (evidence of client-side concurrency). */
  maxConcurrent: number;
  /**
   * Model executions (compute runs). Equal to the successful calls without batching; with server-side
   * dynamic batching one execution serves several calls.
   */
  executions: number;
}

/** The counters of one server; `model()` and `snapshot()` return copies. */
export interface ServerStats {
  recordRequest(model: string): void;
  recordOutcome(model: string, outcome: number | string): void;
  /** One execution of the model's compute. */
  recordExecution(model: string): void;
  /** Counts of one model (zeros when it has none). */
  model(model: string): ModelStats;
  /** Most infer calls of `model` served at once since the last reset. */
  maxConcurrent(model: string): number;
  snapshot(): Record<string, ModelStats>;
  reset(): void;
}

/** Creates empty counters. */
export function createServerStats(): ServerStats {
  const models = new Map<string, ModelStats>();
  const entry = (model: string): ModelStats => {
    let stats = models.get(model);
    if (!stats) {
      stats = empty();
      models.set(model, stats);
    }
    return stats;
  };
  return {
    recordRequest(model) {
      const stats = entry(model);
      stats.requests++;
      stats.inFlight++;
      if (stats.inFlight > stats.maxConcurrent) stats.maxConcurrent = stats.inFlight;
    },
    recordOutcome(model, outcome) {
      const stats = entry(model);
      stats.inFlight--;
      const byStatus = stats.byStatus;
      byStatus[outcome] = (byStatus[outcome] ?? 0) + 1;
    },
    recordExecution(model) {
      entry(model).executions++;
    },
    model: (model) => structuredClone(models.get(model) ?? empty()),
    maxConcurrent: (model) => models.get(model)?.maxConcurrent ?? 0,
    snapshot: () => structuredClone(Object.fromEntries(models)),
    reset() {
      models.clear();
    },
  };
}

function empty(): ModelStats {
  return { requests: 0, byStatus: {}, inFlight: 0, maxConcurrent: 0, executions: 0 };
}
