/**
 * replay-rate: the replay engine's rate limit holding. A dead-letter queue is seeded, then jobs replay
 * slices of it at requested rates; the achieved rate (first to last confirmed move) is compared with
 * the request and with an unlimited job (the engine's ceiling on this machine). The ratio
 * achieved ÷ requested should sit near 1 for every rate below the ceiling.
 */
import { pino } from 'pino';
import { ModelbridgeError } from '../../schemas/errors.ts';
import { createRegistry } from '../../connectors/registry.ts';
import type { InboundMessage, MessageOrigin } from '../../connectors/types.ts';
import { connectorConfigSchema, sinkSchema } from '../../schemas/connector-config.ts';
import { createReplayService } from '../../services/replay/service.ts';
import type { ReplayService } from '../../services/replay/types.ts';
import { buildDeadLetter } from '../../services/worker/messages.ts';
import { round } from '../lib/stats.ts';
import type { CandidateResult } from '../lib/stats.ts';
import type { BenchTransport, Destinations } from '../lib/transport.ts';
import type { Scenario, ScenarioEnv, ScenarioResult } from './scenario.ts';

interface Slice {
  readonly requested: number | undefined;
  readonly count: number;
}

function candidate(perSecond: number, completed: number, seconds: number, extra: Record<string, number | string> = {}): CandidateResult {
  return { events_per_s: round(perSecond, 1), p50_ms: Number.NaN, p95_ms: Number.NaN, p99_ms: Number.NaN, peak_rss_mb: Number.NaN, completed, duration_s: round(seconds, 2), extra };
}

/** Seeds `count` dead letters whose origin is the run's input, through the project's own sink. */
async function seed(env: ScenarioEnv, transport: BenchTransport, d: Destinations, count: number): Promise<void> {
  const registry = createRegistry();
  const logger = pino({ enabled: false });
  const sink =
    transport.kind === 'kafka'
      ? registry.createSink(sinkSchema.parse({ kind: 'kafka', brokers: env.ctx.brokers, topic: d.deadLetter }), logger)
      : registry.createSink(sinkSchema.parse({ kind: 'rabbitmq', url: env.ctx.amqpUrl, exchange: '', routingKey: d.deadLetter }), logger);
  const origin = (i: number): MessageOrigin =>
    transport.kind === 'kafka'
      ? { transport: 'kafka', topic: d.input, partition: 0, offset: String(i), timestamp: Date.now() }
      : { transport: 'amqp', exchange: '', routingKey: d.input, queue: d.input, redelivered: false, deliveryTag: i + 1 };
  const error = new ModelbridgeError('INFERENCE_REJECTED', 'seeded');
  try {
    for (let i = 0; i < count; i += 500) {
      const batch = Array.from({ length: Math.min(500, count - i) }, (_, j) => {
        const message: InboundMessage = { key: Buffer.from(`k${i + j}`), value: Buffer.from(`{"id":"e${i + j}","text":"replay me"}`), headers: {}, contentType: 'application/json', timestamp: Date.now(), origin: origin(i + j) };
        return buildDeadLetter(message, error, { connector: 'bench-replay', backend: 'rest', model: 'm', attempts: 1, firstFailureAt: Date.now(), lastFailureAt: Date.now(), eventId: `e${i + j}` });
      });
      await Promise.all(batch.map((m) => sink.publish(m)));
    }
  } finally {
    await sink.close();
  }
}

