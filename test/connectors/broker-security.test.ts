import { KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded, KafkaJSSASLAuthenticationError } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { tlsConnectionOptions, tlsFailure } from '../../connectors/broker-security.ts';
import { toConnectRefusal } from '../../connectors/kafka/errors.ts';
import { toAmqpRefusal } from '../../connectors/rabbitmq/connection.ts';
import { kafkaSinkSchema, rabbitmqSinkSchema, rabbitmqSourceSchema } from '../../schemas/connector-config.ts';
import { loadConnectorConfig, maskSecrets } from '../../schemas/load-config.ts';
import { createTestCa } from '../support/tls.ts';

const ca = createTestCa();
const client = ca.client('mb-worker');

describe('broker TLS configuration', () => {
  it('Kafka `ssl` is a boolean or the TLS settings; a certificate needs its key', () => {
    const base = { kind: 'kafka', brokers: ['b:9093'], topic: 't' };
    expect(kafkaSinkSchema.parse(base).ssl).toBe(false);
    expect(kafkaSinkSchema.parse({ ...base, ssl: true }).ssl).toBe(true);
    expect(kafkaSinkSchema.parse({ ...base, ssl: { ca: 'PEM', cert: 'PEM', key: 'PEM', serverName: 'kafka.internal' } }).ssl).toMatchObject({ serverName: 'kafka.internal' });
    expect(kafkaSinkSchema.safeParse({ ...base, ssl: { cert: 'PEM' } }).success).toBe(false);
    expect(kafkaSinkSchema.safeParse({ ...base, ssl: { ca: 'PEM', verify: false } }).success).toBe(false);
  });

  it('RabbitMQ `tls` needs an amqps:// url, and `auth: external` a client certificate', () => {
    const source = { kind: 'rabbitmq', url: 'amqps://broker:5671', queue: 'q' };
    expect(rabbitmqSourceSchema.parse(source)).toMatchObject({ auth: 'plain' });
    expect(rabbitmqSourceSchema.parse({ ...source, tls: { ca: 'PEM', cert: 'PEM', key: 'PEM' }, auth: 'external' })).toMatchObject({ auth: 'external' });
    const issues = (input: object): string[] => rabbitmqSinkSchema.safeParse(input).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];
    expect(issues({ kind: 'rabbitmq', url: 'amqp://broker', tls: { ca: 'PEM' } })).toEqual(['tls: needs an amqps:// url']);
    expect(issues({ kind: 'rabbitmq', url: 'amqps://broker', auth: 'external' })).toEqual(['auth: external needs a client certificate (tls.cert and tls.key)']);
  });

  it('loads the PEM material once, and names the field when it is not usable', () => {
    expect(tlsConnectionOptions({ ca: ca.cert, cert: client.cert, key: client.key, serverName: 'kafka.internal' }, 'kafka ssl')).toEqual({
      ca: ca.cert,
      cert: client.cert,
      key: client.key,
      servername: 'kafka.internal',
    });
    expect(() => tlsConnectionOptions({ cert: client.cert, key: 'not a key' }, 'rabbitmq tls')).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringMatching(/^rabbitmq tls: the CA, certificate or key cannot be loaded \(ERR_OSSL_/) }),
    );
  });

  it('masks the private key and its passphrase in config dumps', () => {
    const yaml = `
name: secured
source: { kind: rabbitmq, url: "amqps://broker:5671", queue: q, tls: { cert: CERT, key: PRIVATE-KEY, passphrase: hush }, auth: external }
inference: { backend: { kind: kserve-http, url: "http://m:8000", model: m }, request: { inputs: { T: data.t } }, response: { l: "outputs.L[0]" } }
sink: { kind: kafka, brokers: ["b:9093"], topic: out, ssl: { ca: CA } }
deadLetter: { kind: kafka, brokers: ["b:9093"], topic: dlq }
`;
    const masked = maskSecrets(loadConnectorConfig(yaml, { env: {}, readFile: () => '' }));
    expect(masked.source).toMatchObject({ tls: { cert: 'CERT', key: '***', passphrase: '***' } });
  });
});

describe('refusals that end start-up', () => {
  const verify = Object.assign(new Error('unable to verify the first certificate'), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
  const alert = Object.assign(new Error('ssl3_read_bytes:tlsv13 alert certificate required'), { code: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED' });

  it('recognises TLS failures by code through kafkajs wrappers, and nothing else', () => {
    const wrapped = new KafkaJSNumberOfRetriesExceeded(new KafkaJSConnectionError(verify, { code: verify.code } as never), { retryCount: 5, retryTime: 1 } as never);
    expect(tlsFailure(wrapped)?.code).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    expect(tlsFailure(alert)?.hint).toMatch(/refused the TLS handshake/);
    expect(tlsFailure(Object.assign(new Error('x'), { code: 'ERR_SSL_WRONG_VERSION_NUMBER' }))?.hint).toMatch(/does not speak TLS/);
    const refused = new KafkaJSConnectionError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), { code: 'ECONNREFUSED' } as never);
    expect(tlsFailure(refused)).toBeUndefined();
    expect(toConnectRefusal(refused, 'receive')).toBeUndefined();
  });

  it('Kafka: refused SASL credentials are BROKER_AUTH_FAILED, a TLS failure BROKER_TLS_FAILED', () => {
    // kafkajs's typings declare no constructor arguments; the class takes a message like every KafkaJSError.
    const sasl = new (KafkaJSSASLAuthenticationError as unknown as new (message: string) => Error)('SASL SCRAM SHA512 authentication failed');
    expect(toConnectRefusal(sasl, 'receive')).toMatchObject({ code: 'BROKER_AUTH_FAILED', stage: 'receive', retryable: false });
    expect(toConnectRefusal(verify, 'publish')).toMatchObject({ code: 'BROKER_TLS_FAILED', stage: 'publish', upstreamStatus: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
  });

  it('RabbitMQ: a login refused during the handshake is BROKER_AUTH_FAILED with the reply code; a socket error is not a refusal', () => {
    const refused = new Error('Handshake terminated by server: 403 (ACCESS-REFUSED) with message "ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN."');
    expect(toAmqpRefusal(refused, 'publish')).toMatchObject({ code: 'BROKER_AUTH_FAILED', stage: 'publish', upstreamStatus: 403 });
    expect(toAmqpRefusal(new Error('SASL mechanism EXTERNAL is not provided by the server'), 'receive')).toMatchObject({ code: 'BROKER_AUTH_FAILED' });
    expect(toAmqpRefusal(alert, 'receive')).toMatchObject({ code: 'BROKER_TLS_FAILED' });
    expect(toAmqpRefusal(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5671'), { code: 'ECONNREFUSED' }), 'receive')).toBeUndefined();
    expect(toAmqpRefusal(new Error('Socket closed abruptly during opening handshake'), 'receive')).toBeUndefined();
  });
});
