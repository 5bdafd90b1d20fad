/**
 * Replay metrics, on an injected registry. Labels stay bounded: the connector (configured), the
 * outcome (closed list) — never the job id.
 */
import { Counter, Gauge, Registry } from 'prom-client';

/** What happened to a scanned dead letter. */
export type ReplayOutcome = 'moved' | 'parked' | 'failed' | 'skipped' | 'not_matched';

export interface ReplayMetrics {
  readonly messages: Counter<'connector' | 'outcome'>;
  readonly activeJobs: Gauge;
  readonly jobs: Counter<'state'>;
}

/** Registers the metrics on `registry`; without one they live in a private registry (not exported). */
export function createReplayMetrics(registry: Registry = new Registry()): ReplayMetrics {
  const registers = [registry];
  return {
    messages: new Counter({
      name: 'modelbridge_replay_messages_total',
      help: 'Dead letters scanned by replay jobs (dry runs excluded), by outcome: moved, parked, failed, skipped, not_matched.',
      labelNames: ['connector', 'outcome'],
      registers,
    }),
    activeJobs: new Gauge({ name: 'modelbridge_replay_jobs_active', help: 'Replay jobs running in this process.', registers }),
    jobs: new Counter({ name: 'modelbridge_replay_jobs_total', help: 'Replay jobs finished, by final state.', labelNames: ['state'], registers }),
  };
}