/** Runs one job over the next `count` dead letters; the rate is taken from first to last confirmed move. */
async function measureSlice(service: ReplayService, slice: Slice, index: number): Promise<{ perSecond: number; seconds: number; moved: number }> {
  const job = await service.start({ from: { connector: 'bench-replay' }, rate: slice.requested, max: slice.count, jobId: `bench-${Date.now()}-${index}` }, { sub: 'bench' });
  let first: number | undefined;
  let last = 0;
  let moved = 0;
  for (;;) {
    const current = service.get(job.id)!;
    const now = performance.now();
    if (current.progress.moved > moved) {
      if (moved === 0) first = now;
      moved = current.progress.moved;
      last = now;
    }
    if (current.state !== 'running') break;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  const final = service.get(job.id)!;
  if (final.state !== 'succeeded') throw new Error(`replay job ${final.state}: ${final.error ?? 'no error'}`);
  const seconds = first === undefined ? 0 : (last - first) / 1000;
  // The first move opens the interval: moves after it over the time they took.
  return { perSecond: seconds > 0 ? (moved - 1) / seconds : 0, seconds, moved };
}

function replayRateScenario(kind: 'kafka' | 'rabbitmq'): Scenario {
  return {
    name: `replay-rate-${kind}`,
    async run(env): Promise<ScenarioResult[]> {
      const rates = env.quick ? [100, 500] : [100, 500, 2000];
      const slices: Slice[] = [{ requested: undefined, count: env.quick ? 1500 : 4000 }, ...rates.map((r) => ({ requested: r, count: Math.max(200, Math.round(r * (env.quick ? 2 : 4))) }))];
      const total = slices.reduce((sum, s) => sum + s.count, 0);
      const transport = kind === 'kafka' ? await env.kafka() : await env.amqp();
      const d = await transport.prepare(`bench-replay-${kind}`, 1);
      const source = kind === 'kafka' ? { kind: 'kafka', brokers: env.ctx.brokers, topic: d.input, group: `${d.input}.g` } : { kind: 'rabbitmq', url: env.ctx.amqpUrl, queue: d.input };
      const deadLetter = kind === 'kafka' ? { kind: 'kafka', brokers: env.ctx.brokers, topic: d.deadLetter } : { kind: 'rabbitmq', url: env.ctx.amqpUrl, exchange: '', routingKey: d.deadLetter, queue: d.deadLetter };
      const sink = kind === 'kafka' ? { kind: 'kafka', brokers: env.ctx.brokers, topic: d.output } : { kind: 'rabbitmq', url: env.ctx.amqpUrl, exchange: '', routingKey: d.output };
      const config = connectorConfigSchema.parse({
        name: 'bench-replay',
        source,
        inference: { backend: { kind: 'rest', url: 'http://127.0.0.1:1/predict', model: 'm' }, request: { inputs: { TEXT: 'data.text' } }, response: { label: 'label' } },
        sink,
        deadLetter,
      });
      const service = createReplayService({ connectors: [config], logger: pino({ enabled: false }) });
      try {
        await seed(env, transport, d, total);
        env.log(`replay-rate-${kind}: ${total} dead letters seeded`);
        const measured: { slice: Slice; perSecond: number; seconds: number; moved: number }[] = [];
        // One job per slice, bounded by `max`. From a queue each job takes the next dead letters; from a
        // Kafka log each job (its own group) starts at the beginning: either way it moves `count` of them.
        for (const [i, slice] of slices.entries()) {
          const result = await measureSlice(service, slice, i);
          env.log(`replay-rate-${kind}: requested ${slice.requested ?? 'unlimited'}/s → ${result.perSecond.toFixed(1)}/s over ${result.moved}`);
          measured.push({ slice, ...result });
        }
        const [unlimited, ...limited] = measured;
        const ceiling = candidate(unlimited!.perSecond, unlimited!.moved, unlimited!.seconds);
        return limited.map((m) => {
          const achieved = candidate(m.perSecond, m.moved, m.seconds, { requested_per_s: m.slice.requested!, achieved_over_requested: round(m.perSecond / m.slice.requested!, 3) });
          const requested = candidate(m.slice.requested!, m.moved, m.moved / m.slice.requested!);
          return {
            name: `replay-rate-${kind}-${m.slice.requested}`,
            events: m.slice.count,
            modelbridge: achieved,
            baselines: { requested, 'unlimited-replay': ceiling },
            ratios: { requested: round(m.perSecond / m.slice.requested!, 3), 'unlimited-replay': round(m.perSecond / ceiling.events_per_s, 3) },
            available: true,
            notes: ['achieved = moves confirmed per second from the first to the last move of the job; ratio vs "requested" should be ≈ 1 below the unlimited ceiling.'],
          };
        });
      } finally {
        await service.close();
        await transport.cleanup(d);
      }
    },
  };
}

export const replayRateKafkaScenario = replayRateScenario('kafka');
export const replayRateRabbitmqScenario = replayRateScenario('rabbitmq');
