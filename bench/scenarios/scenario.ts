/** The contract of a benchmark scenario and of its entry in results/latest.json. */
import type { BenchContext } from '../lib/candidates.ts';
import type { CandidateResult } from '../lib/stats.ts';
import { round } from '../lib/stats.ts';
import type { BenchTransport } from '../lib/transport.ts';

/** One scenario's entry in results/latest.json. */
export interface ScenarioResult {
  name: string;
  /** Events produced per candidate run. */
  events: number;
  /** Absent when the scenario is not available (see `reason`). */
  modelbridge?: CandidateResult;
  baselines: Record<string, CandidateResult>;
  /** Modelbridge ÷ baseline, events per second. */
  ratios: Record<string, number>;
  /** False when a needed feature does not exist yet; `reason` says which. */
  available: boolean;
  reason?: string;
  /** What the figures mean, in a sentence or two. */
  notes?: string[];
}

/** What every scenario gets. */
export interface ScenarioEnv {
  readonly ctx: BenchContext;
  readonly quick: boolean;
  /** Connects lazily: a run of Kafka scenarios only needs no RabbitMQ. */
  kafka(): Promise<BenchTransport>;
  amqp(): Promise<BenchTransport>;
  readonly log: (line: string) => void;
}

export interface Scenario {
  readonly name: string;
  run(env: ScenarioEnv): Promise<ScenarioResult[]>;
}

/** Throughput ratios of modelbridge over each baseline. */
export function ratios(modelbridge: CandidateResult, baselines: Record<string, CandidateResult>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, baseline] of Object.entries(baselines)) {
    out[name] = baseline.events_per_s > 0 ? round(modelbridge.events_per_s / baseline.events_per_s, 3) : Number.NaN;
  }
  return out;
}

/** A scenario entry for a feature that is not there yet. */
export function notAvailable(name: string, events: number, reason: string): ScenarioResult {
  return { name, events, baselines: {}, ratios: {}, available: false, reason };
}
