/**
 * Collects output events as the load generator's consumer sees them: first arrival per id, its
 * latency from the produce time it carries, and the model latency the worker reported.
 */
import { readOutput } from './events.ts';
import { nowMs } from './stats.ts';

export interface Collector {
  /** Records one output message consumed at `at` (epoch ms). */
  record(value: Buffer | null, at?: number): void;
  /** Distinct events seen. */
  readonly count: number;
  /** Epoch ms of the last distinct event seen (0 before any). */
  readonly lastAt: number;
  /** Epoch ms of the first distinct event seen (0 before any). */
  readonly firstAt: number;
  /** Latency (consume − produce) of each distinct event, ms. */
  readonly latenciesMs: number[];
  /** Latency minus the model call latency the worker reports (enriched events only), ms. */
  readonly addedMs: number[];
  /** Model call latencies the worker reported, ms. */
  readonly modelMs: number[];
  /** Produce time (epoch ms) of each distinct event, in the order of `latenciesMs`. */
  readonly producedAt: number[];
  /** Messages that were duplicates or not benchmark events. */
  readonly ignored: number;
}

/** Creates an empty collector. */
export function createCollector(): Collector {
  const seen = new Set<string>();
  const latenciesMs: number[] = [];
  const addedMs: number[] = [];
  const modelMs: number[] = [];
  const producedAt: number[] = [];
  let lastAt = 0;
  let firstAt = 0;
  let ignored = 0;
  return {
    record(value, at = nowMs()) {
      const output = readOutput(value);
      if (!output || seen.has(output.id)) {
        ignored++;
        return;
      }
      seen.add(output.id);
      const latency = at - output.ts;
      latenciesMs.push(latency);
      producedAt.push(output.ts);
      if (output.modelMs !== undefined) {
        modelMs.push(output.modelMs);
        addedMs.push(latency - output.modelMs);
      }
      if (firstAt === 0) firstAt = at;
      lastAt = at;
    },
    get count() {
      return seen.size;
    },
    get lastAt() {
      return lastAt;
    },
    get firstAt() {
      return firstAt;
    },
    latenciesMs,
    addedMs,
    modelMs,
    producedAt,
    get ignored() {
      return ignored;
    },
  };
}
