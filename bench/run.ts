/**
 * The benchmark runner: `npm run bench` (full) or `npm run bench -- --quick` (a few minutes).
 *
 *   node bench/run.ts [--quick] [--only name,name] [--profile] [--worker-root DIR] [--before-root DIR] [--out FILE]
 *
 * Runs each scenario against real brokers (KAFKA_BROKERS or a broker started from the Kafka jars;
 * AMQP_URL or amqp://guest:guest@127.0.0.1:5672) and the reference model server, with the worker and
 * every baseline in child processes of their own. Writes bench/results/latest.json and prints a
 * markdown table. `--profile` runs the worker with `--cpu-prof` and summarises its top self time;
 * `--worker-root` runs the worker from another checkout (A/B a proposed change in the same run setup);
 * `--before-root` adds, in scenarios that support it (overhead-*, grpc-client, grpc-vs-http), candidates
 * run from another checkout side by side with this one's (before/after in one invocation). `--out` writes the results to another file
 * under bench/results/ than latest.json (for partial runs that should not replace the full one).
 * Not part of `npm test`: figures on a shared machine are ratios within one run, not absolutes.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createAmqpTransport } from './lib/amqp-io.ts';
import type { BenchContext } from './lib/candidates.ts';
import { kafkaEnvironment, machineInfo } from './lib/environment.ts';
import type { KafkaEnvironment } from './lib/environment.ts';
import { createKafkaTransport } from './lib/kafka-io.ts';
import { summariseProfiles } from './lib/profile.ts';
import { costTable, markdownTable } from './lib/table.ts';
import { checkTargets } from './lib/targets.ts';
import type { BenchTransport } from './lib/transport.ts';
import { allScenarios, onDemandScenarios } from './scenarios/index.ts';
import type { ScenarioEnv, ScenarioResult } from './scenarios/scenario.ts';

const RESULTS_DIR = join('bench', 'results');
const DEFAULT_AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672';

async function main(): Promise<void> {
  // kafkajs 2.2.4 arms a negative timer on an idle request queue (Node clamps it to 1 ms): harmless noise.
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    if (warning.name !== 'TimeoutNegativeWarning') console.error(warning);
  });
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      profile: { type: 'boolean', default: false },
      'worker-root': { type: 'string' },
      'before-root': { type: 'string' },
      out: { type: 'string' },
    },
  });
  const log = (line: string): void => void process.stderr.write(`[bench] ${line}\n`);
  const quick = values.quick;
  const only = values.only?.split(',').map((s) => s.trim()).filter(Boolean);
  const scenarios = [...allScenarios(), ...(only ? onDemandScenarios() : [])].filter((s) => !only || only.some((o) => s.name.startsWith(o)));
  if (scenarios.length === 0) throw new Error(`no scenario matches --only ${values.only ?? ''}`);
  const profileDir = values.profile ? join(RESULTS_DIR, 'profiles') : undefined;
  if (profileDir) mkdirSync(profileDir, { recursive: true });

  let kafkaEnv: KafkaEnvironment | undefined;
  let kafka: BenchTransport | undefined;
  let amqp: BenchTransport | undefined;
  const amqpUrl = process.env.AMQP_URL ?? DEFAULT_AMQP_URL;
  // Brokers come up lazily: `--only overhead-rabbitmq` needs no Kafka.
  const lazyKafka = async (): Promise<KafkaEnvironment> => (kafkaEnv ??= await kafkaEnvironment(process.env, log));
  const ctxBrokers: string[] = [];
  const ctx: BenchContext = { brokers: ctxBrokers, amqpUrl, profileDir, workerRoot: values['worker-root'], beforeRoot: values['before-root'] };
  const env: ScenarioEnv = {
    ctx,
    quick,
    log,
    async kafka() {
      const k = await lazyKafka();
      if (ctxBrokers.length === 0) ctxBrokers.push(...k.brokers);
      return (kafka ??= await createKafkaTransport(k.brokers));
    },
    async amqp() {
      return (amqp ??= await createAmqpTransport(amqpUrl));
    },
  };

  const results: ScenarioResult[] = [];
  const started = Date.now();
  try {
    for (const scenario of scenarios) {
      log(`scenario ${scenario.name}${quick ? ' (quick)' : ''}`);
      try {
        results.push(...(await scenario.run(env)));
      } catch (error) {
        log(`scenario ${scenario.name} failed: ${(error as Error).stack ?? String(error)}`);
        results.push({ name: scenario.name, events: 0, baselines: {}, ratios: {}, available: false, reason: `failed: ${(error as Error).message.split('\n')[0]}` });
      }
    }
  } finally {
    await kafka?.close().catch(() => undefined);
    await amqp?.close().catch(() => undefined);
    await kafkaEnv?.stop().catch(() => undefined);
  }

  const targets = checkTargets(results);
  const profiles = profileDir ? summariseProfiles(profileDir, 25) : undefined;
  const output = {
    machine: machineInfo(kafkaEnv?.version ?? 'not used', amqp?.version ?? 'not used'),
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    quick,
    duration_s: Math.round((Date.now() - started) / 1000),
    scenarios: results,
    targets,
    ...(profiles ? { profiles } : {}),
  };
  mkdirSync(RESULTS_DIR, { recursive: true });
  const resultsFile = join(RESULTS_DIR, values.out ?? 'latest.json');
  writeFileSync(resultsFile, `${JSON.stringify(output, null, 2)}\n`);
  const costs = costTable(results);
  const lines = [markdownTable(results), '', ...(costs ? [costs, ''] : []), '| target | result |', '|---|---|', ...targets.map((t) => `| ${t.target} | ${t.detail} |`)];
  if (profiles) lines.push('', ...profiles.text);
  process.stdout.write(`${lines.join('\n')}\n`);
  log(`results in ${resultsFile} (${output.duration_s} s)`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
