/**
 * One trace across two Kafka hops, over the real broker: a producer sends events carrying its span's
 * W3C context, `modelbridge run` (a child process, tracing configured only by OTEL_* variables) processes
 * them and exports its spans over OTLP/HTTP to a receiver started here, and a downstream consumer reads
 * the enriched event and continues the trace. Also: a dead letter carries the worker's context, and the
 * ECS log line of a dead-lettering names the same trace.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ROOT_CONTEXT, SpanKind, defaultTextMapGetter, defaultTextMapSetter, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';
import type { ConnectorConfigInput } from '../../../schemas/connector-config.ts';
import { DLQ_HEADERS } from '../../../schemas/dead-letter.ts';
import { createModelServer } from '../../../services/model-server/index.ts';
import type { ModelServer } from '../../../services/model-server/index.ts';
import { createTopic, produce, readAll } from '../../support/kafka.ts';
import type { ReadRecord } from '../../support/kafka.ts';
import { startOtlpReceiver } from '../../support/otlp-receiver.ts';
import type { OtlpReceiver, ReceivedSpan } from '../../support/otlp-receiver.ts';
import { waitFor } from '../../support/wait-for.ts';

const SPAN_KIND = { client: 3, producer: 4, consumer: 5 } as const;
const SERVICE = 'modelbridge-trace-test';

const brokers = (): string[] => inject('kafkaBrokers');
const STRUCTURED = { 'content-type': 'application/cloudevents+json' };
const propagator = new W3CTraceContextPropagator();

describe('tracing across the Kafka hop (producer → worker → consumer)', () => {
  let model: ModelServer;
  let receiver: OtlpReceiver;
  let worker: ChildProcess;
  let dir: string;
  const logs: Record<string, unknown>[] = [];
  let topics: { input: string; enriched: string; dlq: string };
  // The test's own producer and downstream consumer trace in-process.
  const testSpans = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: testSpans })] });
  const tracer = provider.getTracer('trace-test');

  beforeAll(async () => {
    model = createModelServer({ grpcPort: false });
    [receiver] = await Promise.all([startOtlpReceiver(), model.start()]);
    topics = { input: await createTopic(brokers(), { prefix: 'mb-trace-in' }), enriched: await createTopic(brokers(), { prefix: 'mb-trace-out' }), dlq: await createTopic(brokers(), { prefix: 'mb-trace-dlq' }) };
    dir = mkdtempSync(join(tmpdir(), 'mb-trace-'));
    const config: ConnectorConfigInput = {
      name: 'trace-test',
      source: { kind: 'kafka', brokers: brokers(), topic: topics.input, group: `${topics.input}.worker`, commitInterval: '200ms' },
      decode: { format: 'cloudevents' },
      inference: {
        backend: { kind: 'kserve-http', url: model.url, model: 'echo' },
        request: { inputs: { TEXT: 'data.text' } },
        response: { echo: 'outputs.TEXT[0]' },
        retry: { attempts: 3, minDelay: '10ms', maxDelay: '50ms' },
      },
      sink: { kind: 'kafka', brokers: brokers(), topic: topics.enriched },
      deadLetter: { kind: 'kafka', brokers: brokers(), topic: topics.dlq },
    };
    writeFileSync(join(dir, 'connector.yaml'), stringify(config));
    worker = spawn(process.execPath, ['services/cli/main.ts', 'run', '--config', join(dir, 'connector.yaml'), '--port', '0', '--grace', '5s'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_SERVICE_NAME: SERVICE,
        OTEL_BSP_SCHEDULE_DELAY: '100',
        LOG_FORMAT: 'ecs',
      },
    });
    for (const stream of [worker.stdout!, worker.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => {
        try {
          logs.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          logs.push({ message: line });
        }
      });
    }
    await waitFor(() => logs.some((line) => line.message === 'connector running'), { timeoutMs: 60_000, what: `the worker running; logs: ${JSON.stringify(logs)}` });
  });

  afterAll(async () => {
    if (worker && worker.exitCode === null) {
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      worker.kill('SIGTERM');
      await exited;
    }
    await Promise.all([model?.close(), receiver?.close(), provider.shutdown()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Produces one message inside a `send` span of the test's producer; returns that span's ids. */
  async function send(value: string, headers: Record<string, string> = STRUCTURED, inBody?: (traceparent: string) => string): Promise<{ traceId: string; spanId: string }> {
    const span = tracer.startSpan(`send ${topics.input}`, { kind: SpanKind.PRODUCER });
    const carrier: Record<string, string> = {};
    propagator.inject(trace.setSpan(ROOT_CONTEXT, span), carrier, defaultTextMapSetter);
    const body = inBody ? inBody(carrier.traceparent!) : value;
    await produce(brokers(), topics.input, [{ key: 'order-1', value: body, headers: inBody ? headers : { ...headers, traceparent: carrier.traceparent! } }]);
    span.end();
    return { traceId: span.spanContext().traceId, spanId: span.spanContext().spanId };
  }

  const workerSpans = (traceId: string): ReceivedSpan[] => receiver.spans.filter((span) => span.traceId === traceId && span.service === SERVICE);

  it('continues the producer trace, traces every attempt and the publish, and hands the context to the consumer', async () => {
    model.faults.set('echo', { failNext: 1 });
    // Structured CloudEvent: the context travels as the distributed-tracing extension attribute in the body.
    const producer = await send('', STRUCTURED, (traceparent) =>
      JSON.stringify({ specversion: '1.0', id: 'ev-ok-1', source: '/test', type: 'com.example.order', traceparent, tracestate: 'vendor=abc', data: { text: 'hello' } }),
    );
    const [enriched] = await waitFor(async () => {
      const records = await readAll(brokers(), topics.enriched);
      return records.length > 0 ? records : undefined;
    }, { timeoutMs: 30_000, what: "the enriched event" });
    const spans = await waitFor(() => {
      const found = workerSpans(producer.traceId);
      return found.length >= 4 ? found : undefined;
    }, { timeoutMs: 30_000, what: 'the worker spans' });

    // Hop 1: the worker's process span is a child of the producer's send span, in the producer's trace.
    const process = spans.find((span) => span.name === `process ${topics.input}`)!;
    expect(process).toMatchObject({ kind: SPAN_KIND.consumer, parentSpanId: producer.spanId, traceState: 'vendor=abc', status: 0 });
    expect(process.attributes).toMatchObject({
      'messaging.system': 'kafka',
      'messaging.destination.name': topics.input,
      'messaging.operation.type': 'process',
      'messaging.operation.name': 'process',
      'messaging.destination.partition.id': '0',
      'messaging.kafka.offset': 0,
      'messaging.kafka.message.key': 'order-1',
      'messaging.consumer.group.name': `${topics.input}.worker`,
      'messaging.message.id': 'ev-ok-1',
      'cloudevents.event_type': 'com.example.order',
      'modelbridge.connector': 'trace-test',
      'modelbridge.outcome': 'published',
    });

    // One span per inference attempt: the first failed (injected 500), the retry succeeded.
    const attempts = spans.filter((span) => span.name === 'infer echo').sort((a, b) => Number(a.attributes['modelbridge.inference.attempt']) - Number(b.attributes['modelbridge.inference.attempt']));
    expect(attempts).toHaveLength(2);
    for (const attempt of attempts) {
      expect(attempt).toMatchObject({ kind: SPAN_KIND.client, parentSpanId: process.spanId });
      expect(attempt.attributes).toMatchObject({ 'modelbridge.inference.backend': 'kserve-http', 'modelbridge.inference.model': 'echo', 'modelbridge.inference.role': 'primary' });
    }
    expect(attempts.map((a) => [a.attributes['modelbridge.inference.attempt'], a.attributes['modelbridge.inference.outcome'], a.status])).toEqual([
      [1, 'INFERENCE_FAILED', 2],
      [2, 'ok', 0],
    ]);
    expect(attempts[0]!.attributes['error.type']).toBe('INFERENCE_FAILED');

    const publish = spans.find((span) => span.name === `send ${topics.enriched}`)!;
    expect(publish).toMatchObject({ kind: SPAN_KIND.producer, parentSpanId: process.spanId });
    expect(publish.attributes).toMatchObject({ 'messaging.system': 'kafka', 'messaging.destination.name': topics.enriched, 'messaging.operation.type': 'send', 'modelbridge.publish.kind': 'enriched' });

    // The enriched event carries the worker's context, as a header and as the CloudEvent attribute.
    const workerContext = `00-${producer.traceId}-${process.spanId}-01`;
    expect(header(enriched!, 'traceparent')).toBe(workerContext);
    expect(header(enriched!, 'tracestate')).toBe('vendor=abc');
    expect(JSON.parse(enriched!.value!.toString())).toMatchObject({ id: 'ev-ok-1', traceparent: workerContext, tracestate: 'vendor=abc' });

    // Hop 2: a downstream consumer continues the trace from the enriched event's headers.
    const carrier = { traceparent: header(enriched!, 'traceparent')!, tracestate: header(enriched!, 'tracestate')! };
    const parent = propagator.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter);
    tracer.startSpan(`process ${topics.enriched}`, { kind: SpanKind.CONSUMER }, parent).end();
    const downstream = testSpans.getFinishedSpans().find((span) => span.name === `process ${topics.enriched}`)!;
    expect(downstream.spanContext().traceId).toBe(producer.traceId);
    expect(downstream.parentSpanContext?.spanId).toBe(process.spanId);
    expect(receiver.rejected).toBe(0);
  });

  it('writes the worker context onto dead letters (decode and model failures), and the ECS log line names the same trace', async () => {
    model.faults.set('echo', { rejectMarker: 'POISON' });
    // An event the model rejects (400: dead-lettered at once) and one that does not decode (context from the header only).
    const rejected = await send('', STRUCTURED, (traceparent) => JSON.stringify({ specversion: '1.0', id: 'ev-poison', source: '/test', type: 'com.example.order', traceparent, data: { text: 'POISON' } }));
    const undecodable = await send('{ not json', { 'content-type': 'application/cloudevents+json' });
    const letters = await waitFor(async () => {
      const records = await readAll(brokers(), topics.dlq);
      return records.length >= 2 ? records : undefined;
    }, { timeoutMs: 30_000, what: 'two dead letters' });

    for (const [producer, code, stage] of [
      [rejected, 'INFERENCE_REJECTED', 'infer'],
      [undecodable, 'MALFORMED_PAYLOAD', 'decode'],
    ] as const) {
      const spans = await waitFor(() => {
        const found = workerSpans(producer.traceId);
        return found.some((span) => span.name === `send ${topics.dlq}`) ? found : undefined;
      }, { timeoutMs: 30_000, what: `spans of the ${code} dead letter` });
      const process = spans.find((span) => span.name === `process ${topics.input}`)!;
      expect(process).toMatchObject({ parentSpanId: producer.spanId, status: 2 });
      expect(process.attributes).toMatchObject({ 'modelbridge.outcome': 'dead_lettered', 'error.type': code, 'modelbridge.error.stage': stage });
      expect(spans.find((span) => span.name === `send ${topics.dlq}`)).toMatchObject({ parentSpanId: process.spanId, attributes: { 'modelbridge.publish.kind': 'dead_letter' } });

      const letter = letters.find((record) => header(record, DLQ_HEADERS.code) === code)!;
      expect(header(letter, 'traceparent')).toBe(`00-${producer.traceId}-${process.spanId}-01`);
      const line = await waitFor(() => logs.find((l) => (l.trace as { id?: string } | undefined)?.id === producer.traceId), { what: `the ${code} log line` });
      expect(line).toMatchObject({ 'log.level': 'warn', 'service.name': 'modelbridge-trace-test', 'modelbridge.connector': 'trace-test', span: { id: process.spanId }, modelbridge: { code } });
    }
  });
});

function header(record: ReadRecord, name: string): string | undefined {
  const value = record.headers[name];
  return value === undefined ? undefined : String(value);
}
