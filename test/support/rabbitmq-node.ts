/**
 * A private RabbitMQ node for tests that act on the broker itself (stop_app/start_app, closing
 * connections, memory alarms, TLS listeners): its own node name, ports, data, logs, config file and
 * Erlang cookie, run from the machine's `rabbitmq-server` install. The shared broker on 5672 is never
 * touched, so other tests (and other test runs) keep working while this one is being hurt.
 *
 * The node runs in the foreground of a shell watchdog in its own process group (`-detached` loses the
 * node's output and is unreliable as root): if this Node process dies without its exit hooks, the
 * watchdog kills the Erlang VM within a second and removes the node's directory.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { connect } from 'amqplib';
import { freePort } from '../../scripts/kafka-broker/broker.ts';
import { waitFor } from './wait-for.ts';

const run = promisify(execFile);
/** The server and CLI scripts themselves; the /usr/sbin wrappers switch to the `rabbitmq` user. */
const RABBITMQ_BIN = process.env.RABBITMQ_BIN ?? '/usr/lib/rabbitmq/bin';

export interface RabbitmqNodeOptions {
  /** Extra `rabbitmq.conf` lines (e.g. a TLS listener); `ports` are free ports reserved for them. */
  extraConfig?: (ports: { readonly extra: number }) => string[];
  startTimeoutMs?: number;
  /** A TLS listener (`tlsUrl`) next to the plain one, and the EXTERNAL mechanism (the certificate's CN is the user). */
  tls?: RabbitmqTlsOptions;
}

/** PEM material of the node's TLS listener. */
export interface RabbitmqTlsOptions {
  /** The node's certificate and unencrypted key. */
  readonly serverCert: string;
  readonly serverKey: string;
  /** CA(s) trusted for client certificates: a client without one is refused (verify_peer, fail_if_no_peer_cert). */
  readonly clientCa: string;
}

export interface RabbitmqNode {
  /** `amqp://guest:guest@127.0.0.1:<port>` (guest may log in over loopback only; this is loopback). */
  readonly url: string;
  readonly port: number;
  /** A second free port, for a listener added through `extraConfig`. */
  readonly extraPort: number;
  readonly nodeName: string;
  readonly dir: string;
  /** `amqps://127.0.0.1:<port>` of the TLS listener (no credentials), when started with `tls`. */
  readonly tlsUrl: string | undefined;
  /** Runs `rabbitmqctl -n <node> …args` and returns its stdout. */
  ctl(...args: string[]): Promise<string>;
  /** `rabbitmqctl stop_app`: the Erlang node stays up, the broker (and every connection) goes. */
  stopApp(): Promise<void>;
  /** `rabbitmqctl start_app`, then waits until AMQP accepts connections again. */
  startApp(): Promise<void>;
  /** Closes, broker-side, every connection whose client-given name starts with `prefix`. Returns how many. */
  closeConnections(prefix: string, reason?: string): Promise<number>;
  /** `set_vm_memory_high_watermark`: a tiny fraction raises the memory alarm that blocks publishers. */
  setMemoryWatermark(fraction: number): Promise<void>;
  /** Whether the memory alarm is raised on this node. */
  memoryAlarm(): Promise<boolean>;
  stop(): Promise<void>;
}

export function rabbitmqAvailable(): boolean {
  return existsSync(join(RABBITMQ_BIN, 'rabbitmq-server'));
}

