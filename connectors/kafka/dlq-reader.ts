/**
 * Reads a Kafka dead-letter topic for browsing and replay, up to the end it had when the reader opened.
 *
 * kafkajs has no manual partition assignment, so every reader is a consumer-group member: a replay job
 * uses a group named after the job and commits, per partition, the highest contiguous settled offset +
 * 1, so a reader opened again with the same group continues after what the last one finished (a
 * message whose replay was not confirmed is read again: at-least-once). A browse reader uses a
 * throw-away group that never commits, so it leaves no position behind; it starts where its cursor says.
 *
 * The push of kafkajs `eachBatch` is turned into a pull: messages go into a small buffer and the batch
 * handler waits (heartbeating) while the buffer is full, so nothing is read far ahead of the replay.
 */
import { randomUUID } from 'node:crypto';
import type { Consumer, EachBatchPayload, KafkaMessage } from 'kafkajs';
import type { KafkaSourceConfig } from '../../schemas/connector-config.ts';
import { ModelbridgeError } from '../../schemas/errors.ts';
import type { DeadLetterReadMode, DeadLetterReader, DeadLetterStore, StoredDeadLetter } from '../types.ts';
import { createKafkaClient, silentLogger } from './client.ts';
import type { KafkaDeps } from './client.ts';
import { toInbound } from './inbound.ts';
import { createPartitionTracker } from './offset-tracker.ts';
import type { PartitionTracker } from './offset-tracker.ts';

/** Connection settings and the dead-letter topic. */
export type KafkaDeadLetterConfig = Pick<KafkaSourceConfig, 'brokers' | 'clientId' | 'ssl' | 'sasl'> & { readonly topic: string };

/** Messages read ahead of the replay, at most. */
const BUFFER = 64;
const HEARTBEAT_MS = 1000;
/** How often a job's position is committed: a crash replays at most this much (times the rate) again. */
export const COMMIT_INTERVAL_MS = 200;
/** A killed reader's group member blocks the next reader of the same job until this expires. */
const SESSION_TIMEOUT_MS = 10_000;

interface Range {
  readonly start: number;
  readonly end: number;
  /** Next offset to fetch into the buffer (re-fetch guard). */
  next: number;
  /** Offset after the last one handed out by `next()` (browse cursor). */
  handed: number;
  readonly tracker: PartitionTracker;
}

/** A {@link DeadLetterStore} over one Kafka topic. */
export function createKafkaDeadLetterStore(config: KafkaDeadLetterConfig, deps: KafkaDeps = {}): DeadLetterStore {
  const logger = deps.logger ?? silentLogger;
  return {
    kind: 'kafka',
    name: config.topic,
    async open(mode) {
      const kafka = createKafkaClient(config, logger, 'modelbridge-replay');
      const group = mode.kind === 'consume' ? mode.group : `modelbridge-browse-${randomUUID()}`;
      const ranges = await planRanges(kafka.admin(), config.topic, group, mode);
      return openReader(kafka.consumer({ groupId: group, maxWaitTimeInMs: 250, sessionTimeout: SESSION_TIMEOUT_MS }), config.topic, ranges, mode);
    },
  };
}

async function planRanges(admin: ReturnType<ReturnType<typeof createKafkaClient>['admin']>, topic: string, group: string, mode: DeadLetterReadMode): Promise<Map<number, Range>> {
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    const from = new Map<number, number>();
    if (mode.kind === 'consume') {
      const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
      for (const { partition, offset } of committed?.partitions ?? []) if (Number(offset) >= 0) from.set(partition, Number(offset));
    } else if (mode.cursor !== undefined) {
      for (const [partition, offset] of Object.entries(decodeCursor(mode.cursor))) from.set(Number(partition), offset);
    }
    const ranges = new Map<number, Range>();
    for (const { partition, low, high } of offsets) {
      const start = Math.max(Number(low), from.get(partition) ?? 0);
      ranges.set(partition, { start, end: Number(high), next: start, handed: start, tracker: createPartitionTracker() });
    }
    return ranges;
  } finally {
    await admin.disconnect();
  }
}

