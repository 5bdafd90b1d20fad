/**
 * A replay setup on the memory transport: one connector (source `in`, dead letters `dlq`) whose dead
 * letters are built by the worker's own `buildDeadLetter`, and a replay service over them.
 */
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { ModelbridgeError } from '../../../schemas/errors.ts';
import type { ErrorCode } from '../../../schemas/errors.ts';
import { createMemoryBroker } from '../../../connectors/memory/index.ts';
import type { MemoryBroker } from '../../../connectors/memory/index.ts';
import { createRegistry } from '../../../connectors/registry.ts';
import type { Headers, InboundMessage } from '../../../connectors/types.ts';
import { connectorConfigSchema } from '../../../schemas/connector-config.ts';
import type { ConnectorConfig, ConnectorConfigInput } from '../../../schemas/connector-config.ts';
import { createReplayService } from '../../../services/replay/service.ts';
import type { ReplayService } from '../../../services/replay/types.ts';
import { buildDeadLetter } from '../../../services/worker/messages.ts';

export const CONNECTOR = 'orders';

export function memoryConnector(overrides: Partial<ConnectorConfigInput> = {}): ConnectorConfig {
  return connectorConfigSchema.parse({
    name: CONNECTOR,
    source: { kind: 'memory', stream: 'in' },
    decode: { format: 'json' },
    inference: { backend: { kind: 'rest', url: 'http://127.0.0.1:1/predict', model: 'm' }, request: { inputs: { TEXT: 'data.text' } }, response: { label: 'label' } },
    sink: { kind: 'memory', stream: 'out' },
    deadLetter: { kind: 'memory', stream: 'dlq' },
    ...overrides,
  });
}

export interface Letter {
  id: string;
  code: ErrorCode;
  key?: string;
  text?: string;
  headers?: Headers;
  failedAt?: number;
}

/** The original message a dead letter is built from. */
export function original(letter: Letter, sequence: number): InboundMessage {
  return {
    key: Buffer.from(letter.key ?? `key-${letter.id}`),
    value: Buffer.from(JSON.stringify({ id: letter.id, text: letter.text ?? `text of ${letter.id}` })),
    headers: { 'content-type': 'application/json', 'x-tenant': 'acme', ...letter.headers },
    contentType: 'application/json',
    timestamp: 1_700_000_000_000,
    origin: { transport: 'memory', stream: 'in', sequence },
  };
}

export interface MemorySetup {
  readonly broker: MemoryBroker;
  readonly service: ReplayService;
  readonly metrics: Registry;
  /** Dead-letters `letters` as the worker would. */
  deadLetter(letters: readonly Letter[]): void;
  /** Ids of the messages waiting in a stream, in order. */
  ids(stream: string): string[];
}

export function memorySetup(connectors: ConnectorConfig[] = [memoryConnector()]): MemorySetup {
  const broker = createMemoryBroker();
  const metrics = new Registry();
  const service = createReplayService({ connectors, logger: pino({ level: 'silent' }), metricsRegistry: metrics }, { registry: createRegistry({ memoryBroker: broker }) });
  let sequence = 0;
  return {
    broker,
    service,
    metrics,
    deadLetter(letters) {
      for (const letter of letters) {
        const message = original(letter, sequence++);
        const at = letter.failedAt ?? Date.parse('2026-01-01T10:00:00Z');
        const error = new ModelbridgeError(letter.code, `failed with ${letter.code}`);
        const out = buildDeadLetter(message, error, { connector: CONNECTOR, backend: 'rest', model: 'm', attempts: 1, firstFailureAt: at, lastFailureAt: at, eventId: letter.id });
        broker.publish('dlq', { key: out.key as Buffer, value: out.value as Buffer, headers: out.headers, contentType: out.contentType });
      }
    },
    ids(stream) {
      return broker.stream(stream).pending.map((m) => (JSON.parse(m.value!.toString()) as { id: string }).id);
    },
  };
}
