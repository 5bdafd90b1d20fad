import { AlwaysOnSampler, InMemorySpanExporter, ParentBasedSampler, SimpleSpanProcessor, TraceIdRatioBasedSampler, TracerProvider } from '@opentelemetry/sdk-trace';
import type { Sampler } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { ModelbridgeError } from '../../../schemas/errors.ts';
import type { Delivery, InboundMessage, InferenceClient, InferOptions, OutboundMessage, Sink } from '../../../connectors/types.ts';
import type { CanonicalEvent } from '../../../schemas/event.ts';
import { createConnectorTracing } from '../../../services/telemetry/pipeline-tracing.ts';

const PARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

function setup(sampler: Sampler = new ParentBasedSampler({ root: new AlwaysOnSampler() })) {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ sampler, spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const tracing = createConnectorTracing(provider.getTracer('test'), {
    connector: 'orders',
    consumerGroup: undefined,
    sinks: { enriched: { system: 'rabbitmq', destination: 'amq.default', routingKey: 'orders.enriched' }, dead_letter: { system: 'rabbitmq', destination: 'dlx', routingKey: 'orders.dlq' } },
  });
  const settled: string[] = [];
  const message: InboundMessage = {
    key: null,
    value: Buffer.from('{}'),
    headers: { traceparent: Buffer.from(PARENT), tracestate: 'congo=t61rcWkgMzE' },
    contentType: 'application/json',
    timestamp: undefined,
    origin: { transport: 'amqp', exchange: 'sap', routingKey: 'orders.created', queue: 'orders', redelivered: false, deliveryTag: 7 },
  };
  const delivery: Delivery = { message, lane: 'orders', receivedAt: 0, ack: () => settled.push('ack'), nack: () => settled.push('nack') };
  const spans = () => exporter.getFinishedSpans();
  return { tracing, delivery, settled, spans };
}

const event = (): CanonicalEvent => ({ specversion: '1.0', id: 'ev-1', source: '/sap', type: 'sap.order.created', traceparent: PARENT });

