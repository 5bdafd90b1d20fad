/**
 * The connector pipeline alone, in one process: CPU µs and V8-heap bytes per event from delivery to
 * ack, with no broker and no network. A source that hands over kafka-like deliveries in chunks, the
 * real JSON decoder, the real kserve-http client over a transport that answers at once (or, with
 * `--fake-client`, an inference client that answers at once), sinks that confirm at once, and the
 * worker's metrics. What it measures is the worker's own work per event, which the broker scenarios
 * mix with kafkajs/amqplib and undici.
 *
 * `--heap-profile` samples the last round with V8's sampling heap profiler (objects collected by minor
 * and major GCs included) and prints the top allocation sites by bytes.
 *
 *   node bench/hot-path.ts [--events 200000] [--rounds 5] [--fake-client] [--ordering key|partition|none] [--heap-profile]
 */
import { Session } from 'node:inspector/promises';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { Registry } from 'prom-client';
import { createJsonDecoder } from '../connectors/json/index.ts';
import { createKserveHttpClient } from '../connectors/kserve/client-http.ts';
import type { HttpTransport } from '../connectors/http-client/transport.ts';
import type { Delivery, DeliveryHandler, InferenceClient, OutboundMessage, Sink, Source } from '../connectors/types.ts';
import { connectorConfigSchema } from '../schemas/connector-config.ts';
import type { KserveHttpBackendConfig } from '../schemas/connector-config.ts';
import { createConnector } from '../services/worker/connector.ts';
import { createWorkerMetrics } from '../services/worker/metrics.ts';
import { eventBody, eventKey } from './lib/events.ts';
import { startAllocationCounter } from './lib/heap-allocations.ts';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '200000' },
    rounds: { type: 'string', default: '5' },
    'fake-client': { type: 'boolean', default: false },
    ordering: { type: 'string', default: 'key' },
    'heap-profile': { type: 'boolean', default: false },
  },
});
const EVENTS = Number(args.events);
const ROUNDS = Number(args.rounds);
const PARTITIONS = 8;
/** Deliveries handed over per turn of the event loop, as a fetched batch would be. */
const CHUNK = 256;

const config = connectorConfigSchema.parse({
  name: 'bench',
  source: { kind: 'kafka', brokers: ['127.0.0.1:9'], topic: 'in', group: 'g' },
  sink: { kind: 'kafka', brokers: ['127.0.0.1:9'], topic: 'out' },
  deadLetter: { kind: 'kafka', brokers: ['127.0.0.1:9'], topic: 'dlq' },
  decode: { format: 'json', idPath: 'id', keyPath: 'key', type: 'com.example.bench' },
  ordering: args.ordering,
  inference: {
    backend: { kind: 'kserve-http', url: 'http://127.0.0.1:9', model: 'echo' },
    request: { inputs: { TEXT: 'data.text' } },
    response: { echo: 'outputs.TEXT[0]' },
  },
});

const ANSWER = '{"model_name":"echo","model_version":"1","id":"x","outputs":[{"name":"TEXT","datatype":"BYTES","shape":[1],"data":["the replacement part works fine now"]}]}';
const answerHeaders: Record<string, string> = { 'content-type': 'application/json', 'content-length': String(ANSWER.length) };
const transport: HttpTransport = {
  async request(url) {
    // Triton's bare 200 on /ready; the echo answer to every infer.
    return { status: 200, header: (name) => answerHeaders[name], text: url.endsWith('/ready') ? '' : ANSWER };
  },
  async close() {},
};
const fakeClient: InferenceClient = {
  kind: 'kserve-http',
  model: 'echo',
  version: undefined,
  async infer(request) {
    return { modelName: 'echo', modelVersion: '1', outputs: { TEXT: [request.inputs.TEXT] } };
  },
  async ready() {
    return true;
  },
  async close() {},
};
const client = args['fake-client'] ? fakeClient : createKserveHttpClient({ ...(config.inference.backend as KserveHttpBackendConfig), preflight: false }, { transport });

let acked = 0;
let done: (() => void) | undefined;
let handler: DeliveryHandler | undefined;
const offsets = new Array<number>(PARTITIONS).fill(0);

