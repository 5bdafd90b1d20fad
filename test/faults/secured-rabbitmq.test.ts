/**
 * RabbitMQ over `amqps` with client certificates, against a private node started for this file (the
 * shared broker on 5672 is not touched): a TLS listener with `verify_peer` and `fail_if_no_peer_cert`,
 * and the EXTERNAL mechanism (the certificate's CN is the user). The test plumbing uses the node's plain
 * listener; the worker only ever sees the TLS one.
 */
import { randomBytes } from 'node:crypto';
import { connect } from 'amqplib';
import type { Channel, ChannelModel } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { fromAmqpHeaders, keyFromHeaders } from '../../connectors/rabbitmq/headers.ts';
import type { ConnectorConfigInput } from '../../schemas/connector-config.ts';
import { DLQ_HEADERS } from '../../schemas/dead-letter.ts';
import { createModelServer } from '../../services/model-server/index.ts';
import type { ModelServer } from '../../services/model-server/index.ts';
import { startRabbitmqNode } from '../support/rabbitmq-node.ts';
import type { RabbitmqNode } from '../support/rabbitmq-node.ts';
import { createTestCa } from '../support/tls.ts';
import type { KeyPair, TestCa } from '../support/tls.ts';
import { uniqueName, waitFor } from '../support/wait-for.ts';
import { captureLog, checkLedger, createTestWorker, numberedMessages, sentimentConnector } from './secured-support.ts';

type AmqpEnd = Pick<Extract<ConnectorConfigInput['source'], { kind: 'rabbitmq' }>, 'url' | 'tls' | 'auth'>;

/** The user EXTERNAL maps the client certificate to (its CN), and a user that logs in with a password. */
const CERT_USER = 'mb-worker';
const PUBLISHER = 'mb-publisher';
// A letter first: rabbitmqctl would read a password that starts with '-' as an option.
const PUBLISHER_PASSWORD = `p${randomBytes(18).toString('base64url')}`;

interface Received {
  readonly key: string;
  readonly value: Buffer;
  readonly code: string | undefined;
}

