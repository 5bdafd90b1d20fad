/**
 * pino options that write Elastic Common Schema (ECS) JSON lines, for Elasticsearch and Kibana:
 *
 *   {"log.level":"warn","@timestamp":"…","ecs.version":"8.10.0","service.name":"modelbridge",
 *    "process.pid":1,"host.hostname":"h","modelbridge.connector":"c","event":{"id":"…"},
 *    "trace":{"id":"…"},"span":{"id":"…"},"modelbridge":{"code":"…"},"message":"…"}
 *
 * ECS fields: `@timestamp`, `log.level`, `message`, `ecs.version`, `service.name`, `process.pid`,
 * `host.hostname`, `event.id` (the event's id), `trace.id` and `span.id` (from the W3C `traceparent`
 * logged with it), `error.*` (from `err`). Every other field goes under `modelbridge` (dotted for
 * child-logger bindings such as the connector, nested for the line's own fields), so no field of ours
 * collides with an ECS one.
 */
import { hostname } from 'node:os';
import { stdSerializers } from 'pino';
import type { Logger, LoggerOptions } from 'pino';

export const ECS_VERSION = '8.10.0';

/** Where our own fields go. */
const NAMESPACE = 'modelbridge';

export interface EcsFormatOptions {
  readonly serviceName: string;
  readonly serviceVersion?: string | undefined;
  /** Overrides for a reproducible line (tests). */
  readonly now?: () => Date;
  readonly pid?: number;
  readonly hostname?: string;
}

/** Options to merge into `pino(...)`: message key, timestamp, base and formatters. */
export function ecsFormat(options: EcsFormatOptions): Pick<LoggerOptions, 'messageKey' | 'timestamp' | 'base' | 'formatters'> {
  const now = options.now ?? (() => new Date());
  return {
    messageKey: 'message',
    timestamp: () => `,"@timestamp":"${now().toISOString()}"`,
    // Already in ECS form: the bindings formatter passes dotted names through unchanged.
    base: {
      'ecs.version': ECS_VERSION,
      'service.name': options.serviceName,
      ...(options.serviceVersion === undefined ? {} : { 'service.version': options.serviceVersion }),
      'process.pid': options.pid ?? process.pid,
      'host.hostname': options.hostname ?? hostname(),
    },
    formatters: {
      level: (label) => ({ 'log.level': label }),
      bindings: namespaceBindings,
      log: ecsFields,
    },
  };
}

/**
 * The redaction paths of the plain JSON format, for the ECS one: each path as given (ECS fields) and
 * under the namespace, where the ECS format moves the line's own fields.
 */
export function ecsRedactPaths(paths: readonly string[]): string[] {
  return [...paths, ...paths.map((path) => `${NAMESPACE}.${path}`)];
}

/**
 * Makes child loggers of `logger` (and theirs) put their bindings under the namespace too: pino applies
 * `formatters.bindings` to the base bindings only.
 */
export function namespaceChildBindings<T extends Logger>(logger: T): T {
  const child = logger.child;
  logger.child = function (this: Logger, bindings: Record<string, unknown>, options?: object) {
    return child.call(this, namespaceBindings(bindings), options);
  } as T['child'];
  return logger;
}

/** Bindings (`connector`, `component`…) as dotted `modelbridge.*` names; ECS (dotted) names unchanged. */
function namespaceBindings(bindings: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key in bindings) out[key.includes('.') ? key : `${NAMESPACE}.${key}`] = bindings[key];
  return out;
}

const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** One line's fields: ECS ones mapped, the rest under `modelbridge`. */
function ecsFields(object: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  let own: Record<string, unknown> | undefined;
  for (const key in object) {
    const value = object[key];
    if (value === undefined) continue;
    if (key === 'eventId') out.event = { id: value };
    else if (key === 'traceparent' && typeof value === 'string' && TRACEPARENT.test(value)) {
      out.trace = { id: value.slice(3, 35) };
      out.span = { id: value.slice(36, 52) };
    } else if ((key === 'err' || key === 'error') && value instanceof Error) out.error = ecsError(value);
    else (own ??= {})[key] = value;
  }
  if (own !== undefined) out[NAMESPACE] = own;
  return out;
}

/** ECS `error.*`: type, message, code (ours), and the stack trace with its causes. */
function ecsError(error: Error): Record<string, unknown> {
  const serialized = stdSerializers.err(error);
  const code = (error as { code?: unknown }).code;
  return {
    type: serialized.type,
    message: serialized.message,
    ...(typeof code === 'string' || typeof code === 'number' ? { code: String(code) } : {}),
    ...(serialized.stack ? { stack_trace: serialized.stack } : {}),
  };
}
