// Small inline SVG plots. Each has a text alternative that says what it shows in words.
import { html } from './ui.js';

const BREAKER_COLOURS = { closed: '#2f7d32', 'half-open': '#b26a00', open: '#c62828' };

/** Dead letters per minute as a line over the last hour. */
export function Sparkline({ values, label, width = 120, height = 24 }) {
  const total = values.reduce((sum, v) => sum + v, 0);
  const peak = Math.max(0, ...values);
  const step = values.length > 1 ? width / (values.length - 1) : width;
  const y = (v) => (peak === 0 ? height - 1 : height - 1 - (v / peak) * (height - 3));
  const points = values.map((v, i) => `${(i * step).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
  const text = `${label}: ${total} in the last hour, at most ${peak} per minute`;
  return html`<svg class="sparkline" width=${width} height=${height} viewBox="0 0 ${width} ${height}" role="img" aria-label=${text}>
    <title>${text}</title>
    <polyline points=${points} fill="none" stroke="#1f4e8c" stroke-width="1.5" />
  </svg>`;
}

/** The breaker's state over the window: one band per state, coloured and named in the text alternative. */
export function BreakerStrip({ changes, since, until, width = 120, height = 12 }) {
  const start = Date.parse(since);
  const end = until ?? Date.now();
  const span = Math.max(1, end - start);
  const bands = changes.map((change, i) => {
    const from = Math.max(start, Date.parse(change.at));
    const to = i + 1 < changes.length ? Date.parse(changes[i + 1].at) : end;
    return { state: change.state, x: ((from - start) / span) * width, w: Math.max(1, ((to - from) / span) * width) };
  });
  const opened = changes.filter((c) => c.state === 'open').length;
  const text = changes.length === 0 ? 'Breaker: no data yet' : `Breaker over the last hour: now ${changes.at(-1).state}, opened ${opened} time${opened === 1 ? '' : 's'}`;
  return html`<svg class="breaker-strip" width=${width} height=${height} viewBox="0 0 ${width} ${height}" role="img" aria-label=${text}>
    <title>${text}</title>
    <rect x="0" y="0" width=${width} height=${height} fill="#e8e8e8" />
    ${bands.map((b) => html`<rect x=${b.x.toFixed(1)} y="0" width=${b.w.toFixed(1)} height=${height} fill=${BREAKER_COLOURS[b.state]} />`)}
  </svg>`;
}

const PARTS = [
  ['moved', '#2f7d32'],
  ['parked', '#b26a00'],
  ['failed', '#c62828'],
  ['skipped', '#757575'],
];

/** A replay job's progress: moved, parked, failed and skipped as parts of what it matched (or the DLQ's size). */
export function JobProgress({ progress, width = 200, height = 14 }) {
  const done = PARTS.reduce((sum, [name]) => sum + (progress[name] ?? 0), 0);
  const whole = Math.max(1, progress.matched, done);
  let x = 0;
  const bars = PARTS.map(([name, colour]) => {
    const w = ((progress[name] ?? 0) / whole) * width;
    const bar = html`<rect x=${x.toFixed(1)} y="0" width=${w.toFixed(1)} height=${height} fill=${colour} />`;
    x += w;
    return bar;
  });
  const text = `${progress.moved} moved, ${progress.parked} parked, ${progress.failed} failed, ${progress.skipped} skipped of ${progress.matched} matched (${progress.scanned} scanned)`;
  return html`<svg class="job-progress" width=${width} height=${height} viewBox="0 0 ${width} ${height}" role="img" aria-label=${text}>
    <title>${text}</title>
    <rect x="0" y="0" width=${width} height=${height} fill="#e8e8e8" />
    ${bars}
  </svg>`;
}
