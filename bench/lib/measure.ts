/**
 * The measurement loop of one candidate in one scenario: fresh destinations, the collector listening,
 * the candidate started (in its own process) and ready, load produced, output awaited within a time
 * bound, peak RSS read before the candidate stops.
 */
import type { Child } from './child.ts';
import { createCollector } from './collector.ts';
import type { Collector } from './collector.ts';
import { nowMs, round, summarise } from './stats.ts';
import type { CandidateResult } from './stats.ts';
import { sampleWorkerMetrics } from './worker-metrics.ts';
import type { ProbeSnapshot } from './worker.ts';
import type { BenchTransport, Destinations, ProduceSpec } from './transport.ts';

/** A pipeline under test: started on a run's destinations, in a child process. */
export interface Candidate {
  readonly name: string;
  start(destinations: Destinations): Promise<Child>;
}

export interface MeasureOptions {
  readonly transport: BenchTransport;
  readonly prefix: string;
  readonly partitions: number;
  readonly produce: ProduceSpec;
  /** `live`: produce while the candidate runs; `backlog`: produce everything before it starts. */
  readonly load: 'live' | 'backlog';
  /** Hard bound of the run after the candidate is ready; the rate is computed from what finished. */
  readonly timeBoundMs: number;
  /** Progress lines. */
  readonly log: (line: string) => void;
  /** Samples the worker's metrics while it runs (workers only); the figures land in `extra`. */
  readonly sampleMetrics?: boolean;
  /** How often to sample them (default 250 ms); a latency run scrapes less often, as Prometheus would. */
  readonly sampleIntervalMs?: number;
}

/** A measured candidate: its figures and the raw collector (for scenario-specific figures). */
export interface Measured {
  readonly result: CandidateResult;
  readonly collector: Collector;
}

/** Runs one candidate through one load and summarises it. */
export async function measure(candidate: Candidate, options: MeasureOptions): Promise<Measured> {
  const { transport, log } = options;
  const destinations = await transport.prepare(options.prefix, options.partitions);
  const collector = createCollector();
  const stopCollecting = await transport.collect(destinations, collector);
  let child: Child | undefined;
  try {
    let produced: Promise<{ sent: number; firstAt: number }> | undefined;
    let backlog: { sent: number; firstAt: number } | undefined;
    if (options.load === 'backlog') {
      backlog = await transport.produce(destinations, options.produce);
      log(`  ${candidate.name}: backlog of ${backlog.sent} events in place`);
    }
    child = await candidate.start(destinations);
    const readyAt = nowMs();
    const metricsUrl = (child as { metricsUrl?: string }).metricsUrl;
    const probe = (child as { probe?: () => Promise<ProbeSnapshot> }).probe;
    const probeStart = await probe?.().catch(() => undefined);
    const sampler = options.sampleMetrics && metricsUrl ? sampleWorkerMetrics(metricsUrl, options.sampleIntervalMs) : undefined;
    if (options.load === 'live') {
      produced = transport.produce(destinations, options.produce);
      produced.catch(() => undefined); // awaited below; this only keeps an early failure from going unhandled
    }
    const deadline = Date.now() + options.timeBoundMs;
    // The expected count is known up front for `fast`; for `rate` only once production ends.
    const expected = options.produce.mode === 'fast' ? options.produce.events : undefined;
    const sent = expected ?? (await produced!).sent;
    let complete = false;
    for (;;) {
      if (collector.count >= sent) {
        complete = true;
        break;
      }
      if (child.exited || Date.now() >= deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const samples = await sampler?.stop();
    const probeEnd = probeStart ? await probe!().catch(() => undefined) : undefined;
    const production = backlog ?? (await produced!);
    const peakRssMb = child.peakRssMb() ?? Number.NaN;
    if (child.exited) throw new Error(`${candidate.name} exited during the run:\n${child.output()}`);
    // A backlog run measures the drain from the candidate's first output; a live run from the first produce.
    const from = options.load === 'backlog' ? collector.firstAt : production.firstAt;
    const result = summarise({
      latenciesMs: collector.latenciesMs,
      completed: collector.count,
      firstProducedAt: from,
      lastConsumedAt: collector.lastAt || nowMs(),
      peakRssMb,
      timeBounded: !complete,
    });
    if (samples) result.extra = { ...result.extra, ...samples };
    if (probeStart && probeEnd && collector.count > 0) result.extra = { ...result.extra, ...perEvent(probeStart, probeEnd, collector.count) };
    log(
      `  ${candidate.name}: ${collector.count}/${production.sent} events, ${result.events_per_s} ev/s, p99 ${result.p99_ms} ms, ` +
        `peak RSS ${result.peak_rss_mb} MB${complete ? '' : ` (time bound ${options.timeBoundMs / 1000} s)`}, ready→done ${round((nowMs() - readyAt) / 1000, 1)} s`,
    );
    return { result, collector };
  } finally {
    await child?.stop().catch(() => undefined);
    await stopCollecting().catch(() => undefined);
    await transport.cleanup(destinations).catch(() => undefined);
  }
}

/**
 * The worker's cost per event between readiness and the end of the run: bytes allocated on the V8
 * heap, CPU time and GC time. Far less sensitive to a loaded machine than rates.
 */
function perEvent(start: ProbeSnapshot, end: ProbeSnapshot, events: number): Record<string, number> {
  return {
    alloc_bytes_per_event: Math.round((end.allocated_bytes - start.allocated_bytes) / events),
    cpu_ms_per_event: round((end.cpu_ms - start.cpu_ms) / events, 4),
    gc_ms_per_event: round((end.gc_ms - start.gc_ms) / events, 4),
    gc_collections: end.collections - start.collections,
    // `end` covers the run (the start snapshot reset the maximum at readiness).
    gc_max_pause_ms: round(end.gc_max_ms, 2),
    // How busy the one JS thread was: near 1, the worker is bound by its own main thread.
    event_loop_utilization: round((end.loop_active_ms - start.loop_active_ms) / (end.loop_active_ms - start.loop_active_ms + end.loop_idle_ms - start.loop_idle_ms), 3),
  };
}
