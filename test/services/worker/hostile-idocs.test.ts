/**
 * Issue acceptance: hostile XML ends as a dead letter with a clear reason through the real pipeline
 * (the IDoc decoder, the worker, the memory transport), and the worker keeps going.
 */
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryBroker, createMemorySink, createMemorySource } from '../../../connectors/memory/index.ts';
import { createRegistry } from '../../../connectors/registry.ts';
import type { InferenceClient, InferenceRequest } from '../../../connectors/types.ts';
import { connectorConfigSchema } from '../../../schemas/connector-config.ts';
import { DLQ_HEADERS } from '../../../schemas/dead-letter.ts';
import { createConnector } from '../../../services/worker/connector.ts';
import type { ConnectorRuntime } from '../../../services/worker/connector.ts';
import { createWorkerMetrics } from '../../../services/worker/metrics.ts';
import { sapFixture } from '../../fixtures/sap/fixtures.ts';
import { waitFor } from '../../support/wait-for.ts';

let running: ConnectorRuntime | undefined;
afterEach(async () => {
  await running?.close(1000);
});

/** Counts line items; the model is not what this test is about. */
const client: InferenceClient & { calls: InferenceRequest[] } = {
  kind: 'kserve-http',
  model: 'm',
  version: undefined,
  calls: [],
  async infer(request) {
    client.calls.push(request);
    return { modelName: 'm', modelVersion: '1', outputs: { N: [([] as unknown[]).concat(request.inputs.ITEMS).length] } };
  },
  async ready() {
    return true;
  },
  async close() {},
};

describe('hostile IDocs through the worker', () => {
  it('dead-letters billion laughs, external entities and an oversized IDoc with their reasons; good IDocs still flow', async () => {
    const config = connectorConfigSchema.parse({
      name: 'idocs',
      source: { kind: 'memory', stream: 'in', maxMessageBytes: '256KiB' },
      decode: { format: 'sap-idoc' },
      inference: {
        backend: { kind: 'kserve-http', url: 'http://127.0.0.1:1', model: 'm' },
        request: { inputs: { ITEMS: 'data.segments.E1EDP01.POSEX' } },
        response: { items: 'outputs.N[0]' },
      },
      sink: { kind: 'memory', stream: 'out' },
      deadLetter: { kind: 'memory', stream: 'dlq' },
    });
    const broker = createMemoryBroker();
    running = createConnector(config, {
      source: createMemorySource(config.source as never, broker),
      sink: createMemorySink({ kind: 'memory', stream: 'out' }, broker),
      deadLetter: createMemorySink({ kind: 'memory', stream: 'dlq' }, broker),
      decoder: createRegistry().createDecoder(config.decode),
      client,
      logger: pino({ level: 'silent' }),
      metrics: createWorkerMetrics(new Registry()),
    });
    await running.start();
    const good = sapFixture('orders05.xml').toString('utf8');
    const oversized = good.replace('</IDOC>', `<Z1PAD SEGMENT="1"><F>${'x'.repeat(300 * 1024)}</F></Z1PAD></IDOC>`);
    const inputs: [string, string][] = [
      ['billion-laughs', sapFixture('billion-laughs.xml').toString('utf8')],
      ['xxe', sapFixture('xxe.xml').toString('utf8')],
      ['oversized', oversized],
      ['good', good],
    ];
    for (const [name, xml] of inputs) {
      broker.publish('in', { key: Buffer.from(name), value: Buffer.from(xml), headers: { 'content-type': 'application/xml' }, contentType: 'application/xml' });
    }
    await waitFor(() => broker.stream('dlq').log.length === 3 && broker.stream('out').log.length === 1);
    const byKey = new Map(broker.stream('dlq').log.map((m) => [m.key!.toString(), m]));
    expect(byKey.get('billion-laughs')!.headers[DLQ_HEADERS.code]).toBe('UNSAFE_PAYLOAD');
    expect(byKey.get('xxe')!.headers[DLQ_HEADERS.code]).toBe('UNSAFE_PAYLOAD');
    expect(byKey.get('oversized')!.headers[DLQ_HEADERS.code]).toBe('MESSAGE_TOO_LARGE');
    for (const letter of byKey.values()) {
      expect(String(letter.headers[DLQ_HEADERS.message]).length).toBeGreaterThan(10);
      expect(letter.headers[DLQ_HEADERS.retryable]).toBe('false');
    }
    expect(byKey.get('xxe')!.value!.equals(sapFixture('xxe.xml'))).toBe(true);
    expect(String(byKey.get('billion-laughs')!.headers[DLQ_HEADERS.message])).toMatch(/DOCTYPE|entit/i);
    expect(client.calls).toHaveLength(1);
  });
});
