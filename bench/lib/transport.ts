/** What a scenario needs from a broker, so one measurement loop serves Kafka and RabbitMQ alike. */
import type { Collector } from './collector.ts';
import type { KeySpec } from './events.ts';

/** The destinations of one run: an input, an output and a dead-letter topic or queue. */
export interface Destinations {
  readonly input: string;
  readonly output: string;
  readonly deadLetter: string;
  readonly partitions: number;
}

/** How the load generator produces. */
export type ProduceSpec =
  | { readonly mode: 'fast'; readonly runId: string; readonly events: number; readonly keys: KeySpec }
  | { readonly mode: 'rate'; readonly runId: string; readonly perSecond: number; readonly durationMs: number; readonly keys: KeySpec };

export interface BenchTransport {
  readonly kind: 'kafka' | 'rabbitmq';
  /** The broker's version as it reports it, when it does. */
  readonly version?: string;
  /** Fresh, uniquely named destinations. */
  prepare(prefix: string, partitions: number): Promise<Destinations>;
  /** Feeds every output message to `collector` until the returned stop function is called. */
  collect(destinations: Destinations, collector: Collector): Promise<() => Promise<void>>;
  /** Produces to the input; resolves with the events sent and the epoch ms of the first. */
  produce(destinations: Destinations, spec: ProduceSpec): Promise<{ sent: number; firstAt: number }>;
  /** Deletes the destinations (best effort). */
  cleanup(destinations: Destinations): Promise<void>;
  /** Releases the load generator's connections. */
  close(): Promise<void>;
}
