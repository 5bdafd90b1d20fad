/**
 * The OpenTelemetry tracer provider of a worker process: OTLP over HTTP (protobuf or JSON) behind a batch
 * span processor, the sampler named by `OTEL_TRACES_SAMPLER`, and the per-connector pipeline hooks.
 * The provider is not registered globally: the worker's spans are made through it alone.
 */
import type { Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import type { Sampler, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { MESSAGING_SYSTEM_VALUE_KAFKA, MESSAGING_SYSTEM_VALUE_RABBITMQ } from '@opentelemetry/semantic-conventions/incubating';
import type { ConnectorConfig } from '../../schemas/connector-config.ts';
import { createConnectorTracing } from './pipeline-tracing.ts';
import type { ConnectorTracing, SinkDescription } from './pipeline-tracing.ts';
import type { SamplerName, TracingConfig } from './tracing-config.ts';

/** The tracing of a worker process. */
export interface Tracing {
  readonly tracer: Tracer;
  /** The pipeline hooks of one connector. */
  connector(config: ConnectorConfig): ConnectorTracing;
  /** Exports what is buffered, then stops. Idempotent. */
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  readonly serviceVersion?: string | undefined;
  /** Replaces the exporters of the configuration (tests). */
  readonly exporter?: SpanExporter | undefined;
}

export function startTracing(config: TracingConfig, options: TracingOptions = {}): Tracing {
  const processors: SpanProcessor[] = (options.exporter ? [options.exporter] : config.exporters.map((name) => exporterFor(name, config))).map(
    (exporter) => new BatchSpanProcessor({ ...config.batch, exporter }),
  );
  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      ...config.resource,
      [ATTR_SERVICE_NAME]: config.serviceName,
      ...(options.serviceVersion === undefined ? {} : { [ATTR_SERVICE_VERSION]: options.serviceVersion }),
    }),
    sampler: samplerFor(config.sampler, config.ratio),
    spanProcessors: processors,
  });
  const tracer = provider.getTracer('modelbridge', options.serviceVersion);
  let stopping: Promise<void> | undefined;
  return {
    tracer,
    connector: (connector) => createConnectorTracing(tracer, describeConnector(connector)),
    shutdown() {
      stopping ??= provider.shutdown();
      return stopping;
    },
  };
}

function exporterFor(name: 'otlp' | 'console', config: TracingConfig): SpanExporter {
  if (name === 'console') return new ConsoleSpanExporter();
  // Headers, timeout, compression and certificates come from the exporter's own OTEL_EXPORTER_OTLP_* variables.
  const url = config.url === undefined ? {} : { url: config.url };
  return config.protocol === 'http/json' ? new OtlpJsonExporter(url) : new OtlpProtobufExporter(url);
}

function samplerFor(name: SamplerName, ratio: number): Sampler {
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio);
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
  }
}

function describeConnector(config: ConnectorConfig): Parameters<typeof createConnectorTracing>[1] {
  return {
    connector: config.name,
    consumerGroup: config.source.kind === 'kafka' ? config.source.group : undefined,
    sinks: { enriched: describeSink(config.sink), dead_letter: describeSink(config.deadLetter) },
  };
}

function describeSink(sink: ConnectorConfig['sink']): SinkDescription {
  if (sink.kind === 'kafka') return { system: MESSAGING_SYSTEM_VALUE_KAFKA, destination: sink.topic };
  if (sink.kind === 'rabbitmq') return { system: MESSAGING_SYSTEM_VALUE_RABBITMQ, destination: sink.exchange || 'amq.default', routingKey: sink.routingKey };
  return { system: 'memory', destination: sink.stream };
}
