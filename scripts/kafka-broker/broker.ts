/**
 * A real single-node KRaft Kafka broker, run from the Apache Kafka jars that Maven resolves (no Docker),
 * for the integration tests, the benchmarks and development. Also a CLI:
 *
 *   npm exec -- node scripts/kafka-broker/broker.ts resolve   # download the jars into the cache
 *   npm exec -- node scripts/kafka-broker/broker.ts start     # run a broker until Ctrl-C
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { waitFor } from '../lib/wait-for.ts';

const POM = join(dirname(fileURLToPath(import.meta.url)), 'pom.xml');

/** A running broker. `stop()` kills the JVM and deletes its data; safe to call twice. */
export interface KafkaBroker {
  /** The PLAINTEXT listener (always there: readiness checks and test plumbing use it). */
  readonly brokers: string[];
  /** The secured listeners asked for with {@link KafkaBrokerOptions.security}. */
  readonly secured: { readonly ssl?: string[]; readonly saslSsl?: string[] };
  /** Directory holding the broker's config, data and `broker.log`. */
  readonly dir: string;
  stop(): Promise<void>;
  /**
   * Stops the JVM (`SIGTERM`, a controlled shutdown, by default; `SIGKILL` for a crash) and starts it
   * again on the same ports and data directory; resolves once it serves metadata again.
   */
  restart(signal?: NodeJS.Signals): Promise<void>;
}

export interface KafkaBrokerOptions {
  /** Where resolved jars are cached; default `~/.cache/modelbridge`. */
  cacheDir?: string;
  startTimeoutMs?: number;
  /** Progress lines (jar resolution can take a minute on a cold ~/.m2). */
  log?: (line: string) => void;
  /** Secured listeners next to the PLAINTEXT one; without it the broker is configured exactly as before. */
  security?: KafkaSecurityOptions;
}

/** Extra listeners with TLS; all PEM (Kafka 4 reads PEM key and trust stores, `ssl.keystore.type=PEM`). */
export interface KafkaSecurityOptions {
  /** The broker's certificate (chain) and unencrypted PKCS#8 key. */
  readonly serverCert: string;
  readonly serverKey: string;
  /** CA(s) the broker trusts for client certificates. */
  readonly clientCa: string;
  /** An SSL listener; `clientAuth: 'required'` makes it mutual TLS (a client without a trusted certificate is refused). */
  readonly ssl?: { readonly clientAuth: 'required' | 'none' };
  /** A SASL_SSL listener with SCRAM-SHA-512; these users are written into the metadata log at format time. */
  readonly scramUsers?: readonly { readonly username: string; readonly password: string }[];
}

/** The Kafka version in the pom, which names the cache directory. */
export function kafkaVersion(): string {
  const match = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(readFileSync(POM, 'utf8'));
  if (!match?.[1]) throw new Error(`no <kafka.version> in ${POM}`);
  return match[1];
}