describe('secured RabbitMQ: amqps with client certificates against a private node', () => {
  let ca: TestCa;
  let client: KeyPair;
  let node: RabbitmqNode;
  let model: ModelServer;
  let plumbing: ChannelModel;
  let channel: Channel;

  beforeAll(async () => {
    ca = createTestCa();
    const server = ca.server();
    client = ca.client(CERT_USER);
    model = createModelServer();
    [node] = await Promise.all([startRabbitmqNode({ tls: { serverCert: server.cert, serverKey: server.key, clientCa: ca.cert } }), model.start()]);
    for (const [user, password] of [[CERT_USER, randomBytes(18).toString('hex')], [PUBLISHER, PUBLISHER_PASSWORD]] as const) {
      await node.ctl('add_user', user, password);
      await node.ctl('set_permissions', '-p', '/', user, '.*', '.*', '.*');
    }
    plumbing = await connect(node.url);
    plumbing.on('error', () => undefined);
    channel = await plumbing.createChannel();
  });

  afterAll(async () => {
    await plumbing?.close().catch(() => undefined);
    await model?.close();
    await node?.stop();
  });

  /** EXTERNAL: no user or password in the URL; the client certificate is the identity. */
  const external = (): AmqpEnd => ({ url: node.tlsUrl!, tls: { ca: ca.cert, cert: client.cert, key: client.key }, auth: 'external' });
  /** PLAIN over mutual TLS: the node asks every client for a certificate, whatever the mechanism. */
  const plain = (password = PUBLISHER_PASSWORD): AmqpEnd => ({
    url: node.tlsUrl!.replace('amqps://', `amqps://${PUBLISHER}:${encodeURIComponent(password)}@`),
    tls: { ca: ca.cert, cert: client.cert, key: client.key },
    auth: 'plain',
  });

  async function connector(name: string, source: AmqpEnd, sinks: AmqpEnd) {
    const base = uniqueName(name);
    const queues = { input: `${base}.in`, enriched: `${base}.enriched`, dlq: `${base}.dlq` };
    for (const queue of Object.values(queues)) await channel.assertQueue(queue, { durable: true });
    onTestFinished(async () => {
      for (const queue of Object.values(queues)) await channel.deleteQueue(queue);
    });
    const config = sentimentConnector(name, model.url, {
      source: { kind: 'rabbitmq', ...source, queue: queues.input, prefetch: 32, reconnectDelay: '100ms' },
      sink: { kind: 'rabbitmq', ...sinks, exchange: '', routingKey: queues.enriched, queue: queues.enriched, reconnectDelay: '100ms' },
      deadLetter: { kind: 'rabbitmq', ...sinks, exchange: '', routingKey: queues.dlq, queue: queues.dlq, reconnectDelay: '100ms' },
    });
    return { config, queues };
  }

  async function collect(queue: string): Promise<Received[]> {
    const received: Received[] = [];
    await channel.consume(queue, (message) => {
      if (!message) return;
      const headers = fromAmqpHeaders(message.properties.headers as Record<string, unknown> | undefined);
      const code = headers[DLQ_HEADERS.code];
      received.push({ key: String(keyFromHeaders(headers)), value: message.content, code: code === undefined ? undefined : String(code) });
      channel.ack(message);
    });
    return received;
  }

  /** The worker's broker-side connections: whether TLS, the mechanism and the user, by connection name. */
  async function connections(): Promise<Map<string, string>> {
    const rows = await node.ctl('list_connections', '--no-table-headers', 'ssl', 'auth_mechanism', 'user', 'client_properties');
    const byName = new Map<string, string>();
    for (const row of rows.split('\n')) {
      const [ssl, mechanism, user, properties] = row.split('\t');
      const name = /\{"connection_name","([^"]*)"\}/.exec(properties ?? '')?.[1];
      if (name !== undefined) byName.set(name, `${ssl} ${mechanism} ${user}`);
    }
    return byName;
  }

  it('the source logs in with EXTERNAL, the sinks with PLAIN, all over mutual TLS; every id accounted for', async () => {
    const name = 'sec-amqp-mtls';
    const { config, queues } = await connector(name, external(), plain());
    const messages = numberedMessages(name, 100);
    for (const m of messages) {
      channel.sendToQueue(queues.input, Buffer.from(m.value), { persistent: true, contentType: 'application/json', headers: { ...m.headers, cloudEvents_partitionkey: m.id } });
    }
    const [enriched, letters] = await Promise.all([collect(queues.enriched), collect(queues.dlq)]);
    const worker = createTestWorker(config);
    onTestFinished(() => worker.close(2000));
    await worker.start();
    await waitFor(() => enriched.length + letters.length >= messages.length, { timeoutMs: 30_000, what: `${messages.length} outputs of ${name}` });

    const seen = await connections();
    expect(seen.get(`modelbridge source ${queues.input}`)).toBe(`true EXTERNAL ${CERT_USER}`);
    expect(seen.get(`modelbridge sink ${queues.enriched}`)).toBe(`true PLAIN ${PUBLISHER}`);
    expect(seen.get(`modelbridge sink ${queues.dlq}`)).toBe(`true PLAIN ${PUBLISHER}`);
    const enrichedIds = enriched.map((r) => (JSON.parse(r.value.toString()) as { data: { input: { id: string } } }).data.input.id);
    const ledger = checkLedger(name, messages.map((m) => m.id), enrichedIds, letters.map((r) => r.key));
    expect(ledger.deadLettered).toBe(4);
    expect(letters.map((r) => r.code)).toEqual(Array(4).fill('MALFORMED_PAYLOAD'));
  });

  /** Starts a worker that must fail; returns the error and the log of its attempt. */
  async function failedStart(name: string, source: AmqpEnd, sinks: AmqpEnd) {
    const { config } = await connector(name, source, sinks);
    const log = captureLog();
    const worker = createTestWorker(config, log.logger);
    onTestFinished(() => worker.close(1000));
    const error = await worker.start().then(() => undefined, (thrown: unknown) => thrown);
    expect(worker.state).toBe('failed');
    return { error: error as Error & { code?: string; stage?: string }, log };
  }

  it('a wrong password: worker.start() rejects with BROKER_AUTH_FAILED and no reconnect is ever scheduled', async () => {
    const { error, log } = await failedStart('sec-amqp-badpw', plain('not-the-password'), external());
    expect(error).toMatchObject({ code: 'BROKER_AUTH_FAILED', stage: 'receive', upstreamStatus: 403 });
    expect(error.message).toMatch(/RabbitMQ refused the login/);
    // A retry loop would schedule a reconnect every 100-200 ms; give it ten times that to show up.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(log.lines.filter((line) => line.msg === 'amqp reconnect scheduled')).toEqual([]);
    expect(log.lines.filter((line) => line.msg === 'amqp connection refused; not retrying')).toHaveLength(1);
  });

  it('EXTERNAL with a certificate whose CN is no user: the sinks fail with BROKER_AUTH_FAILED', async () => {
    const stranger = ca.client('nobody-we-know');
    const { error } = await failedStart('sec-amqp-nouser', external(), { ...external(), tls: { ca: ca.cert, cert: stranger.cert, key: stranger.key } });
    expect(error).toMatchObject({ code: 'BROKER_AUTH_FAILED', stage: 'publish' });
  });

  it('an untrusted server certificate: BROKER_TLS_FAILED naming the CA check', async () => {
    const other = createTestCa('another CA');
    const { error } = await failedStart('sec-amqp-badca', { ...external(), tls: { ca: other.cert, cert: client.cert, key: client.key } }, external());
    expect(error).toMatchObject({ code: 'BROKER_TLS_FAILED', stage: 'receive' });
    expect(error.message).toMatch(/RabbitMQ TLS handshake failed \(\w+\): the broker's certificate is not trusted/);
  });

  it('a server name the certificate does not cover (tls.serverName): BROKER_TLS_FAILED', async () => {
    const elsewhere = { ...external(), tls: { ca: ca.cert, cert: client.cert, key: client.key, serverName: 'rabbitmq.elsewhere.example' } };
    const { error } = await failedStart('sec-amqp-badname', elsewhere, external());
    expect(error).toMatchObject({ code: 'BROKER_TLS_FAILED', stage: 'receive', upstreamStatus: 'ERR_TLS_CERT_ALTNAME_INVALID' });
  });

  it('no client certificate: the node refuses the handshake, BROKER_TLS_FAILED', async () => {
    const { error } = await failedStart('sec-amqp-nocert', { url: plain().url, tls: { ca: ca.cert }, auth: 'plain' }, external());
    expect(error).toMatchObject({ code: 'BROKER_TLS_FAILED', stage: 'receive' });
    expect(error.message).toMatch(/the broker refused the TLS handshake/);
  });
});
