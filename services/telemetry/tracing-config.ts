/**
 * Tracing configuration from the standard `OTEL_*` environment variables, read once at start-up.
 *
 * Tracing is on when `OTEL_TRACES_EXPORTER` names an exporter (`otlp`, `console`), or, with it unset,
 * when an OTLP endpoint is configured (`OTEL_EXPORTER_OTLP_ENDPOINT` / `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`).
 * Unlike the SDK default (`otlp` to localhost), a worker with neither does not trace at all: tracing off
 * costs nothing. `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none` turn it off.
 */

export type Environment = Readonly<Record<string, string | undefined>>;

export type SamplerName = 'always_on' | 'always_off' | 'traceidratio' | 'parentbased_always_on' | 'parentbased_always_off' | 'parentbased_traceidratio';

export interface TracingConfig {
  readonly exporters: readonly ('otlp' | 'console')[];
  /** OTLP over HTTP: protobuf (the OTLP default) or JSON. */
  readonly protocol: 'http/protobuf' | 'http/json';
  /** The traces URL, when set by the environment; else the exporter's default (`http://localhost:4318/v1/traces`). */
  readonly url: string | undefined;
  readonly serviceName: string;
  /** `OTEL_RESOURCE_ATTRIBUTES`, parsed. */
  readonly resource: Readonly<Record<string, string>>;
  readonly sampler: SamplerName;
  /** `OTEL_TRACES_SAMPLER_ARG` for the ratio samplers, 0..1 (default 1). */
  readonly ratio: number;
  /** `OTEL_BSP_*`: the batch span processor; absent keys keep the SDK defaults. */
  readonly batch: {
    readonly scheduledDelayMillis?: number;
    readonly exportTimeoutMillis?: number;
    readonly maxQueueSize?: number;
    readonly maxExportBatchSize?: number;
  };
}

const SAMPLERS: readonly SamplerName[] = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'];

/** Thrown for an `OTEL_*` value the worker cannot honour; the message names the variable. */
export class TracingConfigError extends Error {
  override name = 'TracingConfigError';
}

/** The tracing configuration, or `undefined` when tracing is off. Throws {@link TracingConfigError}. */
export function tracingConfigFromEnv(env: Environment, defaultServiceName = 'modelbridge'): TracingConfig | undefined {
  if (value(env, 'OTEL_SDK_DISABLED')?.toLowerCase() === 'true') return undefined;
  const url = tracesUrl(env);
  const exporters = exportersFrom(value(env, 'OTEL_TRACES_EXPORTER'), url !== undefined);
  if (exporters.length === 0) return undefined;
  const resource = resourceAttributes(value(env, 'OTEL_RESOURCE_ATTRIBUTES'));
  return {
    exporters,
    protocol: protocolFrom(value(env, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') ?? value(env, 'OTEL_EXPORTER_OTLP_PROTOCOL')),
    url,
    serviceName: value(env, 'OTEL_SERVICE_NAME') ?? resource['service.name'] ?? defaultServiceName,
    resource,
    sampler: samplerFrom(value(env, 'OTEL_TRACES_SAMPLER')),
    ratio: ratioFrom(value(env, 'OTEL_TRACES_SAMPLER_ARG')),
    batch: {
      ...integer(env, 'OTEL_BSP_SCHEDULE_DELAY', 'scheduledDelayMillis'),
      ...integer(env, 'OTEL_BSP_EXPORT_TIMEOUT', 'exportTimeoutMillis'),
      ...integer(env, 'OTEL_BSP_MAX_QUEUE_SIZE', 'maxQueueSize'),
      ...integer(env, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 'maxExportBatchSize'),
    },
  };
}

/** A set, non-blank variable, trimmed. */
function value(env: Environment, name: string): string | undefined {
  const text = env[name]?.trim();
  return text === undefined || text === '' ? undefined : text;
}

/** Signal-specific endpoint as is; the general one gets `/v1/traces` appended, as the specification says. */
function tracesUrl(env: Environment): string | undefined {
  const traces = value(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  if (traces !== undefined) return checkedUrl(traces, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  const base = value(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  if (base === undefined) return undefined;
  return checkedUrl(`${base.replace(/\/+$/, '')}/v1/traces`, 'OTEL_EXPORTER_OTLP_ENDPOINT');
}

function checkedUrl(url: string, name: string): string {
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) throw new TracingConfigError(`${name}: expected an http(s) URL, got ${JSON.stringify(url)}`);
  return url;
}

function exportersFrom(text: string | undefined, endpointSet: boolean): TracingConfig['exporters'] {
  if (text === undefined) return endpointSet ? ['otlp'] : [];
  const names = [...new Set(text.split(',').map((name) => name.trim().toLowerCase()).filter(Boolean))];
  if (names.includes('none')) return [];
  for (const name of names) {
    if (name !== 'otlp' && name !== 'console') throw new TracingConfigError(`OTEL_TRACES_EXPORTER: ${JSON.stringify(name)} is not supported (otlp, console or none)`);
  }
  return names as ('otlp' | 'console')[];
}

function protocolFrom(text: string | undefined): TracingConfig['protocol'] {
  if (text === undefined || text === 'http/protobuf') return 'http/protobuf';
  if (text === 'http/json') return 'http/json';
  throw new TracingConfigError(`OTEL_EXPORTER_OTLP_PROTOCOL: ${JSON.stringify(text)} is not supported (http/protobuf or http/json)`);
}

function samplerFrom(text: string | undefined): SamplerName {
  if (text === undefined) return 'parentbased_always_on';
  const name = text.toLowerCase();
  if (!(SAMPLERS as readonly string[]).includes(name)) throw new TracingConfigError(`OTEL_TRACES_SAMPLER: ${JSON.stringify(text)} is not supported (${SAMPLERS.join(', ')})`);
  return name as SamplerName;
}

function ratioFrom(text: string | undefined): number {
  if (text === undefined) return 1;
  const ratio = Number(text);
  if (!Number.isFinite(ratio) || ratio < 0 || ratio > 1) throw new TracingConfigError(`OTEL_TRACES_SAMPLER_ARG: expected a ratio from 0 to 1, got ${JSON.stringify(text)}`);
  return ratio;
}

function integer<K extends string>(env: Environment, name: string, key: K): Partial<Record<K, number>> {
  const text = value(env, name);
  if (text === undefined) return {};
  const number = Number(text);
  if (!Number.isInteger(number) || number < 0) throw new TracingConfigError(`${name}: expected a non-negative integer, got ${JSON.stringify(text)}`);
  return { [key]: number } as Partial<Record<K, number>>;
}

/** `key1=value1,key2=value2`, values percent-encoded (W3C Baggage octets). */
function resourceAttributes(text: string | undefined): Record<string, string> {
  const attributes: Record<string, string> = {};
  if (text === undefined) return attributes;
  for (const pair of text.split(',')) {
    const separator = pair.indexOf('=');
    if (separator <= 0) throw new TracingConfigError(`OTEL_RESOURCE_ATTRIBUTES: expected key=value pairs separated by commas, got ${JSON.stringify(pair)}`);
    try {
      attributes[pair.slice(0, separator).trim()] = decodeURIComponent(pair.slice(separator + 1).trim());
    } catch {
      throw new TracingConfigError(`OTEL_RESOURCE_ATTRIBUTES: ${JSON.stringify(pair)} is not percent-encoded correctly`);
    }
  }
  return attributes;
}
