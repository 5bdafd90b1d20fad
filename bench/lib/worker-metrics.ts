/**
 * Samples a worker's Prometheus endpoint during a run: how many model calls it kept in flight while it
 * had work, and how late its event loop ran. Polled every 250 ms; a failed scrape is skipped.
 */

/** What a run's samples add up to (into `extra` of the candidate's result). */
export interface WorkerSamples {
  /** Mean of `modelbridge_model_calls_in_flight` over samples with events buffered. */
  calls_in_flight_avg: number;
  /** Little's law over the run: model-call seconds ÷ wall seconds. */
  calls_in_flight_littles: number;
  /** Worst per-interval event-loop delay p99 and max seen, ms. */
  event_loop_p99_ms: number;
  event_loop_max_ms: number;
  samples: number;
  /** Least-squares slopes of RSS and V8 heap used over the second half of the run, MB per minute. */
  rss_slope_mb_per_min: number;
  heap_slope_mb_per_min: number;
  rss_last_mb: number;
  heap_used_last_mb: number;
}

export interface Sampler {
  stop(): Promise<WorkerSamples>;
}

/** Starts sampling `metricsUrl` now. */
export function sampleWorkerMetrics(metricsUrl: string, intervalMs = 250): Sampler {
  let stopped = false;
  let inFlightSum = 0;
  let busySamples = 0;
  let samples = 0;
  let loopP99 = 0;
  let loopMax = 0;
  let first: { at: number; callSeconds: number } | undefined;
  let last: { at: number; callSeconds: number } | undefined;
  const memory: Array<{ at: number; rss: number; heap: number }> = [];

  async function scrape(): Promise<void> {
    let text: string;
    try {
      const response = await fetch(metricsUrl, { signal: AbortSignal.timeout(2000) });
      text = await response.text();
    } catch {
      return;
    }
    const at = performance.now();
    samples++;
    const calls = sum(text, 'modelbridge_model_calls_in_flight');
    if (sum(text, 'modelbridge_events_in_flight') > 0) {
      inFlightSum += calls;
      busySamples++;
    }
    const callSeconds = sum(text, 'modelbridge_inference_request_duration_seconds_sum');
    memory.push({ at, rss: sum(text, 'modelbridge_process_process_resident_memory_bytes') / 1_048_576, heap: sum(text, 'modelbridge_process_nodejs_heap_size_used_bytes') / 1_048_576 });
    first ??= { at, callSeconds };
    last = { at, callSeconds };
    loopP99 = Math.max(loopP99, value(text, 'modelbridge_process_nodejs_eventloop_lag_p99_seconds') * 1000);
    loopMax = Math.max(loopMax, value(text, 'modelbridge_process_nodejs_eventloop_lag_max_seconds') * 1000);
  }

  const loop = (async () => {
    while (!stopped) {
      await scrape();
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();

  return {
    async stop() {
      stopped = true;
      await loop;
      const seconds = first && last ? (last.at - first.at) / 1000 : 0;
      return {
        calls_in_flight_avg: round(busySamples > 0 ? inFlightSum / busySamples : 0),
        calls_in_flight_littles: round(seconds > 0 ? (last!.callSeconds - first!.callSeconds) / seconds : 0),
        event_loop_p99_ms: round(loopP99),
        event_loop_max_ms: round(loopMax),
        samples,
        rss_slope_mb_per_min: round(slope(memory, 'rss')),
        heap_slope_mb_per_min: round(slope(memory, 'heap')),
        rss_last_mb: round(memory.at(-1)?.rss ?? 0),
        heap_used_last_mb: round(memory.at(-1)?.heap ?? 0),
      };
    },
  };
}

/** Least-squares slope of `field` against time over the second half of the points, per minute. */
function slope(points: ReadonlyArray<{ at: number; rss: number; heap: number }>, field: 'rss' | 'heap'): number {
  const half = points.slice(Math.floor(points.length / 2));
  if (half.length < 2) return 0;
  const meanT = half.reduce((a, p) => a + p.at, 0) / half.length;
  const meanV = half.reduce((a, p) => a + p[field], 0) / half.length;
  let num = 0;
  let den = 0;
  for (const p of half) {
    num += (p.at - meanT) * (p[field] - meanV);
    den += (p.at - meanT) ** 2;
  }
  return den === 0 ? 0 : (num / den) * 60_000;
}

/** Sum of every series of a metric (all label sets). */
function sum(text: string, metric: string): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(metric) || (line[metric.length] !== '{' && line[metric.length] !== ' ')) continue;
    const number = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(number)) total += number;
  }
  return total;
}

function value(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(series));
  const number = line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : Number.NaN;
  return Number.isFinite(number) ? number : 0;
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
