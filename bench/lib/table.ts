/** The markdown table printed after a run and kept in BENCHMARKS.md. */
import type { ScenarioResult } from '../scenarios/scenario.ts';
import type { CandidateResult } from './stats.ts';

const HEADER = '| scenario | candidate | events done | events/s | p50 ms | p95 ms | p99 ms | peak RSS MB | modelbridge ÷ this |\n|---|---|---:|---:|---:|---:|---:|---:|---:|';

/** One row per candidate, scenarios in run order; unavailable scenarios get one row with the reason. */
export function markdownTable(scenarios: readonly ScenarioResult[]): string {
  const rows = [HEADER];
  for (const s of scenarios) {
    if (!s.available || !s.modelbridge) {
      rows.push(`| ${s.name} | — | — | not available | | | | | ${escape(s.reason ?? '')} |`);
      continue;
    }
    rows.push(row(s.name, 'modelbridge', s.modelbridge, ''));
    for (const [name, result] of Object.entries(s.baselines)) rows.push(row(s.name, name, result, `**${fmt(s.ratios[name] ?? Number.NaN, 2)}×**`));
  }
  return rows.join('\n');
}

function row(scenario: string, candidate: string, r: CandidateResult, ratio: string): string {
  const done = `${r.completed}${r.time_bounded ? ' (time-bounded)' : ''}`;
  return `| ${scenario} | ${candidate} | ${done} | ${fmt(r.events_per_s, 0)} | ${fmt(r.p50_ms, 1)} | ${fmt(r.p95_ms, 1)} | ${fmt(r.p99_ms, 1)} | ${fmt(r.peak_rss_mb, 0)} | ${ratio} |`;
}

function fmt(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '—';
}

function escape(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/**
 * The cost per event of every candidate that reported one (workers through the allocation probe,
 * single clients per call): V8-heap bytes allocated, CPU and GC time. Empty when none did.
 */
export function costTable(scenarios: readonly ScenarioResult[]): string {
  const rows: string[] = [];
  for (const s of scenarios) {
    const candidates: Array<[string, CandidateResult | undefined]> = [['modelbridge', s.modelbridge], ...Object.entries(s.baselines)];
    for (const [name, r] of candidates) {
      const extra = r?.extra ?? {};
      const alloc = extra.alloc_bytes_per_event ?? extra.alloc_bytes_per_call;
      if (alloc === undefined) continue;
      const cpu = extra.cpu_ms_per_event !== undefined ? Number(extra.cpu_ms_per_event) * 1000 : Number(extra.cpu_us_per_call);
      const gc = extra.gc_ms_per_event !== undefined ? Number(extra.gc_ms_per_event) * 1000 : Number(extra.gc_us_per_call);
      const busy = extra.event_loop_utilization === undefined ? '—' : fmt(Number(extra.event_loop_utilization), 2);
      rows.push(`| ${s.name} | ${name} | ${fmt(Number(alloc) / 1024, 1)} | ${fmt(cpu, 0)} | ${fmt(gc, 0)} | ${busy} |`);
    }
  }
  if (rows.length === 0) return '';
  return ['| scenario | candidate | KB allocated / event | CPU µs / event | GC µs / event | event loop busy |', '|---|---|---:|---:|---:|---:|', ...rows].join('\n');
}
