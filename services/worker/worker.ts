/**
 * A worker runs one or more connectors in one process, with an explicit lifecycle:
 * created → starting → running → draining → stopped | failed.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { ConnectorRegistry } from '../../connectors/registry.ts';
import type { InferenceClient, Sink } from '../../connectors/types.ts';
import type { ConnectorConfig } from '../../schemas/connector-config.ts';
import type { ConnectorTracing, PublishKind } from '../telemetry/pipeline-tracing.ts';
import { createConnector } from './connector.ts';
import type { ConnectorRuntime, ConnectorRuntimeConfig, ConnectorStatus } from './connector.ts';
import { createWorkerMetrics } from './metrics.ts';
import { registerScrapeMetrics } from './scrape-metrics.ts';
import type { ScrapeTarget } from './scrape-metrics.ts';

export type WorkerState = 'created' | 'starting' | 'running' | 'draining' | 'stopped' | 'failed';

export interface WorkerOptions {
  /** As loaded by `loadConnectorConfig` (mappings compiled), or plain (compiled at creation). */
  readonly connectors: readonly ConnectorRuntimeConfig[];
  readonly registry: ConnectorRegistry;
  readonly logger: Logger;
  readonly metricsRegistry: Registry;
  /** Present when tracing is on: the pipeline hooks of each connector. */
  readonly tracing?: { connector(config: ConnectorConfig): ConnectorTracing } | undefined;
}

export interface Worker {
  readonly state: WorkerState;
  start(): Promise<void>;
  /** Drain every connector for up to `graceMs`, then stop. Idempotent. */
  close(graceMs?: number): Promise<void>;
  status(): { readonly state: WorkerState; readonly connectors: readonly ConnectorStatus[] };
  /** Ready: running and every connector ready. */
  ready(): boolean;
  /** One connector's runtime, for the control API (status snapshot, operator pause). */
  connector(name: string): ConnectorRuntime | undefined;
}

export function createWorker(options: WorkerOptions): Worker {
  const { registry, logger } = options;
  const metrics = createWorkerMetrics(options.metricsRegistry);
  const names = new Set<string>();
  const scrapeTargets: ScrapeTarget[] = [];
  const connectors: ConnectorRuntime[] = options.connectors.map((config) => {
    if (names.has(config.name)) throw new Error(`two connectors are named ${config.name}`);
    names.add(config.name);
    const child = logger.child({ connector: config.name });
    const limits = { maxResponseBytes: config.inference.maxResponseBytes };
    const tracing = options.tracing?.connector(config);
    const client = (backend: ConnectorConfig['inference']['backend'], role: string): InferenceClient => {
      const created = registry.createInferenceClient(backend, child, limits);
      return tracing ? tracing.client(created, role) : created;
    };
    const sink = (sinkConfig: ConnectorConfig['sink'], kind: PublishKind): Sink => {
      const created = registry.createSink(sinkConfig, child);
      return tracing ? tracing.sink(created, kind) : created;
    };
    const source = registry.createSource(config.source, child);
    const runtime = createConnector(config, {
      source,
      sink: sink(config.sink, 'enriched'),
      deadLetter: sink(config.deadLetter, 'dead_letter'),
      decoder: registry.createDecoder(config.decode),
      client: client(config.inference.backend, 'primary'),
      fallbackClient: config.inference.fallback ? client(config.inference.fallback.backend, 'fallback') : undefined,
      shadowClient: config.inference.shadow ? client(config.inference.shadow.backend, 'shadow') : undefined,
      logger,
      metrics,
      tracing,
    });
    scrapeTargets.push({ connector: config.name, group: config.source.kind === 'kafka' ? config.source.group : undefined, ready: () => runtime.ready(), source });
    return runtime;
  });
  registerScrapeMetrics(options.metricsRegistry, scrapeTargets, logger);
  let state: WorkerState = 'created';
  let closing: Promise<void> | undefined;

  return {
    get state() {
      return state;
    },
    async start() {
      if (state !== 'created') throw new Error(`worker cannot start from state ${state}`);
      state = 'starting';
      try {
        await Promise.all(connectors.map((connector) => connector.start()));
        if (state === 'starting') state = 'running';
      } catch (error) {
        state = 'failed';
        throw error;
      }
    },
    close(graceMs = 30_000) {
      closing ??= (async () => {
        if (state !== 'failed') state = 'draining';
        const results = await Promise.allSettled(connectors.map((connector) => connector.close(graceMs)));
        const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as unknown);
        for (const failure of failures) logger.error({ err: failure }, 'connector did not close cleanly');
        state = failures.length > 0 ? 'failed' : 'stopped';
        if (failures.length > 0) throw new AggregateError(failures, `${failures.length} connector(s) did not close cleanly`);
      })();
      return closing;
    },
    status() {
      return { state, connectors: connectors.map((connector) => connector.status()) };
    },
    ready() {
      return state === 'running' && connectors.every((connector) => connector.ready());
    },
    connector(name) {
      return connectors.find((connector) => connector.name === name);
    },
  };
}
