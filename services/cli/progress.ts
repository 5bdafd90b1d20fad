/** The replay progress line for a terminal, and the human summary. */
import type { ReplayJob, ReplayProgress } from '../replay/types.ts';

const WIDTH = 28;

/** `[#####-----]  45%  moved 120  parked 0  failed 0  scanned 300/660  ETA 3s` */
export function progressLine(progress: ReplayProgress): string {
  const { total, scanned } = progress;
  const ratio = total === undefined || total === 0 ? 0 : Math.min(1, scanned / total);
  const filled = Math.round(ratio * WIDTH);
  const eta = progress.etaSeconds === undefined ? '?' : `${progress.etaSeconds}s`;
  return (
    `[${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${String(Math.round(ratio * 100)).padStart(3)}%  ` +
    `moved ${progress.moved}  parked ${progress.parked}  failed ${progress.failed}  skipped ${progress.skipped}  ` +
    `scanned ${scanned}/${total ?? '?'}  ETA ${eta}`
  );
}

/** The final lines for a terminal. */
export function humanSummary(job: ReplayJob): string {
  const p = job.progress;
  const lines = [
    `job ${job.id}: ${job.state}${job.error ? ` (${job.error})` : ''}`,
    `  scanned ${p.scanned}  matched ${p.matched}  moved ${p.moved}  parked ${p.parked}  skipped ${p.skipped}  failed ${p.failed}`,
  ];
  if (job.state !== 'succeeded') lines.push(`  resume with: --job ${job.id} (and the same filters)`);
  return `${lines.join('\n')}\n`;
}