function openReader(consumer: Consumer, topic: string, ranges: Map<number, Range>, mode: DeadLetterReadMode): Promise<DeadLetterReader> {
  const buffer: { readonly entry: StoredDeadLetter; readonly range: Range; readonly offset: number }[] = [];
  const open = new Set([...ranges].filter(([, r]) => r.next < r.end).map(([p]) => p));
  const total = [...ranges.values()].reduce((sum, r) => sum + Math.max(0, r.end - r.start), 0);
  let failure: Error | undefined;
  let wakeReader: (() => void) | undefined;
  let wakeBatch: (() => void) | undefined;
  let running = false;
  let closing: Promise<void> | undefined;
  let commitTimer: NodeJS.Timeout | undefined;
  let committing: Promise<void> = Promise.resolve();

  const wake = (): void => {
    wakeReader?.();
    wakeReader = undefined;
  };

  function entry(partition: number, message: KafkaMessage, range: Range): StoredDeadLetter {
    const offset = Number(message.offset);
    let settled = false;
    const settle = (): void => {
      if (settled) return;
      settled = true;
      if (mode.kind === 'consume') range.tracker.ack(offset);
    };
    return { message: toInbound(topic, partition, message), position: `${partition}:${offset}`, remove: settle, keep: settle };
  }

  async function eachBatch({ batch, heartbeat, isRunning, isStale, resolveOffset }: EachBatchPayload): Promise<void> {
    const range = ranges.get(batch.partition);
    if (!range) return;
    for (const message of batch.messages) {
      const offset = Number(message.offset);
      // Resolving moves kafkajs's fetch position only (autoCommit is off: commits are ours, by the
      // tracker); without it every fetch would return this batch again.
      if (offset < range.next) {
        resolveOffset(message.offset);
        continue;
      }
      if (offset >= range.end || !isRunning() || isStale() || closing) break;
      while (buffer.length >= BUFFER && isRunning() && !closing) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, HEARTBEAT_MS);
          wakeBatch = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        await heartbeat();
      }
      if (closing || !isRunning()) break;
      range.tracker.track(offset);
      range.next = offset + 1;
      buffer.push({ entry: entry(batch.partition, message, range), range, offset });
      resolveOffset(message.offset);
      if (range.next >= range.end) open.delete(batch.partition);
      wake();
    }
  }

  function commit(): Promise<void> {
    committing = committing.then(async () => {
      const offsets: { topic: string; partition: number; offset: string }[] = [];
      for (const [partition, range] of ranges) {
        const offset = range.tracker.committable();
        if (offset !== undefined) offsets.push({ topic, partition, offset: String(offset) });
      }
      if (offsets.length === 0) return;
      await consumer.commitOffsets(offsets);
      for (const { partition, offset } of offsets) ranges.get(partition)!.tracker.committed(Number(offset));
    });
    return committing;
  }

  async function start(): Promise<void> {
    if (open.size === 0) return;
    running = true;
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (!payload.restart) {
        failure = new ModelbridgeError('INTERNAL', `dead-letter reader of ${topic} stopped: ${payload.error.message}`, { cause: payload.error, stage: 'receive' });
        wake();
      }
    });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: 1, eachBatch });
    // Positions are ours (committed offset, cursor or the log start), never kafkajs's reset policy.
    for (const [partition, range] of ranges) if (range.next < range.end) consumer.seek({ topic, partition, offset: String(range.next) });
    if (mode.kind === 'consume') {
      commitTimer = setInterval(() => {
        commit().catch((error: unknown) => {
          failure ??= error instanceof Error ? error : new Error(String(error));
          wake();
        });
      }, COMMIT_INTERVAL_MS);
    }
  }

  const reader: DeadLetterReader = {
    total,
    async next(signal) {
      for (;;) {
        if (failure) throw failure;
        const item = buffer.shift();
        if (item) {
          item.range.handed = item.offset + 1;
          wakeBatch?.();
          return item.entry;
        }
        if (open.size === 0 || closing) return undefined;
        signal.throwIfAborted();
        await new Promise<void>((resolve) => {
          const onAbort = (): void => resolve();
          signal.addEventListener('abort', onAbort, { once: true });
          wakeReader = () => {
            signal.removeEventListener('abort', onAbort);
            resolve();
          };
        });
      }
    },
    cursor() {
      const positions: Record<string, number> = {};
      for (const [partition, range] of ranges) positions[partition] = range.handed;
      return Buffer.from(JSON.stringify(positions)).toString('base64url');
    },
    close() {
      closing ??= (async () => {
        clearInterval(commitTimer);
        wake();
        wakeBatch?.();
        const failures: unknown[] = [];
        if (mode.kind === 'consume' && running) await commit().catch((error: unknown) => failures.push(error));
        if (running) await consumer.disconnect().catch((error: unknown) => failures.push(error));
        if (failures.length > 0) throw new ModelbridgeError('INTERNAL', `closing the dead-letter reader of ${topic} failed`, { cause: failures[0], stage: 'receive' });
      })();
      return closing;
    },
  };
  return start().then(
    () => reader,
    async (error: unknown) => {
      await consumer.disconnect().catch(() => undefined);
      throw error;
    },
  );
}

function decodeCursor(cursor: string): Record<string, number> {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (typeof parsed !== 'object' || parsed === null) throw new Error('not an object');
    const positions: Record<string, number> = {};
    for (const [partition, offset] of Object.entries(parsed)) {
      if (!/^\d+$/.test(partition) || !Number.isSafeInteger(offset) || (offset as number) < 0) throw new Error('bad position');
      positions[partition] = offset as number;
    }
    return positions;
  } catch (error) {
    throw new ModelbridgeError('CONFIG_INVALID', 'invalid cursor', { cause: error, stage: 'receive' });
  }
}
