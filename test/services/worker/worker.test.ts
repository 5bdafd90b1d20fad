import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryBroker } from '../../../connectors/memory/index.ts';
import { createRegistry } from '../../../connectors/registry.ts';
import type { ConnectorRegistry } from '../../../connectors/registry.ts';
import type { InferenceClient, Sink } from '../../../connectors/types.ts';
import { connectorConfigSchema } from '../../../schemas/connector-config.ts';
import { createWorker } from '../../../services/worker/worker.ts';
import type { Worker } from '../../../services/worker/worker.ts';
import { waitFor } from '../../support/wait-for.ts';

const client: InferenceClient = {
  kind: 'kserve-http',
  model: 'm',
  version: undefined,
  async infer(request) {
    return { modelName: 'm', modelVersion: '1', outputs: { UPPER: [String(request.inputs.TEXT).toUpperCase()] } };
  },
  async ready() {
    return true;
  },
  async close() {},
};

function connector(name: string) {
  return connectorConfigSchema.parse({
    name,
    source: { kind: 'memory', stream: `${name}.in` },
    decode: { format: 'json', idPath: 'id' },
    inference: {
      backend: { kind: 'kserve-http', url: 'http://127.0.0.1:1', model: 'm' },
      request: { inputs: { TEXT: 'data.text' } },
      response: { upper: 'outputs.UPPER[0]' },
    },
    sink: { kind: 'memory', stream: `${name}.out` },
    deadLetter: { kind: 'memory', stream: `${name}.dlq` },
  });
}

/** The memory registry with a scripted model, and `patch` for what a test breaks on purpose. */
function registry(patch: Partial<ConnectorRegistry> = {}) {
  const broker = createMemoryBroker();
  const base = createRegistry({ memoryBroker: broker });
  return { broker, registry: { ...base, createInferenceClient: () => client, ...patch } satisfies ConnectorRegistry };
}

const workers: Worker[] = [];
afterEach(async () => {
  for (const worker of workers.splice(0)) await worker.close(100).catch(() => undefined);
});

function worker(names: string[], patch?: Partial<ConnectorRegistry>) {
  const { broker, registry: connectorRegistry } = registry(patch);
  const created = createWorker({ connectors: names.map(connector), registry: connectorRegistry, logger: pino({ level: 'silent' }), metricsRegistry: new Registry() });
  workers.push(created);
  return { worker: created, broker };
}

describe('createWorker lifecycle', () => {
  it('goes created → starting → running → draining → stopped, ready only while running', async () => {
    const { worker: w, broker } = worker(['a', 'b']);
    expect(w.state).toBe('created');
    expect(w.ready()).toBe(false);
    const starting = w.start();
    expect(w.state).toBe('starting');
    await starting;
    expect(w.state).toBe('running');
    expect(w.ready()).toBe(true);
    expect(w.status().connectors.map((c) => [c.name, c.state])).toEqual([
      ['a', 'running'],
      ['b', 'running'],
    ]);
    broker.publish('a.in', { key: null, value: Buffer.from('{"id":"1","text":"hi"}'), headers: {}, contentType: undefined });
    await waitFor(() => broker.stream('a.out').log.length === 1);
    const closing = w.close(1000);
    expect(w.state).toBe('draining');
    expect(w.ready()).toBe(false);
    await closing;
    expect(w.state).toBe('stopped');
    expect(w.status().connectors.map((c) => c.state)).toEqual(['stopped', 'stopped']);
  });

  it('close is idempotent: the same promise, one shutdown', async () => {
    const { worker: w } = worker(['a']);
    await w.start();
    const first = w.close(100);
    expect(w.close(100)).toBe(first);
    await first;
    expect(w.state).toBe('stopped');
  });

  it('starts once: a second start is refused', async () => {
    const { worker: w } = worker(['a']);
    await w.start();
    await expect(w.start()).rejects.toThrow('cannot start from state running');
  });

  it('refuses two connectors of one name at creation', () => {
    expect(() => worker(['a', 'a'])).toThrow('two connectors are named a');
  });

  it('fails when a connector cannot start, and says so in its state', async () => {
    const refusing: Sink = {
      kind: 'memory',
      publish: async () => undefined,
      start: async () => {
        throw new Error('broker refused');
      },
      status: () => ({ connected: false }),
      close: async () => undefined,
    };
    const { worker: w } = worker(['a'], { createSink: () => refusing });
    await expect(w.start()).rejects.toThrow('broker refused');
    expect(w.state).toBe('failed');
    expect(w.ready()).toBe(false);
  });

  it('ends failed, with every close failure collected, when a connector does not close cleanly', async () => {
    const base = registry().registry;
    const { worker: w } = worker(['a', 'b'], {
      createSink: (config, logger) => {
        const sink = base.createSink(config, logger);
        return config.kind === 'memory' && config.stream === 'b.out' ? { ...sink, close: () => Promise.reject(new Error('flush failed')) } : sink;
      },
    });
    await w.start();
    await expect(w.close(100)).rejects.toThrow('1 connector(s) did not close cleanly');
    expect(w.state).toBe('failed');
    expect(w.connector('a')?.status().state).toBe('stopped');
  });

  it('finds a connector by name for the control API', () => {
    const { worker: w } = worker(['a', 'b']);
    expect(w.connector('b')?.name).toBe('b');
    expect(w.connector('c')).toBeUndefined();
  });
});