function delivery(index: number): Delivery {
  const partition = index % PARTITIONS;
  const offset = offsets[partition]!++;
  return {
    message: {
      key: Buffer.from(eventKey(index, 10_000)),
      value: Buffer.from(eventBody('run', index, 10_000, Date.now())),
      headers: {},
      contentType: undefined,
      timestamp: Date.now(),
      origin: { transport: 'kafka', topic: 'in', partition, offset: String(offset), timestamp: Date.now() },
    },
    lane: `in/${partition}`,
    receivedAt: performance.now(),
    ack() {
      if (++acked === target) done?.();
    },
    nack() {
      throw new Error('nacked');
    },
  };
}

let paused = false;
let next = 0;
let target = 0;
function feed(): void {
  const end = Math.min(target, next + CHUNK);
  while (!paused && next < end) handler!(delivery(next++));
  if (next < target && !paused) setImmediate(feed);
}

const source: Source = {
  kind: 'kafka',
  async start(onDelivery) {
    handler = onDelivery;
  },
  pause() {
    paused = true;
  },
  resume() {
    if (!paused) return;
    paused = false;
    setImmediate(feed);
  },
  status: () => ({ connected: true, paused }),
  async close() {},
};

function sink(): Sink {
  return {
    kind: 'kafka',
    async start() {},
    async publish(_message: OutboundMessage) {},
    status: () => ({ connected: true }),
    async close() {},
  };
}

const connector = createConnector(config, {
  source,
  sink: sink(),
  deadLetter: sink(),
  decoder: createJsonDecoder(config.decode as never),
  client,
  logger: pino({ level: 'warn' }),
  metrics: createWorkerMetrics(new Registry()),
});
await connector.start();

async function round(events: number): Promise<void> {
  const finished = new Promise<void>((resolve) => (done = resolve));
  target += events;
  setImmediate(feed);
  await finished;
}

await round(Math.min(EVENTS, 50_000)); // warm-up: optimised code, grown heap
const counter = startAllocationCounter();
const session = args['heap-profile'] ? new Session() : undefined;
session?.connect();
for (let r = 1; r <= ROUNDS; r++) {
  if (session && r === ROUNDS) {
    await session.post('HeapProfiler.startSampling', { samplingInterval: 512, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  }
  const before = counter.totals();
  const started = performance.now();
  await round(EVENTS);
  const after = counter.totals();
  const ms = performance.now() - started;
  const per = (value: number): string => ((value * 1000) / EVENTS).toFixed(2);
  console.log(
    `round ${r}: ${(EVENTS / (ms / 1000)).toFixed(0)} ev/s, ${((after.allocated_bytes - before.allocated_bytes) / 1024 / EVENTS).toFixed(2)} KB/event, ` +
      `${per(after.cpu_ms - before.cpu_ms)} CPU µs/event, ${per(after.gc_ms - before.gc_ms)} GC µs/event`,
  );
}
if (session) printSites((await session.post('HeapProfiler.stopSampling')).profile.head as unknown as SamplingNode, EVENTS);
await connector.close(1000);

interface SamplingNode {
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly selfSize: number;
  readonly children: readonly SamplingNode[];
}

/** Bytes per event by allocating function (self), the top 40. */
function printSites(head: SamplingNode, events: number): void {
  const sites = new Map<string, number>();
  const visit = (node: SamplingNode): void => {
    const { functionName, url, lineNumber } = node.callFrame;
    const site = `${functionName || '(anonymous)'} ${url.replace(/^.*\/(node_modules|wt-[^/]+|modelbridge[^/]*)\//, '')}:${lineNumber + 1}`;
    sites.set(site, (sites.get(site) ?? 0) + node.selfSize);
    for (const child of node.children) visit(child);
  };
  visit(head);
  const total = [...sites.values()].reduce((a, b) => a + b, 0);
  console.log(`sampled ${(total / events).toFixed(0)} B/event`);
  for (const [site, bytes] of [...sites].sort((a, b) => b[1] - a[1]).slice(0, 40)) console.log(`${(bytes / events).toFixed(0).padStart(6)} B  ${site}`);
}
