/**
 * The `modelbridge` command. The only place that reads `process.env`, handles signals and exits (besides
 * launch.ts, which only sizes the V8 heap before starting it).
 *
 *   modelbridge run --config a.yaml [b.yaml …]   run connectors
 *   modelbridge validate a.yaml [b.yaml …]       check configs; exit 1 listing every problem
 *   modelbridge demo                             the in-memory demo (`npm start`)
 *   modelbridge model-server                     the reference inference server
 *   modelbridge dlq list|show --config … --from … browse dead letters
 *   modelbridge replay --config … --from … …     replay dead letters (exit 0 done, 1 error, 130 interrupted)
 */
import { readFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { Command, InvalidArgumentError } from 'commander';
import { pino } from 'pino';
import type { Logger } from 'pino';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { findModelbridgeError } from '../../schemas/errors.ts';
import { createRegistry } from '../../connectors/registry.ts';
import { ConfigError } from '../../schemas/config-error.ts';
import { parseDuration } from '../../schemas/duration.ts';
import { adminConfigSchema } from '../../schemas/admin-config.ts';
import type { AdminConfig } from '../../schemas/admin-config.ts';
import type { ConnectorConfig } from '../../schemas/connector-config.ts';
import { loadConfigWith, loadConnectorConfig } from '../../schemas/load-config.ts';
import { createAuditLog } from '../admin/audit.ts';
import { createAuthenticator } from '../admin/auth.ts';
import { consoleSignIn } from '../admin/console/serve.ts';
import { createAdminServer } from '../admin/server.ts';
import { createReplayService } from '../replay/service.ts';
import type { SchedulingOptions } from '../model-server/index.ts';
import { createLogger as createProcessLogger, parseLogFormat } from '../telemetry/logging.ts';
import type { LogFormat } from '../telemetry/logging.ts';
import type { Tracing } from '../telemetry/tracing.ts';
import { tracingConfigFromEnv } from '../telemetry/tracing-config.ts';
import { createWorker } from '../worker/worker.ts';
import type { Worker } from '../worker/worker.ts';
import { registerOperationsCommands } from './operations.ts';
import { validateFiles } from './validate.ts';

const SERVICE_NAME = 'modelbridge';

function logFormatOption(value: string): LogFormat {
  try {
    return parseLogFormat(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

/**
 * A logger to stdout, or to stderr (fd 2) for commands whose stdout is their result: pino JSON, or
 * Elastic Common Schema lines with `LOG_FORMAT=ecs` / `--log-format ecs`.
 */
function createLogger(level: string, fd: 1 | 2 = 1, format: LogFormat = parseLogFormat(process.env.LOG_FORMAT?.trim() || 'json')): Logger {
  const serviceName = (format === 'ecs' && process.env.OTEL_SERVICE_NAME?.trim()) || SERVICE_NAME;
  const logger = createProcessLogger({ format, level, serviceName }, pino.destination({ fd, sync: true }));
  // Process warnings go to the JSON log. kafkajs 2.2.4 arms a negative timer on an idle request queue
  // (Node clamps it to 1 ms): harmless, and not worth a line on every start.
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    if (warning.name !== 'TimeoutNegativeWarning') logger.warn({ err: warning }, 'process warning');
  });
  return logger;
}

function durationOption(value: string): number {
  // A bare number is milliseconds, as in the configuration (`--outage 0` turns the demo's outage off).
  const ms = parseDuration(/^\d+$/.test(value.trim()) ? Number(value) : value);
  if (ms === undefined) throw new InvalidArgumentError('expected a duration such as 500ms, 30s or 1m');
  return ms;
}

function byteCountOption(value: string): number {
  const bytes = Number(value);
  if (!Number.isInteger(bytes) || bytes < 1) throw new InvalidArgumentError('expected a number of bytes');
  return bytes;
}

function schedulingOption(value: string): Record<string, SchedulingOptions> {
  try {
    return JSON.parse(value) as Record<string, SchedulingOptions>;
  } catch {
    throw new InvalidArgumentError('expected JSON');
  }
}

function portOption(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new InvalidArgumentError('expected a port number');
  return port;
}

/** SIGTERM/SIGINT run `stop` once; a second signal, or `stop` overrunning `forceMs`, exits at once. */
function onShutdownSignal(logger: Logger, forceMs: number, stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    setTimeout(() => {
      logger.error('shutdown took too long: exiting');
      process.exit(1);
    }, forceMs).unref();
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}

const program = new Command('modelbridge').description('Put self-hosted AI models into Kafka and RabbitMQ event flows.');

program
  .command('run')
  .description('run one or more connectors in this process')
  .requiredOption('-c, --config <files...>', 'connector configuration files (YAML)')
  .option('-p, --port <port>', 'port of /healthz, /readyz and /metrics', portOption, 9464)
  .option('--host <host>', 'interface of the HTTP endpoints', '127.0.0.1')
  .option('--grace <duration>', 'drain time on shutdown', durationOption, 30_000)
  .option('--admin-config <file>', 'control API configuration (auth, audit); without it the /v1 API refuses every call')
  .option('--log-level <level>', 'pino log level', process.env.LOG_LEVEL ?? 'info')
  .option('--log-format <format>', 'json (pino) or ecs (Elastic Common Schema); default: LOG_FORMAT, else json', logFormatOption)
  .action(async (options: { config: string[]; port: number; host: string; grace: number; adminConfig?: string; logLevel: string; logFormat?: LogFormat }) => {
    let logger: Logger;
    try {
      logger = createLogger(options.logLevel, 1, options.logFormat);
    } catch (error) {
      process.stderr.write(`cannot start: LOG_FORMAT: ${(error as Error).message}\n`);
      process.exitCode = 1;
      return;
    }
    const metricsRegistry = new Registry();
    const registry = createRegistry();
    const loadOptions = (file: string) => ({ file, env: process.env, readFile: (path: string) => readFileSync(path, 'utf8') });
    let worker: Worker;
    let adminConfig: AdminConfig | undefined;
    let connectors: ConnectorConfig[];
    let tracing: Tracing | undefined;
    try {
      connectors = options.config.map((file) => loadConnectorConfig(readFileSync(file, 'utf8'), loadOptions(file)));
      if (options.adminConfig !== undefined) {
        adminConfig = loadConfigWith(adminConfigSchema, readFileSync(options.adminConfig, 'utf8'), loadOptions(options.adminConfig), 'control API configuration');
      }
      const tracingConfig = tracingConfigFromEnv(process.env, SERVICE_NAME);
      // Loaded only when on: the OpenTelemetry SDK and exporters are ~10 MB of a worker that does not trace.
      tracing = tracingConfig && (await import('../telemetry/tracing.ts')).startTracing(tracingConfig);
      worker = createWorker({ connectors, registry, logger, metricsRegistry, tracing });
      if (tracingConfig) {
        const { exporters, protocol, url, sampler, ratio, serviceName } = tracingConfig;
        logger.info({ exporters, protocol, url, sampler, ratio, serviceName }, 'tracing on');
      }
    } catch (error) {
      await tracing?.shutdown();
      // A configuration problem is the operator's to fix: say what and where, without a stack trace.
      process.stderr.write(`${error instanceof ConfigError ? error.format() : `cannot start: ${(error as Error).message ?? String(error)}`}\n`);
      process.exitCode = 1;
      return;
    }
    collectDefaultMetrics({ register: metricsRegistry, prefix: 'modelbridge_process_' });
    if (adminConfig === undefined) logger.info('control API off: no --admin-config; /v1 refuses every call');
    const auditSink = adminConfig?.audit.kafka ? registry.createSink({ kind: 'kafka', ...adminConfig.audit.kafka }, logger.child({ component: 'audit' })) : undefined;
    const audit = adminConfig && createAuditLog({ file: adminConfig.audit.file, sink: auditSink });
    // Dead letters and replays through the API; its jobs are audited like every other operation.
    const replay = adminConfig && createReplayService({ connectors, logger, metricsRegistry });
    const admin = createAdminServer({
      worker,
      metricsRegistry,
      logger,
      authenticator: adminConfig && createAuthenticator(adminConfig.auth, { logger }),
      audit,
      replay,
      bodyLimit: adminConfig?.bodyLimit,
      console: consoleSignIn(adminConfig),
      workerId: `${hostname()}:${options.port}`,
    });
    onShutdownSignal(logger, options.grace + 15_000, async () => {
      // Replay jobs stop first (their finish is audited); what they moved stays moved.
      await replay?.close().catch((error: unknown) => logger.error({ err: error }, 'closing replay jobs failed'));
      try {
        await worker.close(options.grace);
      } finally {
        // Spans of the drained events are exported before the process ends.
        await tracing?.shutdown().catch((error: unknown) => logger.error({ err: error }, 'exporting the last spans failed'));
        // The HTTP server goes last so that readiness and metrics stay visible while draining.
        await admin.close();
        await audit?.close();
      }
    });
    const { url } = await admin.listen(options.port, options.host);
    logger.info({ url, connectors: worker.status().connectors.map((c) => c.name) }, 'worker starting');
    try {
      // An audit topic that cannot be reached fails the start: the trail must not silently miss records.
      await auditSink?.start();
      await worker.start();
    } catch (error) {
      // A broker that never answers, refused credentials, a failed TLS handshake: say so, clean up, exit 1.
      logger.fatal({ err: error }, 'worker failed to start');
      const known = findModelbridgeError(error);
      process.stderr.write(`cannot start: ${known ? `${known.code}: ${known.message}` : error instanceof Error ? error.message : String(error)}\n`);
      await worker.close(1000).catch((closeError: unknown) => logger.error({ err: closeError }, 'closing after a failed start'));
      await tracing?.shutdown().catch(() => undefined);
      await replay?.close();
      await admin.close();
      await audit?.close();
      process.exitCode = 1;
    }
  });

program
  .command('validate')
  .description('validate connector configuration files; exit 1 listing every problem')
  .argument('<files...>')
  .action((files: string[]) => {
    process.exitCode = validateFiles(files, {
      env: process.env,
      readFile: (path) => readFileSync(path, 'utf8'),
      stdout: process.stdout,
      stderr: process.stderr,
    });
  });

program
  .command('demo')
  .description('run the in-memory demo: generated SAP and Salesforce events through the reference model')
  .option('-n, --events <count>', 'events to generate', (v) => Number.parseInt(v, 10), 120)
  .option('-p, --port <port>', 'port of /metrics while the demo runs', portOption, 9464)
  .option('--outage <duration>', 'model outage injected midway (0 for none)', durationOption, 1500)
  .option('--log-level <level>', 'pino log level for the worker', 'silent')
  .action(async (options: { events: number; port: number; outage: number; logLevel: string }) => {
    const print = (line: string): void => void process.stdout.write(`${line}\n`);
    const { runDemo } = await import('../demo/run-demo.ts');
    const summary = await runDemo({ events: options.events, port: options.port, outageMs: options.outage, logger: createLogger(options.logLevel), print });
    const deadLetters = Object.values(summary.deadLettered).reduce((a, b) => a + b, 0);
    print('');
    print('summary');
    print(`  events in            ${summary.events}`);
    print(`  enriched events out  ${summary.enriched}`);
    print(`  dead letters         ${deadLetters} (expected ${summary.expectedDeadLetters})`);
    for (const [code, count] of Object.entries(summary.deadLettered).sort()) print(`    ${code.padEnd(26)} ${count}`);
    print(`  breaker opened       ${summary.breakerOpened} time(s) during the outage; events held, none dead-lettered for it`);
    print(`  lost                 ${summary.events - summary.enriched - deadLetters}`);
    print(`  took                 ${summary.seconds.toFixed(1)} s`);
    if (summary.enriched + deadLetters !== summary.events || deadLetters !== summary.expectedDeadLetters) process.exitCode = 1;
  });

program
  .command('model-server')
  .description('run the reference inference server: Open Inference Protocol v2 over HTTP and gRPC, an OpenAI-compatible subset, REST')
  .option('-p, --port <port>', 'HTTP port', portOption, 8000)
  .option('--grpc-port <port>', 'gRPC port, or "off"', (v) => (v === 'off' ? false : portOption(v)), 8001 as number | false)
  .option('--host <host>', 'interface', '127.0.0.1')
  .option('--max-body-bytes <bytes>', 'largest request body accepted', byteCountOption)
  .option('--scheduling <json>', 'per-model queue and dynamic batching, e.g. \'{"sentiment":{"maxQueueSize":64,"maxBatchSize":8,"batchDelayMs":2}}\'', schedulingOption)
  .action(async (options: { port: number; grpcPort: number | false; host: string; maxBodyBytes?: number; scheduling?: Record<string, SchedulingOptions> }) => {
    const logger = createLogger(process.env.LOG_LEVEL ?? 'info');
    // Loaded by its command only: the gRPC server stack (grpc-js, proto-loader) is nothing a worker needs.
    const { createModelServer } = await import('../model-server/index.ts');
    const server = createModelServer({ port: options.port, grpcPort: options.grpcPort, host: options.host, maxBodyBytes: options.maxBodyBytes, scheduling: options.scheduling });
    onShutdownSignal(logger, 10_000, () => server.close());
    await server.start();
    logger.info({ url: server.url, grpc: options.grpcPort === false ? undefined : server.grpcUrl }, 'model server listening');
  });

registerOperationsCommands(program, {
  loadConnectors: (files) =>
    files.map((file) => {
      try {
        return loadConnectorConfig(readFileSync(file, 'utf8'), { file, env: process.env, readFile: (path) => readFileSync(path, 'utf8') });
      } catch (error) {
        throw new Error(error instanceof ConfigError ? error.format() : `cannot load ${file}: ${(error as Error).message}`, { cause: error });
      }
    }),
  createLogger: (level) => createLogger(level, 2),
  io: () => {
    // The first SIGINT/SIGTERM cancels the job (exit 130 once in-flight publishes settled); a second exits now.
    const controller = new AbortController();
    const onSignal = (signal: NodeJS.Signals): void => {
      if (controller.signal.aborted) process.exit(130);
      controller.abort(new Error(`interrupted by ${signal}`));
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    return { stdout: process.stdout, stderr: process.stderr, now: Date.now, interrupted: controller.signal };
  },
  actor: { sub: `cli:${userInfo().username}`, username: userInfo().username },
  // Broker clients may hold timers for a moment after closing: the command is done, so exit.
  exit: (code) => process.exit(code),
});

await program.parseAsync(process.argv);