/** Resolves the broker's jars with `mvn` once into the cache and returns the libs directory. */
export function resolveKafkaLibs(options: KafkaBrokerOptions = {}): string {
  const cacheDir = options.cacheDir ?? join(homedir(), '.cache', 'modelbridge');
  const libs = join(cacheDir, `kafka-${kafkaVersion()}`, 'libs');
  if (existsSync(join(libs, '.complete'))) return libs;
  options.log?.(`resolving Kafka ${kafkaVersion()} jars with mvn into ${libs}`);
  // Copy into a scratch dir and rename, so an interrupted run never leaves a half-filled cache.
  const scratch = `${libs}.tmp-${process.pid}`;
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(dirname(libs), { recursive: true });
  const mvn = spawnSync('mvn', ['-q', '-B', '-f', POM, 'dependency:copy-dependencies', `-DoutputDirectory=${scratch}`], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (mvn.status !== 0) {
    rmSync(scratch, { recursive: true, force: true });
    throw new Error(`mvn failed (${mvn.error?.message ?? `exit ${mvn.status}`}):\n${mvn.stdout}${mvn.stderr}`);
  }
  writeFileSync(join(scratch, '.complete'), new Date().toISOString());
  rmSync(libs, { recursive: true, force: true });
  renameSync(scratch, libs);
  return libs;
}

/** Starts a broker on free loopback ports and resolves once a client can list topics. */
export async function startKafkaBroker(options: KafkaBrokerOptions = {}): Promise<KafkaBroker> {
  const libs = resolveKafkaLibs(options);
  const dir = mkdtempSync(join(tmpdir(), 'modelbridge-kafka-'));
  const [port, controllerPort] = [await freePort(), await freePort()];
  const secured = await securedListeners(options.security);
  const properties = join(dir, 'server.properties');
  writeFileSync(properties, serverProperties(dir, port, controllerPort, secured));
  writeFileSync(join(dir, 'log4j2.properties'), log4jProperties(join(dir, 'broker.log')));
  const java = ['-Xms256m', '-Xmx512m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${join(dir, 'log4j2.properties')}`, '-cp', `${libs}/*`];

  const format = spawnSync('java', [...java, 'kafka.tools.StorageTool', 'format', '-t', clusterId(), '-c', properties, ...scramArgs(options.security)], {
    encoding: 'utf8',
  });
  if (format.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`kafka storage format failed:\n${format.stdout}${format.stderr}`);
  }

  const brokers = [`127.0.0.1:${port}`];
  let jvm = launch(java, properties, dir);
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await jvm.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  const whenUp = async (): Promise<void> => {
    try {
      // Stop polling as soon as the JVM is gone: a port clash or bad config fails fast with the log.
      await waitFor(async () => jvm.exited || (await canListTopics(brokers)), {
        timeoutMs: options.startTimeoutMs ?? 90_000,
        intervalMs: 250,
        what: `Kafka broker on ${brokers[0]}`,
      });
      if (jvm.exited) throw new Error(`the JVM exited during start-up\n${jvm.stderr()}`);
    } catch (error) {
      const tail = logTail(dir);
      await stop();
      throw new Error(`Kafka broker did not start: ${(error as Error).message}\n--- broker.log (tail) ---\n${tail}`, { cause: error });
    }
  };
  await whenUp();
  const listeners = secured?.listeners ?? {};
  return {
    brokers,
    secured: { ssl: listeners.SSL, saslSsl: listeners.SASL_SSL },
    dir,
    stop,
    async restart(signal = 'SIGTERM') {
      await jvm.kill(signal);
      jvm = launch(java, properties, dir);
      await whenUp();
    },
  };
}

interface Jvm {
  readonly exited: boolean;
  stderr(): string;
  /** Signals the JVM (SIGTERM: a controlled shutdown) and resolves once its process group is gone. */
  kill(signal: NodeJS.Signals): Promise<void>;
}

/**
 * Runs the broker JVM under a shell watchdog in its own process group: if this Node process dies
 * without running its exit hooks (SIGKILL, OOM), the watchdog notices within a second, kills the JVM
 * and removes the data dir.
 */
function launch(java: string[], properties: string, dir: string): Jvm {
  const watchdog = `java "$@" & jvm=$!; trap 'kill -TERM $jvm 2>/dev/null; wait $jvm; exit 0' TERM; trap 'kill -9 $jvm 2>/dev/null; exit 0' INT;
    while kill -0 ${process.pid} 2>/dev/null && kill -0 $jvm 2>/dev/null; do sleep 1; done;
    kill -9 $jvm 2>/dev/null; wait $jvm; kill -0 ${process.pid} 2>/dev/null || rm -rf '${dir}'`;
  const child = spawn('bash', ['-c', watchdog, 'kafka-broker', ...java, 'kafka.Kafka', properties], {
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  let exited = false;
  const gone = new Promise<void>((resolve) => child.once('exit', () => {
    exited = true;
    resolve();
  }));
  const killGroup = (signal: NodeJS.Signals): void => {
    try {
      if (child.pid !== undefined) process.kill(signal === 'SIGTERM' ? child.pid : -child.pid, signal === 'SIGTERM' ? 'SIGTERM' : 'SIGKILL');
    } catch {
      // Already gone: nothing left to kill.
    }
  };
  const onExit = (): void => killGroup('SIGKILL');
  process.once('exit', onExit);
  return {
    get exited() {
      return exited;
    },
    stderr: () => stderr,
    async kill(signal) {
      process.removeListener('exit', onExit);
      if (!exited) {
        killGroup(signal);
        await gone;
      }
    },
  };
}

async function canListTopics(brokers: string[]): Promise<boolean> {
  const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 1000 }).admin();
  try {
    await admin.connect();
    await admin.listTopics();
    return true;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

interface SecuredListeners {
  readonly security: KafkaSecurityOptions;
  /** Listener name (= security protocol) → its `host:port`. */
  readonly listeners: { SSL?: string[]; SASL_SSL?: string[] };
}

async function securedListeners(security: KafkaSecurityOptions | undefined): Promise<SecuredListeners | undefined> {
  if (!security) return undefined;
  const listeners: SecuredListeners['listeners'] = {};
  if (security.ssl) listeners.SSL = [`127.0.0.1:${await freePort()}`];
  if (security.scramUsers) listeners.SASL_SSL = [`127.0.0.1:${await freePort()}`];
  return { security, listeners };
}

/** `--add-scram` arguments of `kafka-storage format` (KIP-900): KRaft stores SCRAM credentials in the metadata log. */
function scramArgs(security: KafkaSecurityOptions | undefined): string[] {
  return (security?.scramUsers ?? []).flatMap(({ username, password }) => [
    '--add-scram',
    `SCRAM-SHA-512=[name=${username},password=${password}]`,
  ]);
}

/** The properties that add the secured listeners; PEM files are written next to server.properties. */
function securityProperties(dir: string, { security, listeners }: SecuredListeners): string[] {
  writeFileSync(join(dir, 'server-keystore.pem'), `${security.serverKey.trim()}\n${security.serverCert.trim()}\n`, { mode: 0o600 });
  writeFileSync(join(dir, 'client-ca.pem'), `${security.clientCa.trim()}\n`);
  const lines = [
    'ssl.keystore.type=PEM',
    `ssl.keystore.location=${join(dir, 'server-keystore.pem')}`,
    'ssl.truststore.type=PEM',
    `ssl.truststore.location=${join(dir, 'client-ca.pem')}`,
  ];
  if (security.ssl) lines.push(`listener.name.ssl.ssl.client.auth=${security.ssl.clientAuth}`);
  if (listeners.SASL_SSL) {
    lines.push(
      'sasl.enabled.mechanisms=SCRAM-SHA-512',
      'listener.name.sasl_ssl.ssl.client.auth=none',
      'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
    );
  }
  return lines;
}

function serverProperties(dir: string, port: number, controllerPort: number, secured?: SecuredListeners): string {
  const extra = Object.entries(secured?.listeners ?? {}).map(([name, [address]]) => `${name}://${address}`);
  const names = Object.keys(secured?.listeners ?? {}).map((name) => `,${name}:${name}`).join('');
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    `listeners=${[`PLAINTEXT://127.0.0.1:${port}`, ...extra, `CONTROLLER://127.0.0.1:${controllerPort}`].join(',')}`,
    `advertised.listeners=${[`PLAINTEXT://127.0.0.1:${port}`, ...extra].join(',')}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    `listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT${names}`,
    ...(secured ? securityProperties(dir, secured) : []),
    `log.dirs=${join(dir, 'data')}`,
    'num.partitions=1',
    'auto.create.topics.enable=true',
    'group.initial.rebalance.delay.ms=0',
    // Single node: every internal topic has one replica; few partitions keep start-up quick.
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=3',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'transaction.state.log.num.partitions=3',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'log.retention.hours=1',
    '',
  ].join('\n');
}

function log4jProperties(file: string): string {
  return [
    'rootLogger.level=INFO',
    'rootLogger.appenderRef.file.ref=file',
    'appender.file.type=File',
    'appender.file.name=file',
    `appender.file.fileName=${file}`,
    'appender.file.layout.type=PatternLayout',
    'appender.file.layout.pattern=[%d] %p %m (%c)%n',
    '',
  ].join('\n');
}

function logTail(dir: string): string {
  try {
    return readFileSync(join(dir, 'broker.log'), 'utf8').split('\n').slice(-40).join('\n');
  } catch {
    return '(no broker.log)';
  }
}

/** A KRaft cluster id: 16 random bytes, base64url without padding. */
function clusterId(): string {
  return randomBytes(16).toString('base64url');
}

/** A free loopback port (released before the caller binds it; a clash fails loudly). */
export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function main(command: string | undefined): Promise<void> {
  const log = (line: string): void => console.error(`[kafka-broker] ${line}`);
  if (command === 'resolve') {
    log(`jars ready in ${resolveKafkaLibs({ log })}`);
    return;
  }
  if (command !== 'start') throw new Error('usage: node scripts/kafka-broker/broker.ts resolve|start');
  const broker = await startKafkaBroker({ log });
  log(`broker logs in ${broker.dir}/broker.log; Ctrl-C stops it`);
  console.log(`KAFKA_BROKERS=${broker.brokers.join(',')}`);
  const shutdown = (): void => void broker.stop().then(() => process.exit(0));
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

if (import.meta.main) {
  main(process.argv[2]).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
