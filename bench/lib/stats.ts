/** What one candidate achieved in one scenario, and the arithmetic behind it. */

/** One candidate's figures, as written to results/latest.json. */
export interface CandidateResult {
  /** Events per second, end to end (first produce → last enriched event consumed). */
  events_per_s: number;
  /** Produce time → consume time of the output event, in ms. */
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  /** VmHWM of the candidate's process, in MB. */
  peak_rss_mb: number;
  /** Distinct events that came out (may be fewer than produced when the run was bounded by time). */
  completed: number;
  /** Seconds the rate was computed over. */
  duration_s: number;
  /** True when the run hit its time bound before every event came out. */
  time_bounded?: boolean;
  /** Extra per-scenario figures (e.g. latency added over the model's own). */
  extra?: Record<string, number | string>;
}

/** Raw observations of one run. */
export interface RunObservations {
  /** Consume time minus produce time, per distinct event, in ms. */
  readonly latenciesMs: number[];
  readonly completed: number;
  /** Epoch ms of the first produce, and of the last output consumed. */
  readonly firstProducedAt: number;
  readonly lastConsumedAt: number;
  readonly peakRssMb: number;
  readonly timeBounded: boolean;
}

/** The q-quantile (0..1) by nearest rank; NaN for no samples. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

/** Percentiles of unsorted samples (copied and sorted numerically). */
export function percentiles(samples: readonly number[]): { p50: number; p95: number; p99: number } {
  const sorted = Float64Array.from(samples).sort();
  const list = Array.from(sorted);
  return { p50: quantile(list, 0.5), p95: quantile(list, 0.95), p99: quantile(list, 0.99) };
}

/** Turns a run's observations into the figures reported. */
export function summarise(run: RunObservations): CandidateResult {
  const seconds = Math.max(0.001, (run.lastConsumedAt - run.firstProducedAt) / 1000);
  const { p50, p95, p99 } = percentiles(run.latenciesMs);
  const result: CandidateResult = {
    events_per_s: round(run.completed / seconds, 1),
    p50_ms: round(p50, 2),
    p95_ms: round(p95, 2),
    p99_ms: round(p99, 2),
    peak_rss_mb: round(run.peakRssMb, 1),
    completed: run.completed,
    duration_s: round(seconds, 2),
  };
  if (run.timeBounded) result.time_bounded = true;
  return result;
}

/** Rounds to `digits` decimals. */
export function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** Epoch milliseconds with sub-millisecond resolution, comparable across processes of one machine. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}
