/**
 * The process logger: pino JSON lines (`json`, the default) or Elastic Common Schema lines (`ecs`, see
 * ecs-format.ts). Secrets are redacted by path in either format.
 */
import { pino } from 'pino';
import type { DestinationStream, Logger } from 'pino';
import { ecsFormat, ecsRedactPaths, namespaceChildBindings } from './ecs-format.ts';

export const LOG_FORMATS = ['json', 'ecs'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** Fields whose values never reach a log line. */
export const REDACT_PATHS: readonly string[] = [
  'password',
  '*.password',
  '*.*.password',
  '*.sasl',
  'headers.authorization',
  '*.headers.authorization',
  '*.headers.Authorization',
];

const CENSOR = '[redacted]';

export interface LoggerSettings {
  readonly format: LogFormat;
  readonly level: string;
  readonly serviceName: string;
}

export function createLogger(settings: LoggerSettings, destination: DestinationStream): Logger {
  if (settings.format === 'json') {
    return pino({ level: settings.level, redact: { paths: [...REDACT_PATHS], censor: CENSOR }, base: { service: settings.serviceName } }, destination);
  }
  const options = { level: settings.level, redact: { paths: ecsRedactPaths(REDACT_PATHS), censor: CENSOR }, ...ecsFormat({ serviceName: settings.serviceName }) };
  return namespaceChildBindings(pino(options, destination));
}

/** `value` as a log format; throws naming the choices. */
export function parseLogFormat(value: string): LogFormat {
  if (!(LOG_FORMATS as readonly string[]).includes(value)) throw new Error(`expected ${LOG_FORMATS.join(' or ')}, got ${JSON.stringify(value)}`);
  return value as LogFormat;
}