describe('pipeline tracing hooks', () => {
  it('opens a consumer span under the input context, hands its context to the event, and ends it when settled', () => {
    const { tracing, delivery, settled, spans } = setup();
    const decoded = event();
    const traced = tracing.begin(delivery, decoded);
    expect(traced.message).toBe(delivery.message);
    expect(decoded.traceparent).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
    expect(decoded.traceparent).not.toBe(PARENT);
    expect(decoded.tracestate).toBe('congo=t61rcWkgMzE');
    traced.nack();
    expect(settled).toEqual(['nack']);
    const [span] = spans();
    expect(span!.name).toBe('process orders');
    expect(span!.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    expect(span!.attributes).toMatchObject({
      'messaging.system': 'rabbitmq',
      'messaging.destination.name': 'orders',
      'messaging.rabbitmq.destination.routing_key': 'orders.created',
      'messaging.rabbitmq.message.delivery_tag': 7,
      'messaging.message.id': 'ev-1',
      'modelbridge.outcome': 'requeued',
    });
  });

  it('counts attempts per event, sends the attempt span context to the backend, and traces publishes under the event', async () => {
    const { tracing, delivery, spans } = setup();
    const decoded = event();
    const traced = tracing.begin(delivery, decoded);
    const sent: (string | undefined)[] = [];
    let calls = 0;
    const inner: InferenceClient = {
      kind: 'kserve-http',
      model: 'risk',
      version: '2',
      infer: async (_request, options: InferOptions) => {
        sent.push(options.traceparent);
        if (++calls === 1) throw new ModelbridgeError('INFERENCE_UNAVAILABLE', 'HTTP 503');
        return { modelName: 'risk', modelVersion: '2', outputs: {} };
      },
      ready: async () => true,
      close: async () => undefined,
    };
    const client = tracing.client(inner, 'primary');
    const options = { signal: new AbortController().signal, traceparent: decoded.traceparent };
    await expect(client.infer({ id: 'ev-1', inputs: {} }, options)).rejects.toThrow('HTTP 503');
    await client.infer({ id: 'ev-1', inputs: {} }, options);
    const published: OutboundMessage[] = [];
    const sink: Sink = { kind: 'rabbitmq', publish: async (m) => void published.push(m), start: async () => undefined, status: () => ({ connected: true }), close: async () => undefined };
    await tracing.sink(sink, 'enriched').publish({ key: null, value: '{}', headers: { traceparent: decoded.traceparent! } });
    const dead = tracing.failed(traced, new ModelbridgeError('INFERENCE_REJECTED', 'HTTP 400'));
    expect(dead?.traceparent).toBe(decoded.traceparent);
    traced.ack();

    const byName = (name: string) => spans().filter((span) => span.name === name);
    const process = byName('process orders')[0]!;
    const attempts = byName('infer risk');
    expect(attempts.map((span) => [span.attributes['modelbridge.inference.attempt'], span.attributes['modelbridge.inference.outcome'], span.parentSpanContext?.spanId])).toEqual([
      [1, 'INFERENCE_UNAVAILABLE', process.spanContext().spanId],
      [2, 'ok', process.spanContext().spanId],
    ]);
    expect(sent).toEqual(attempts.map((span) => `00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`));
    const publish = byName('send amq.default')[0]!;
    expect(publish.parentSpanContext?.spanId).toBe(process.spanContext().spanId);
    expect(publish.attributes).toMatchObject({ 'messaging.rabbitmq.destination.routing_key': 'orders.enriched', 'modelbridge.publish.kind': 'enriched' });
    expect(process.attributes).toMatchObject({ 'modelbridge.outcome': 'dead_lettered', 'error.type': 'INFERENCE_REJECTED' });
  });

  it('traces an undecodable message from its header, and a message without context as a new trace', () => {
    const { tracing, delivery, spans } = setup();
    tracing.begin(delivery, undefined).ack();
    tracing.begin({ ...delivery, message: { ...delivery.message, headers: {} } }, undefined).ack();
    const [fromHeader, root] = spans();
    expect(fromHeader!.spanContext().traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(root!.parentSpanContext).toBeUndefined();
  });

  it('an event the sampler leaves out gets its context written on, and no span for its calls and publishes', async () => {
    const UNSAMPLED_PARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00';
    const { tracing, delivery, spans } = setup(new ParentBasedSampler({ root: new AlwaysOnSampler() }));
    const decoded = event();
    decoded.traceparent = UNSAMPLED_PARENT;
    const traced = tracing.begin(delivery, decoded);
    // A new span id under the same trace, sampled flag still off: downstream keeps the producer's decision.
    expect(decoded.traceparent).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-00$/);
    expect(decoded.traceparent).not.toBe(UNSAMPLED_PARENT);
    const sent: (string | undefined)[] = [];
    const inner: InferenceClient = {
      kind: 'kserve-http',
      model: 'risk',
      version: undefined,
      infer: async (_request, options: InferOptions) => {
        sent.push(options.traceparent);
        return { modelName: 'risk', modelVersion: undefined, outputs: {} };
      },
      ready: async () => true,
      close: async () => undefined,
    };
    await tracing.client(inner, 'primary').infer({ id: 'ev-1', inputs: {} }, { signal: new AbortController().signal, traceparent: decoded.traceparent });
    expect(sent).toEqual([decoded.traceparent]);
    const published: OutboundMessage[] = [];
    const sink: Sink = { kind: 'rabbitmq', publish: async (m) => void published.push(m), start: async () => undefined, status: () => ({ connected: true }), close: async () => undefined };
    await tracing.sink(sink, 'enriched').publish({ key: null, value: '{}', headers: { traceparent: decoded.traceparent! } });
    expect(published).toHaveLength(1);
    expect(tracing.failed(traced, new ModelbridgeError('INFERENCE_REJECTED', 'HTTP 400'))?.traceparent).toBe(decoded.traceparent);
    traced.ack();
    expect(spans()).toEqual([]);
  });

  it('with ratio sampling, events in and out of the sample are traced or not as a whole', async () => {
    const { tracing, delivery, spans } = setup(new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(0.5) }));
    const root = { ...delivery, message: { ...delivery.message, headers: {} } };
    const client = tracing.client({ kind: 'kserve-http', model: 'risk', version: undefined, infer: async () => ({ modelName: 'risk', modelVersion: undefined, outputs: {} }), ready: async () => true, close: async () => undefined }, 'primary');
    const flags: string[] = [];
    for (let i = 0; i < 40; i++) {
      const decoded = event();
      decoded.id = `ev-${i}`;
      delete decoded.traceparent;
      const traced = tracing.begin(root, decoded);
      flags.push(decoded.traceparent!.slice(-2));
      await client.infer({ id: decoded.id, inputs: {} }, { signal: new AbortController().signal, traceparent: decoded.traceparent });
      traced.ack();
    }
    const sampled = flags.filter((flag) => flag === '01').length;
    expect(sampled).toBeGreaterThan(0);
    expect(sampled).toBeLessThan(40);
    // Each sampled event: its process span and one attempt span; the others: none.
    expect(spans().filter((span) => span.name === 'process orders')).toHaveLength(sampled);
    expect(spans().filter((span) => span.name === 'infer risk')).toHaveLength(sampled);
  });
});