/** Starts a private node and resolves once it accepts AMQP connections. */
export async function startRabbitmqNode(options: RabbitmqNodeOptions = {}): Promise<RabbitmqNode> {
  if (!rabbitmqAvailable()) throw new Error(`rabbitmq-server is not installed (looked in ${RABBITMQ_BIN})`);
  const dir = mkdtempSync(join(tmpdir(), 'modelbridge-rabbitmq-'));
  const [port, distPort, extraPort] = [await freePort(), await freePort(), await freePort()];
  const nodeName = `mbtest-${process.pid}-${randomBytes(3).toString('hex')}@localhost`;
  writeFileSync(join(dir, '.erlang.cookie'), randomBytes(20).toString('hex'), { mode: 0o400 });
  writeFileSync(join(dir, 'env.conf'), '');
  const tlsPort = options.tls ? await freePort() : undefined;
  writeFileSync(join(dir, 'enabled_plugins'), options.tls ? '[rabbitmq_auth_mechanism_ssl].\n' : '[].\n');
  writeFileSync(join(dir, 'rabbitmq.conf'), [
    `listeners.tcp.default = 127.0.0.1:${port}`,
    'log.console = true',
    'log.console.level = warning',
    'log.file = false',
    ...(options.tls && tlsPort !== undefined ? tlsConfig(dir, tlsPort, options.tls) : []),
    ...(options.extraConfig?.({ extra: extraPort }) ?? []),
    '',
  ].join('\n'));
  const env = {
    ...process.env,
    HOME: dir,
    RABBITMQ_CONF_ENV_FILE: join(dir, 'env.conf'),
    RABBITMQ_NODENAME: nodeName,
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq.conf'),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    RABBITMQ_PID_FILE: join(dir, 'pid'),
    ERL_EPMD_ADDRESS: '127.0.0.1',
  };

  const watchdog = `"$0" > '${dir}/node.log' 2>&1 & node=$!; trap 'kill -9 $node 2>/dev/null; exit 0' TERM INT;
    while kill -0 ${process.pid} 2>/dev/null && kill -0 $node 2>/dev/null; do sleep 1; done;
    kill -9 $node 2>/dev/null; pkill -9 -f 'beam.*${nodeName.split('@')[0]}' 2>/dev/null; wait $node;
    kill -0 ${process.pid} 2>/dev/null || rm -rf '${dir}'`;
  const child = spawn('bash', ['-c', watchdog, join(RABBITMQ_BIN, 'rabbitmq-server')], { detached: true, stdio: 'ignore', env, cwd: dir });
  let exited = false;
  child.once('exit', () => (exited = true));
  const killGroup = (): void => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  };
  process.once('exit', killGroup);

  const url = `amqp://guest:guest@127.0.0.1:${port}`;
  const ctl = async (...args: string[]): Promise<string> => {
    const { stdout } = await run(join(RABBITMQ_BIN, 'rabbitmqctl'), ['-q', '-n', nodeName, ...args], { env, cwd: dir, timeout: 60_000 });
    return stdout;
  };
  const acceptsAmqp = async (): Promise<boolean> => {
    try {
      const connection = await connect(url, { timeout: 1000 });
      connection.on('error', () => undefined);
      await connection.close();
      return true;
    } catch {
      return false;
    }
  };

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (!exited) {
      await ctl('stop').catch(() => undefined);
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      killGroup();
      await gone;
    }
    process.removeListener('exit', killGroup);
    // The Erlang VM may outlive the shell briefly; it was started with the node name on its command line.
    await run('pkill', ['-9', '-f', `beam.*${nodeName.split('@')[0]}`]).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await waitFor(async () => exited || (await acceptsAmqp()), {
      timeoutMs: options.startTimeoutMs ?? 90_000,
      intervalMs: 250,
      what: `private RabbitMQ node ${nodeName} on port ${port}`,
    });
    if (exited) throw new Error('the node exited during start-up');
  } catch (error) {
    const log = tail(join(dir, 'node.log'));
    await stop();
    throw new Error(`RabbitMQ node did not start: ${(error as Error).message}\n--- node.log (tail) ---\n${log}`, { cause: error });
  }

  return {
    url,
    port,
    extraPort,
    nodeName,
    dir,
    tlsUrl: tlsPort === undefined ? undefined : `amqps://127.0.0.1:${tlsPort}`,
    ctl,
    async stopApp() {
      await ctl('stop_app');
    },
    async startApp() {
      await ctl('start_app');
      await waitFor(acceptsAmqp, { timeoutMs: 60_000, intervalMs: 250, what: `RabbitMQ node ${nodeName} back after start_app` });
    },
    async closeConnections(prefix, reason = 'closed by a fault test') {
      // Tab-separated rows: the pid in the node-qualified form close_connection accepts, then the
      // client properties as an Erlang term, where the connection name is `{"connection_name","…"}`.
      const listed = await ctl('list_connections', '--no-table-headers', 'pid', 'client_properties');
      let closed = 0;
      for (const row of listed.split('\n')) {
        const [pid, properties] = row.split('\t');
        const name = /\{"connection_name","([^"]*)"\}/.exec(properties ?? '')?.[1];
        if (!pid || name === undefined || !name.startsWith(prefix)) continue;
        await ctl('close_connection', pid, reason);
        closed++;
      }
      return closed;
    },
    async setMemoryWatermark(fraction) {
      await ctl('set_vm_memory_high_watermark', String(fraction));
    },
    async memoryAlarm() {
      const alarms = await ctl('eval', 'rabbit_alarm:get_alarms().');
      return alarms.includes('memory');
    },
    stop,
  };
}

/** rabbitmq.conf lines of a TLS listener that insists on a trusted client certificate, plus EXTERNAL. */
function tlsConfig(dir: string, port: number, tls: RabbitmqTlsOptions): string[] {
  writeFileSync(join(dir, 'tls-ca.pem'), tls.clientCa);
  writeFileSync(join(dir, 'tls-cert.pem'), tls.serverCert);
  writeFileSync(join(dir, 'tls-key.pem'), tls.serverKey, { mode: 0o600 });
  return [
    `listeners.ssl.default = 127.0.0.1:${port}`,
    `ssl_options.cacertfile = ${join(dir, 'tls-ca.pem')}`,
    `ssl_options.certfile = ${join(dir, 'tls-cert.pem')}`,
    `ssl_options.keyfile = ${join(dir, 'tls-key.pem')}`,
    'ssl_options.verify = verify_peer',
    'ssl_options.fail_if_no_peer_cert = true',
    'auth_mechanisms.1 = PLAIN',
    'auth_mechanisms.2 = AMQPLAIN',
    'auth_mechanisms.3 = EXTERNAL',
    'ssl_cert_login_from = common_name',
  ];
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-40).join('\n');
  } catch {
    return '(no node.log)';
  }
}
