import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ModelbridgeError } from '../../../schemas/errors.ts';
import { ecsFormat, ecsRedactPaths, namespaceChildBindings } from '../../../services/telemetry/ecs-format.ts';
import { REDACT_PATHS, createLogger } from '../../../services/telemetry/logging.ts';
import type { LogFormat } from '../../../services/telemetry/logging.ts';

function collector(): { stream: Writable; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return { stream, lines };
}

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('ECS log format with pino 10', () => {
  it('writes the golden line: ECS fields mapped, our fields under modelbridge, secrets redacted', () => {
    const { stream, lines } = collector();
    const options = ecsFormat({ serviceName: 'modelbridge', now: () => new Date('2026-11-30T12:00:00.000Z'), pid: 4242, hostname: 'worker-1' });
    const logger = namespaceChildBindings(pino({ level: 'info', redact: { paths: ecsRedactPaths(REDACT_PATHS), censor: '[redacted]' }, ...options }, stream));
    const error = new ModelbridgeError('INFERENCE_REJECTED', 'HTTP 400: bad input');
    error.stack = 'ModelbridgeError: HTTP 400: bad input\n    at infer (client.ts:1:1)';
    logger
      .child({ connector: 'case-priority' })
      .warn({ eventId: 'ev-1', traceparent: TRACEPARENT, code: 'INFERENCE_REJECTED', attempts: 2, err: error, source: { password: 'hunter2' } }, 'dead-lettering: HTTP 400');
    expect(lines).toEqual([
      '{"log.level":"warn","@timestamp":"2026-11-30T12:00:00.000Z","ecs.version":"8.10.0","service.name":"modelbridge","process.pid":4242,"host.hostname":"worker-1",' +
        '"modelbridge.connector":"case-priority","event":{"id":"ev-1"},"trace":{"id":"4bf92f3577b34da6a3ce929d0e0e4736"},"span":{"id":"00f067aa0ba902b7"},' +
        '"error":{"type":"ModelbridgeError","message":"HTTP 400: bad input","code":"INFERENCE_REJECTED","stack_trace":"ModelbridgeError: HTTP 400: bad input\\n    at infer (client.ts:1:1)"},' +
        '"modelbridge":{"code":"INFERENCE_REJECTED","attempts":2,"source":{"password":"[redacted]"}},"message":"dead-lettering: HTTP 400"}',
    ]);
  });

  it('leaves a malformed traceparent where it was, and a line without own fields has no modelbridge object', () => {
    const { stream, lines } = collector();
    const logger = pino({ ...ecsFormat({ serviceName: 's' }) }, stream);
    logger.info({ traceparent: 'not-a-traceparent' }, 'one');
    logger.info('two');
    expect(JSON.parse(lines[0]!)).toMatchObject({ modelbridge: { traceparent: 'not-a-traceparent' }, message: 'one' });
    expect(JSON.parse(lines[0]!)).not.toHaveProperty('trace');
    expect(JSON.parse(lines[1]!)).not.toHaveProperty('modelbridge');
  });

  it.each<LogFormat>(['json', 'ecs'])('redacts passwords, SASL settings and authorization headers in the %s format', (format) => {
    const { stream, lines } = collector();
    const logger = createLogger({ format, level: 'info', serviceName: 'modelbridge' }, stream);
    const child = logger.child({ connector: 'c' }).child({ component: 'kafka' });
    child.info({ password: 'p-top-secret', config: { password: 'p-nested-secret', broker: { password: 'p-deep-secret' } } }, 'a');
    child.info({ source: { sasl: { mechanism: 'plain', username: 'u', password: 'p-sasl-secret' } } }, 'b');
    child.info({ headers: { authorization: 'Bearer t-top-secret' }, request: { headers: { authorization: 'Bearer t-nested-secret', Authorization: 'Bearer t-cap-secret' } } }, 'c');
    expect(lines).toHaveLength(3);
    const text = lines.join('\n');
    expect(text).not.toMatch(/-secret/);
    expect(text.match(/\[redacted\]/g)?.length).toBe(7);
    if (format === 'ecs') expect(JSON.parse(lines[0]!)).toMatchObject({ 'modelbridge.connector': 'c', 'modelbridge.component': 'kafka', 'service.name': 'modelbridge' });
  });
});
