/**
 * `modelbridge_events_keyed_by_id_total` counts the events whose ordering key fell back to their own id:
 * no key from the payload, no message key. Through the real pipeline with the sap-event decoder.
 */
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryBroker, createMemorySink, createMemorySource } from '../../../connectors/memory/index.ts';
import { createRegistry } from '../../../connectors/registry.ts';
import type { InferenceClient } from '../../../connectors/types.ts';
import { connectorConfigSchema } from '../../../schemas/connector-config.ts';
import { createConnector, type ConnectorRuntime } from '../../../services/worker/connector.ts';
import { createWorkerMetrics } from '../../../services/worker/metrics.ts';
import { waitFor } from '../../support/wait-for.ts';

let running: ConnectorRuntime | undefined;
afterEach(async () => {
  await running?.close(1000);
});

const client: InferenceClient = {
  kind: 'kserve-http',
  model: 'm',
  version: undefined,
  async infer() {
    return { modelName: 'm', modelVersion: '1', outputs: { OK: [1] } };
  },
  async ready() {
    return true;
  },
  async close() {},
};

describe('key fallback metric', () => {
  it('counts an SAP event with no business key and no message key, and only that one', async () => {
    const config = connectorConfigSchema.parse({
      name: 'sap-events',
      source: { kind: 'memory', stream: 'in' },
      decode: { format: 'sap-event' },
      inference: { backend: { kind: 'kserve-http', url: 'http://127.0.0.1:1', model: 'm' }, request: { inputs: { X: 'data' } }, response: { ok: 'outputs.OK[0]' } },
      sink: { kind: 'memory', stream: 'out' },
      deadLetter: { kind: 'memory', stream: 'dlq' },
    });
    const broker = createMemoryBroker();
    const registry = new Registry();
    running = createConnector(config, {
      source: createMemorySource(config.source as never, broker),
      sink: createMemorySink({ kind: 'memory', stream: 'out' }, broker),
      deadLetter: createMemorySink({ kind: 'memory', stream: 'dlq' }, broker),
      decoder: createRegistry().createDecoder(config.decode),
      client,
      logger: pino({ level: 'silent' }),
      metrics: createWorkerMetrics(registry),
    });
    await running.start();
    const freightOrder = readFileSync(new URL('../../fixtures/real/s4-freightorder-created-740207565.json', import.meta.url));
    const unkeyed = Buffer.from(JSON.stringify({ specversion: '1.0', id: 'no-key-1', source: '/default/sap.s4.beh/X', type: 'sap.s4.beh.Shipment.Created.v1', data: { ShipmentType: 'A', Carrier: '1' } }));
    const headers = { 'content-type': 'application/json' };
    broker.publish('in', { key: null, value: freightOrder, headers, contentType: 'application/json' });
    broker.publish('in', { key: null, value: unkeyed, headers, contentType: 'application/json' });
    broker.publish('in', { key: Buffer.from('shipment-7'), value: unkeyed, headers, contentType: 'application/json' });
    await waitFor(() => broker.stream('out').log.length === 3);
    const counted = await registry.getSingleMetric('modelbridge_events_keyed_by_id_total')!.get();
    expect(counted.values).toEqual([expect.objectContaining({ labels: { connector: 'sap-events' }, value: 1 })]);
  });
});
