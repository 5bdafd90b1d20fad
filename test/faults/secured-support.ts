/**
 * What the secured-transport fault tests share: numbered input with a few poison messages, the connector
 * config around the reference sentiment model, a worker with a log that can be read back, and the
 * ledger that accounts for every id (sink ∪ dead letters) and prints one line per case.
 */
import { pino } from 'pino';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { expect } from 'vitest';
import { createRegistry } from '../../connectors/registry.ts';
import { connectorConfigSchema } from '../../schemas/connector-config.ts';
import type { ConnectorConfigInput } from '../../schemas/connector-config.ts';
import { createWorker } from '../../services/worker/worker.ts';
import type { Worker } from '../../services/worker/worker.ts';
import { Ledger } from './support/ledger.ts';
import type { LedgerSummary } from './support/ledger.ts';

/** One message to send; its key is its id, so a dead letter (the original, unchanged) names it too. */
export interface NumberedMessage {
  readonly id: string;
  readonly value: string;
  readonly headers: Record<string, string>;
}

/** `count` JSON events `<prefix>-<i>`, every `poisonEvery`-th one truncated JSON (a dead letter). */
export function numberedMessages(prefix: string, count: number, poisonEvery = 25): NumberedMessage[] {
  return Array.from({ length: count }, (_, i) => {
    const id = `${prefix}-${i}`;
    const json = JSON.stringify({ id, key: id, text: i % 2 === 0 ? 'great service, thank you' : 'late and broken' });
    return { id, value: (i + 1) % poisonEvery === 0 ? json.slice(0, 20) : json, headers: { 'content-type': 'application/json' } };
  });
}

/** The connector under test: JSON events → the reference `sentiment` model over HTTP → sink / dead letters. */
export function sentimentConnector(
  name: string,
  modelUrl: string,
  ends: Pick<ConnectorConfigInput, 'source' | 'sink' | 'deadLetter'>,
): ConnectorConfigInput {
  return {
    name,
    ...ends,
    decode: { format: 'json', idPath: 'id', keyPath: 'key', type: 'com.example.feedback' },
    inference: {
      backend: { kind: 'kserve-http', url: modelUrl, model: 'sentiment' },
      request: { inputs: { TEXT: 'data.text' } },
      response: { sentiment: 'outputs.LABEL[0]' },
      retry: { attempts: 3, minDelay: '20ms', maxDelay: '200ms' },
    },
  };
}

/** Log lines of a worker, parsed, for asserting on what it reported. */
export interface CapturedLog {
  readonly logger: Logger;
  readonly lines: readonly { level: number; msg?: string; err?: { code?: string; message?: string } }[];
}

export function captureLog(): CapturedLog {
  const lines: CapturedLog['lines'][number][] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as CapturedLog['lines'][number]) });
  return { logger, lines };
}

/** A worker over one connector (not started). */
export function createTestWorker(config: ConnectorConfigInput, logger: Logger = pino({ level: 'silent' })): Worker {
  return createWorker({ connectors: [connectorConfigSchema.parse(config)], registry: createRegistry(), logger, metricsRegistry: new Registry() });
}

/**
 * Accounts for every sent id in the enriched ids ∪ dead-lettered ids with the fault suite's ledger,
 * prints its line and checks that nothing is lost and nothing unknown appeared. Duplicates are counted
 * and printed, not failed: at-least-once allows them.
 */
export function checkLedger(name: string, sent: readonly string[], enrichedIds: readonly string[], deadLetterIds: readonly string[]): LedgerSummary {
  const ledger = new Ledger(name);
  ledger.sent(sent.map((id) => ({ id, key: id, seq: 0 })));
  for (const id of enrichedIds) ledger.enriched(id);
  for (const id of deadLetterIds) ledger.deadLettered(id);
  console.log(ledger.line());
  const summary = ledger.summary();
  expect(summary.lostIds, 'ids neither enriched nor dead-lettered').toEqual([]);
  expect(summary.unknown, 'ids that were never sent').toBe(0);
  return summary;
}
