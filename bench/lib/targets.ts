/** The design goals the benchmark reports on (goals, not assertions: a miss does not fail the run). */
import type { ScenarioResult } from '../scenarios/scenario.ts';

export interface TargetCheck {
  readonly target: string;
  /** The measured value, or undefined when the scenario did not run or is not available. */
  readonly value: number | undefined;
  readonly met: boolean | undefined;
  readonly detail: string;
}

interface Target {
  readonly target: string;
  readonly scenario: string;
  read(s: ScenarioResult): number | undefined;
  ok(value: number): boolean;
  unit: string;
}

const TARGETS: readonly Target[] = [
  // Issue 10's targets, each a ratio or a figure measured side by side in one run.
  { target: 'ordering key ≥ 0.8 × none, 100 keys over 8 partitions', scenario: 'key-cardinality-100-keys', read: (s) => s.ratios['modelbridge-ordering-none'], ok: (v) => v >= 0.8, unit: '×' },
  { target: 'model calls in flight ≥ 80 (0.8 × min(100 keys, 256))', scenario: 'key-cardinality-100-keys', read: (s) => numberOf(s.modelbridge?.extra?.calls_in_flight_littles), ok: (v) => v >= 80, unit: '' },
  { target: 'ordering key ≥ 0.9 × none, 10,000 keys', scenario: 'key-cardinality-10000-keys', read: (s) => s.ratios['modelbridge-ordering-none'], ok: (v) => v >= 0.9, unit: '×' },
  { target: 'ordering partition, 8 partitions ≥ 6 × one partition', scenario: 'ordering-partition-8p-vs-1p', read: (s) => s.ratios['modelbridge-ordering-partition-1p'], ok: (v) => v >= 6, unit: '×' },
  { target: 'worker unbatched ≥ 0.9 × kafkajs-handwritten', scenario: 'overhead-kafka-8p', read: (s) => s.ratios['kafkajs-handwritten'], ok: (v) => v >= 0.9, unit: '×' },
  { target: 'worker unbatched ≥ 0.9 × amqplib-handwritten', scenario: 'overhead-rabbitmq', read: (s) => s.ratios['amqplib-handwritten'], ok: (v) => v >= 0.9, unit: '×' },
  { target: 'worker micro-batched ≥ 2 × kafkajs-handwritten', scenario: 'overhead-kafka-8p-batched', read: (s) => s.ratios['kafkajs-handwritten'], ok: (v) => v >= 2, unit: '×' },
  {
    target: 'added p99 ≤ 10 ms at 1,000 events/s, 5 ms model (steady state: worker p99 − raw pipe p99 − model call p99)',
    scenario: 'latency',
    read: (s) => numberOf(s.modelbridge?.extra?.steady_added_p99_ms),
    ok: (v) => v <= 10,
    unit: ' ms',
  },
  { target: 'peak RSS, backlog, default settings ≤ 250 MB', scenario: 'backlog-memory', read: (s) => s.modelbridge?.peak_rss_mb, ok: (v) => v <= 250, unit: ' MB' },
  { target: 'peak RSS, steady 1,000 events/s ≤ 150 MB', scenario: 'latency', read: (s) => s.modelbridge?.peak_rss_mb, ok: (v) => v <= 150, unit: ' MB' },
  // The same two, for the worker as the container image runs it (compiled to JavaScript).
  { target: 'peak RSS, backlog, default settings, compiled (the image) ≤ 250 MB', scenario: 'backlog-memory-compiled', read: (s) => s.modelbridge?.peak_rss_mb, ok: (v) => v <= 250, unit: ' MB' },
  { target: 'peak RSS, steady 1,000 events/s, compiled (the image) ≤ 150 MB', scenario: 'latency', read: (s) => s.baselines['modelbridge-compiled']?.peak_rss_mb, ok: (v) => v <= 150, unit: ' MB' },
  { target: 'gRPC ≥ 1.0 × HTTP', scenario: 'grpc-vs-http', read: (s) => s.ratios['modelbridge-http'], ok: (v) => v >= 1, unit: '×' },
  { target: 'tracing on ≥ 0.95 × off', scenario: 'tracing-kafka', read: (s) => s.ratios['modelbridge-tracing-off'], ok: (v) => v >= 0.95, unit: '×' },
  // Earlier goals, still reported.
  { target: 'slow-model ≥ 20 × naive', scenario: 'slow-model', read: (s) => s.ratios['kafkajs-naive'], ok: (v) => v >= 20, unit: '×' },
  { target: 'batching ≥ 3 × unbatched', scenario: 'batching', read: (s) => s.ratios['modelbridge-unbatched'], ok: (v) => v >= 3, unit: '×' },
];

/** Checks every target against the scenarios that ran. */
export function checkTargets(scenarios: readonly ScenarioResult[]): TargetCheck[] {
  return TARGETS.map((t) => {
    const s = scenarios.find((x) => x.name === t.scenario);
    if (!s) return { target: t.target, value: undefined, met: undefined, detail: 'not run' };
    if (!s.available) return { target: t.target, value: undefined, met: undefined, detail: `not available: ${s.reason ?? ''}` };
    const value = t.read(s);
    if (value === undefined || !Number.isFinite(value)) return { target: t.target, value: undefined, met: undefined, detail: 'no value' };
    const met = t.ok(value);
    return { target: t.target, value, met, detail: `${value}${t.unit} → ${met ? 'met' : 'missed'}` };
  });
}

function numberOf(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}
