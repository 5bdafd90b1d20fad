/**
 * `npm start`: the whole pipeline on embedded defaults, no broker and no Docker. The in-memory transport
 * carries generated SAP and Salesforce events (some hostile) to two connectors that call the reference
 * model server over real HTTP; midway the model answers 503 for a while to show the breaker holding
 * events instead of dead-lettering them. Prints enriched events, dead letters and a summary while
 * `/metrics` is served.
 */
import type { Logger } from 'pino';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { createMemoryBroker } from '../../connectors/memory/index.ts';
import type { StoredMessage } from '../../connectors/memory/index.ts';
import { createRegistry } from '../../connectors/registry.ts';
import { connectorConfigSchema } from '../../schemas/connector-config.ts';
import type { ConnectorConfig } from '../../schemas/connector-config.ts';
import { DLQ_HEADERS } from '../../schemas/dead-letter.ts';
import { createAdminServer } from '../admin/server.ts';
import { createModelServer } from '../model-server/index.ts';
import { createWorker } from '../worker/worker.ts';
import { generateDemoMessages } from './generator.ts';

export interface DemoOptions {
  readonly events: number;
  /** Port for /metrics, /healthz, /readyz; falls back to a free port when taken. */
  readonly port: number;
  /** Outage of the model midway, in milliseconds (0: none). */
  readonly outageMs: number;
  readonly logger: Logger;
  readonly print: (line: string) => void;
}

export interface DemoSummary {
  readonly events: number;
  readonly enriched: number;
  readonly deadLettered: Record<string, number>;
  readonly expectedDeadLetters: number;
  readonly breakerOpened: number;
  readonly seconds: number;
}

function connector(name: string, input: string, output: string, textPath: string, backendUrl: string): ConnectorConfig {
  return connectorConfigSchema.parse({
    name,
    source: { kind: 'memory', stream: input, maxMessageBytes: '64KiB' },
    decode: { format: 'cloudevents' },
    inference: {
      backend: { kind: 'kserve-http', url: backendUrl, model: 'sentiment' },
      request: { inputs: { TEXT: textPath } },
      response: { sentiment: 'outputs.LABEL[0]', score: 'outputs.SCORE[0]' },
      timeout: '2s',
      retry: { attempts: 4, minDelay: '50ms', maxDelay: '1s' },
      breaker: { volumeThreshold: 5, resetTimeout: '500ms' },
      concurrency: { max: 64 },
    },
    sink: { kind: 'memory', stream: output },
    deadLetter: { kind: 'memory', stream: 'modelbridge.dlq' },
  });
}

export async function runDemo(options: DemoOptions): Promise<DemoSummary> {
  const { print, logger } = options;
  const started = performance.now();
  const modelServer = createModelServer();
  await modelServer.start();
  modelServer.faults.set('sentiment', { rejectMarker: 'POISON' });

  const broker = createMemoryBroker();
  const metricsRegistry = new Registry();
  collectDefaultMetrics({ register: metricsRegistry, prefix: 'modelbridge_process_' });
  const worker = createWorker({
    connectors: [
      connector('salesforce-case-sentiment', 'salesforce.cdc.Case', 'salesforce.case.enriched', 'data.Description', modelServer.url),
      connector('sap-complaint-sentiment', 'sap.s4.complaints', 'sap.complaint.enriched', 'data.ComplaintText', modelServer.url),
    ],
    registry: createRegistry({ memoryBroker: broker }),
    logger,
    metricsRegistry,
  });
  const admin = createAdminServer({ worker, metricsRegistry });
  const { url } = await admin.listen(options.port).catch(() => admin.listen(0));
  print(`modelbridge demo: model server ${modelServer.url}, metrics ${url}/metrics`);

  let enriched = 0;
  const deadLettered: Record<string, number> = {};
  const watch = (stream: string, onMessage: (message: StoredMessage) => void): void => {
    let seen = 0;
    broker.stream(stream).listeners.add(() => {
      const log = broker.stream(stream).log;
      while (seen < log.length) onMessage(log[seen++]!);
    });
  };
  for (const stream of ['salesforce.case.enriched', 'sap.complaint.enriched']) {
    watch(stream, (message) => {
      enriched++;
      const event = JSON.parse(message.value!.toString('utf8')) as EnrichedView;
      const { output, provenance } = event.data;
      print(
        `  enriched     ${provenance.connector.padEnd(26)} key=${String(event.partitionkey ?? event.subject).padEnd(18)} ` +
          `${String(output.sentiment).padEnd(8)} score=${Number(output.score).toFixed(2).padStart(5)}  ` +
          `${provenance.latencyMs.toFixed(1)} ms, ${provenance.attempts} attempt(s)`,
      );
    });
  }
  watch('modelbridge.dlq', (message) => {
    const code = String(message.headers[DLQ_HEADERS.code]);
    deadLettered[code] = (deadLettered[code] ?? 0) + 1;
    print(`  DEAD LETTER  ${String(message.headers[DLQ_HEADERS.connector]).padEnd(26)} ${code.padEnd(24)} ${String(message.headers[DLQ_HEADERS.message]).slice(0, 90)}`);
  });

  await worker.start();
  const messages = generateDemoMessages(options.events);
  const outageAt = Math.floor(messages.length * 0.4);
  for (let i = 0; i < messages.length; i++) {
    if (i === outageAt && options.outageMs > 0) {
      print(`  -- model outage: sentiment answers 503 for ${options.outageMs} ms --`);
      modelServer.faults.set('sentiment', { rejectMarker: 'POISON', errorRate: 1, errorStatus: 503, retryAfterSeconds: 0 });
      setTimeout(() => {
        print('  -- model recovered --');
        modelServer.faults.set('sentiment', { rejectMarker: 'POISON' });
      }, options.outageMs).unref();
    }
    const message = messages[i]!;
    broker.publish(message.stream, { key: Buffer.from(message.key), value: Buffer.from(message.value), headers: message.headers, contentType: undefined });
    // Pace the producer a little so the output reads as a stream.
    if (i % 5 === 4) await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const total = (): number => enriched + Object.values(deadLettered).reduce((a, b) => a + b, 0);
  while (total() < messages.length) await new Promise((resolve) => setTimeout(resolve, 20));

  const breakerOpened = await countBreakerOpens(metricsRegistry);
  await worker.close(5000);
  await admin.close();
  await modelServer.close();
  return {
    events: messages.length,
    enriched,
    deadLettered,
    expectedDeadLetters: messages.filter((m) => m.expect === 'dead-letter').length,
    breakerOpened,
    seconds: (performance.now() - started) / 1000,
  };
}

interface EnrichedView {
  partitionkey?: string;
  subject?: string;
  data: { output: Record<string, unknown>; provenance: { connector: string; latencyMs: number; attempts: number } };
}

async function countBreakerOpens(registry: Registry): Promise<number> {
  const metric = await registry.getSingleMetric('modelbridge_breaker_transitions_total')?.get();
  return (metric?.values ?? []).filter((v) => v.labels.state === 'open').reduce((sum, v) => sum + v.value, 0);
}
