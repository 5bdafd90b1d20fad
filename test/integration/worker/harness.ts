/**
 * What the end-to-end worker suite needs from a transport: fresh unique source/sink/dead-letter
 * destinations, a way to produce raw messages and collectors of what the worker published. One
 * implementation per broker; the suite itself is transport-agnostic.
 */
import type { Headers } from '../../../connectors/types.ts';
import type { ConnectorConfigInput } from '../../../schemas/connector-config.ts';

export interface RawMessage {
  readonly key?: string | undefined;
  readonly value: Buffer | string;
  readonly headers?: Record<string, string> | undefined;
}

export interface Received {
  readonly key: string | null;
  readonly value: Buffer;
  readonly headers: Headers;
}

export interface Collector {
  /** Everything received so far, in arrival order. */
  readonly messages: readonly Received[];
}

export interface E2EEnvironment {
  readonly source: ConnectorConfigInput['source'];
  readonly sink: ConnectorConfigInput['sink'];
  readonly deadLetter: ConnectorConfigInput['deadLetter'];
  produce(messages: readonly RawMessage[]): Promise<void>;
  readonly enriched: Collector;
  readonly deadLetters: Collector;
  /** Stops collectors and deletes what setup created. */
  cleanup(): Promise<void>;
}

export interface E2EHarness {
  readonly name: string;
  setup(options?: { partitions?: number }): Promise<E2EEnvironment>;
}

export function headerString(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : value.toString('utf8');
}
