import { describe, expect, it } from 'vitest';
import { TracingConfigError, tracingConfigFromEnv } from '../../../services/telemetry/tracing-config.ts';

describe('tracing configuration from OTEL_* variables', () => {
  it('is off without an exporter or an endpoint, and when disabled', () => {
    expect(tracingConfigFromEnv({})).toBeUndefined();
    expect(tracingConfigFromEnv({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBeUndefined();
    expect(tracingConfigFromEnv({ OTEL_SDK_DISABLED: 'true', OTEL_TRACES_EXPORTER: 'otlp' })).toBeUndefined();
  });

  it('turns on with an endpoint: OTLP over HTTP with protobuf, parent-based sampling, the default service name', () => {
    expect(tracingConfigFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' })).toEqual({
      exporters: ['otlp'],
      protocol: 'http/protobuf',
      url: 'http://collector:4318/v1/traces',
      serviceName: 'modelbridge',
      resource: {},
      sampler: 'parentbased_always_on',
      ratio: 1,
      batch: {},
    });
  });

  it('reads the signal-specific endpoint and protocol, the sampler, resource attributes and the batch processor settings', () => {
    const config = tracingConfigFromEnv({
      OTEL_TRACES_EXPORTER: 'otlp,console',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://ignored:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://collector/custom/path',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
      OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-resource,deployment.environment=prod%20eu',
      OTEL_BSP_SCHEDULE_DELAY: '200',
      OTEL_BSP_MAX_QUEUE_SIZE: '4096',
    });
    expect(config).toMatchObject({
      exporters: ['otlp', 'console'],
      protocol: 'http/json',
      url: 'https://collector/custom/path',
      serviceName: 'from-resource',
      resource: { 'deployment.environment': 'prod eu' },
      sampler: 'parentbased_traceidratio',
      ratio: 0.25,
      batch: { scheduledDelayMillis: 200, maxQueueSize: 4096 },
    });
    expect(tracingConfigFromEnv({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_SERVICE_NAME: 'svc', OTEL_RESOURCE_ATTRIBUTES: 'service.name=other' })?.serviceName).toBe('svc');
  });

  it.each([
    [{ OTEL_TRACES_EXPORTER: 'jaeger' }, /OTEL_TRACES_EXPORTER: "jaeger" is not supported/],
    [{ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, /OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" is not supported/],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }, /OTEL_EXPORTER_OTLP_ENDPOINT: expected an http\(s\) URL/],
    [{ OTEL_TRACES_EXPORTER: 'otlp', OTEL_TRACES_SAMPLER: 'jaeger_remote' }, /OTEL_TRACES_SAMPLER/],
    [{ OTEL_TRACES_EXPORTER: 'otlp', OTEL_TRACES_SAMPLER_ARG: '2' }, /OTEL_TRACES_SAMPLER_ARG: expected a ratio/],
    [{ OTEL_TRACES_EXPORTER: 'otlp', OTEL_BSP_MAX_QUEUE_SIZE: 'lots' }, /OTEL_BSP_MAX_QUEUE_SIZE/],
    [{ OTEL_TRACES_EXPORTER: 'otlp', OTEL_RESOURCE_ATTRIBUTES: 'novalue' }, /OTEL_RESOURCE_ATTRIBUTES/],
  ])('refuses %j with a message naming the variable', (env, message) => {
    expect(() => tracingConfigFromEnv(env)).toThrow(TracingConfigError);
    expect(() => tracingConfigFromEnv(env)).toThrow(message);
  });
});
