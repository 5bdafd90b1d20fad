/**
 * Secured Kafka against a real broker started for this file from the Kafka jars, with two secured
 * listeners next to its PLAINTEXT one: SSL with required client certificates (mutual TLS) and SASL_SSL
 * with SCRAM-SHA-512 (users written at format time). Certificates and the password are made here. The
 * test plumbing (topics, input, reading output back) uses the PLAINTEXT listener; the worker only ever
 * sees a secured one, so what it consumed and published went through TLS (and SCRAM).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { stringify } from 'yaml';
import type { ConnectorConfigInput } from '../../schemas/connector-config.ts';
import { DLQ_HEADERS } from '../../schemas/dead-letter.ts';
import { createModelServer } from '../../services/model-server/index.ts';
import type { ModelServer } from '../../services/model-server/index.ts';
import { startKafkaBroker } from '../../scripts/kafka-broker/broker.ts';
import type { KafkaBroker } from '../../scripts/kafka-broker/broker.ts';
import { produce, readAll, testKafka } from '../support/kafka.ts';
import { createTestCa } from '../support/tls.ts';
import type { KeyPair, TestCa } from '../support/tls.ts';
import { uniqueName, waitFor } from '../support/wait-for.ts';
import { checkLedger, createTestWorker, numberedMessages, sentimentConnector } from './secured-support.ts';

type KafkaConnection = Pick<Extract<ConnectorConfigInput['source'], { kind: 'kafka' }>, 'brokers' | 'ssl' | 'sasl'>;

const USER = 'mb-worker';
const PASSWORD = randomBytes(18).toString('base64url');

describe('secured Kafka: TLS, mutual TLS and SASL/SCRAM-SHA-512 against a real broker', () => {
  let ca: TestCa;
  let client: KeyPair;
  let broker: KafkaBroker;
  let model: ModelServer;

  beforeAll(async () => {
    ca = createTestCa();
    const server = ca.server();
    client = ca.client(USER);
    model = createModelServer();
    [broker] = await Promise.all([
      startKafkaBroker({
        security: { serverCert: server.cert, serverKey: server.key, clientCa: ca.cert, ssl: { clientAuth: 'required' }, scramUsers: [{ username: USER, password: PASSWORD }] },
      }),
      model.start(),
    ]);
  });

  afterAll(async () => {
    await model?.close();
    await broker?.stop();
  });

  const mutualTls = (): KafkaConnection => ({ brokers: broker.secured.ssl!, ssl: { ca: ca.cert, cert: client.cert, key: client.key } });
  const scram = (password = PASSWORD): KafkaConnection => ({
    brokers: broker.secured.saslSsl!,
    ssl: { ca: ca.cert },
    sasl: { mechanism: 'scram-sha-512', username: USER, password },
  });

  /** Unique topics (created over PLAINTEXT) and a connector whose ends all use `connection`. */
  async function connector(name: string, source: KafkaConnection, sinks: KafkaConnection = source) {
    const base = uniqueName(name);
    const [input, enriched, dlq] = [`${base}.in`, `${base}.enriched`, `${base}.dlq`];
    const admin = testKafka(broker.brokers).admin();
    await admin.connect();
    try {
      const topics = [input, enriched, dlq];
      await admin.createTopics({ waitForLeaders: false, topics: topics.map((topic) => ({ topic, numPartitions: 1 })) });
      // kafkajs's own waitForLeaders gives up on the UNKNOWN_TOPIC_OR_PARTITION a broker answers while
      // its metadata lags the controller by a moment; wait for the leaders here instead.
      await waitFor(async () => (await admin.fetchTopicMetadata({ topics })).topics.every((t) => t.partitions.every((p) => p.leader >= 0)), {
        timeoutMs: 10_000,
        what: `leaders of ${base}`,
      });
    } finally {
      await admin.disconnect();
    }
    onTestFinished(() => deleteTopics([input, enriched, dlq]));
    const config = sentimentConnector(name, model.url, {
      source: { kind: 'kafka', ...source, topic: input, group: `${base}.worker`, commitInterval: '200ms' },
      sink: { kind: 'kafka', ...sinks, topic: enriched },
      deadLetter: { kind: 'kafka', ...sinks, topic: dlq },
    });
    return { config, topics: { input, enriched, dlq } };
  }

  async function deleteTopics(topics: string[]): Promise<void> {
    const admin = testKafka(broker.brokers).admin();
    await admin.connect();
    await admin.deleteTopics({ topics }).finally(() => admin.disconnect());
  }

  async function roundTrip(name: string, connection: KafkaConnection): Promise<void> {
    const { config, topics } = await connector(name, connection);
    const messages = numberedMessages(name, 100);
    await produce(broker.brokers, topics.input, messages.map((m) => ({ key: m.id, value: m.value, headers: m.headers })));
    const worker = createTestWorker(config);
    onTestFinished(() => worker.close(2000));
    await worker.start();

    const admin = testKafka(broker.brokers).admin();
    await admin.connect();
    onTestFinished(() => admin.disconnect());
    const written = async (topic: string): Promise<number> => Number((await admin.fetchTopicOffsets(topic))[0]!.high);
    await waitFor(async () => (await written(topics.enriched)) + (await written(topics.dlq)) >= messages.length, {
      timeoutMs: 30_000,
      intervalMs: 200,
      what: `${messages.length} outputs of ${name}`,
    });
    const [enriched, letters] = await Promise.all([readAll(broker.brokers, topics.enriched), readAll(broker.brokers, topics.dlq)]);
    const enrichedIds = enriched.map((r) => (JSON.parse(r.value!.toString()) as { data: { input: { id: string } } }).data.input.id);
    const ledger = checkLedger(name, messages.map((m) => m.id), enrichedIds, letters.map((r) => r.key!.toString()));
    // The four truncated messages, and only they, are dead letters; the rest were enriched by the model.
    expect(ledger.deadLettered).toBe(4);
    expect(letters.map((r) => r.headers[DLQ_HEADERS.code]!.toString())).toEqual(Array(4).fill('MALFORMED_PAYLOAD'));
    expect(enriched.every((r) => /"sentiment":"(positive|negative)"/.test(r.value!.toString()))).toBe(true);
  }

  it('mutual TLS: a worker with a client certificate consumes, enriches and publishes through the SSL listener', async () => {
    await roundTrip('sec-kafka-mtls', mutualTls());
  });

  it('SASL_SSL with SCRAM-SHA-512: a worker consumes, enriches and publishes through the SASL_SSL listener', async () => {
    await roundTrip('sec-kafka-scram', scram());
  });

  it('a wrong SCRAM password: worker.start() rejects with BROKER_AUTH_FAILED from the source, not a retry loop', async () => {
    const { config } = await connector('sec-kafka-badpw', scram('not-the-password'), scram());
    const error = await failedStart(config);
    expect(error).toMatchObject({ code: 'BROKER_AUTH_FAILED', stage: 'receive', retryable: false });
    expect(error.message).toMatch(/Kafka refused the SASL credentials/);
  });

  /** Starts a worker over `config` that must fail, and returns its error. */
  async function failedStart(config: ConnectorConfigInput): Promise<Error> {
    const worker = createTestWorker(config);
    onTestFinished(() => worker.close(1000));
    const error = await worker.start().then(() => undefined, (thrown: unknown) => thrown);
    expect(worker.state).toBe('failed');
    return error as Error;
  }

  it('TLS refused either way: an untrusted broker certificate, and no client certificate on the mutual-TLS listener', async () => {
    // Both run at once: kafkajs retries a failed TLS connection (about 10 s) before it gives up.
    const stranger = createTestCa('another CA');
    const [untrusted, noCert] = await Promise.all([
      connector('sec-kafka-badca', { brokers: broker.secured.ssl!, ssl: { ca: stranger.cert, cert: client.cert, key: client.key } }),
      connector('sec-kafka-nocert', { brokers: broker.secured.ssl!, ssl: { ca: ca.cert } }, mutualTls()),
    ]);
    const [untrustedError, noCertError] = await Promise.all([failedStart(untrusted.config), failedStart(noCert.config)]);
    // The sinks connect first, so with the wrong CA everywhere their producer is the one that reports it.
    expect(untrustedError).toMatchObject({ code: 'BROKER_TLS_FAILED', stage: 'publish', retryable: false });
    expect(untrustedError.message).toMatch(/Kafka TLS handshake failed \(\w+\): the broker's certificate is not trusted/);
    // Only the source lacks a certificate: the consumer reports the broker's refusal.
    expect(noCertError).toMatchObject({ code: 'BROKER_TLS_FAILED', stage: 'receive' });
    expect(noCertError.message).toMatch(/the broker refused the TLS handshake/);
  });

  it('`modelbridge run` with a wrong password exits 1 saying why, without printing the password', async () => {
    const { config } = await connector('sec-kafka-cli', mutualTls(), scram('wrong-and-secret-42'));
    const dir = mkdtempSync(join(tmpdir(), 'mb-secured-cli-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'connector.yaml'), stringify(config));
    const child = spawn(process.execPath, ['services/cli/main.ts', 'run', '--config', join(dir, 'connector.yaml'), '--port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(stderr).toMatch(/^cannot start: BROKER_AUTH_FAILED: Kafka refused the SASL credentials/m);
    expect(output).toMatch(/"msg":"worker failed to start"/);
    expect(output + stderr).not.toContain('wrong-and-secret-42');
  });
});
