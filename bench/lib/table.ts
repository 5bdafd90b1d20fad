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
