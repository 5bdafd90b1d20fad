/**
 * Kafka source: a consumer-group member that hands every message to the pipeline at once and commits,
 * per partition, the highest contiguous acknowledged offset + 1 (the pipeline acks out of order).
 * `pause()` takes effect at the next message, even within a fetched batch. A short pause (backpressure:
 * the in-flight bound was reached and frees up within milliseconds) is waited out inside `eachBatch`,
 * heartbeating, and the batch is kept; only a pause that lasts longer than {@link HOLD_MS} (an open
 * breaker, draining) pauses the kafkajs consumer. Pausing kafkajs on every backpressure pause made its
 * fetch loop sleep `maxWaitTimeInMs` with every partition paused and fetch each batch again: the
 * worker stalled at a few hundred events per second.
 *
 * Rebalances. kafkajs (eager protocol) re-fetches every assigned partition from its committed offset
 * after a rebalance. `eachBatch` does NOT wait for a partition's in-flight messages before returning:
 * the pipeline may hold them for long (retries, an open breaker), and blocking the fetch loop that long
 * would overrun the rebalance timeout and get the member evicted, which is worse. Instead, on every
 * group join the trackers of partitions no longer owned are revoked, so their late acks never commit;
 * the new owner resumes from the last commit and redelivers them (at-least-once, duplicates bounded by
 * the in-flight window). A partition we keep keeps its tracker, and re-fetched offsets that are already
 * in flight are not delivered twice.
 */
import type { Admin, Consumer, EachBatchPayload, IHeaders, KafkaMessage } from 'kafkajs';
import type { KafkaSourceConfig } from '../../schemas/connector-config.ts';
import type { Delivery, DeliveryHandler, Headers, InboundMessage, Source, SourceStatus } from '../types.ts';
import { createKafkaClient, silentLogger } from './client.ts';
import type { KafkaDeps } from './client.ts';
import { toConnectRefusal } from './errors.ts';
import { createPartitionTracker } from './offset-tracker.ts';
import type { PartitionTracker } from './offset-tracker.ts';

/** Longest a pause is waited out inside `eachBatch` before the kafkajs consumer itself is paused. */
const HOLD_MS = 5000;
/** Heartbeat interval while waiting inside `eachBatch`, well below any session timeout. */
const HOLD_HEARTBEAT_MS = 1000;

interface PartitionState {
  readonly topic: string;
  readonly partition: number;
  readonly tracker: PartitionTracker;
  /** Messages behind the high watermark after the last fetched batch. */
  lag: number;
}

/** One delivered message; a class so the per-message path allocates one object, not closures. */
class KafkaDelivery implements Delivery {
  readonly message: InboundMessage;
  readonly lane: string;
  readonly #tracker: PartitionTracker;
  readonly #offset: number;
  #settled = false;

  constructor(message: InboundMessage, lane: string, tracker: PartitionTracker, offset: number) {
    this.message = message;
    this.lane = lane;
    this.#tracker = tracker;
    this.#offset = offset;
  }

  ack(): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#tracker.ack(this.#offset);
  }

  /** Not committing past it is all a nack needs: the next owner of the partition redelivers it. */
  nack(): void {
    this.#settled = true;
  }
}

/** Creates a Kafka source for one topic and consumer group. */
export function createKafkaSource(config: KafkaSourceConfig, deps: KafkaDeps = {}): Source {
  const logger = deps.logger ?? silentLogger;
  const kafka = createKafkaClient(config, logger, `modelbridge-${config.group}`);
  // A stop waits for the fetch long-poll in flight: a 1 s poll bounds close() at little idle cost.
  const consumer: Consumer = kafka.consumer({
    groupId: config.group,
    sessionTimeout: config.sessionTimeout,
    maxWaitTimeInMs: 500,
    maxBytesPerPartition: 256 * 1024,
    maxBytes: 2 * 1024 * 1024,
  });
  const partitions = new Map<number, PartitionState>();
  let handler: DeliveryHandler | undefined;
  let running = false;
  let connected = false;
  let paused = false;
  /** The kafkajs consumer itself is paused (a long pause); a short one only holds `eachBatch`. */
  let consumerPaused = false;
  /** Settled by resume() and close(): wakes the batches holding for a resume. */
  let resumed: PromiseWithResolvers<void> | undefined;
  let closing: Promise<void> | undefined;
  let commitTimer: NodeJS.Timeout | undefined;
  // Settles start(): kafkajs's run() also returns after a join that crashed (and will be retried).
  let joined: { resolve(): void; reject(error: unknown): void } | undefined;
  let committing: Promise<void> | undefined;
  /** For {@link Source.backlog} only, connected on first use. */
  let admin: Admin | undefined;
  let adminConnected: Promise<void> | undefined;

  const { CONNECT, DISCONNECT, CRASH, GROUP_JOIN } = consumer.events;
  consumer.on(CONNECT, () => (connected = true));
  consumer.on(DISCONNECT, () => (connected = false));
  consumer.on(CRASH, (event) => {
    // kafkajs restarts on retriable failures (e.g. no coordinator yet); until it rejoins, there is no
    // group to commit to or pause.
    running = false;
    // A crash kafkajs recovers from by itself (a rejoin after a coordinator change or a broker
    // restart) is a warning; one it gives up on is an error and ends start() or the source.
    if (event.payload.restart) logger.warn({ err: event.payload.error }, 'kafka consumer restarting after a retriable failure');
    else logger.error({ err: event.payload.error }, 'kafka consumer crashed');
    if (!event.payload.restart) {
      connected = false;
      joined?.reject(event.payload.error);
    }
  });
  consumer.on(GROUP_JOIN, (event) => {
    if (closing) return;
    running = true;
    onAssignment(event.payload.memberAssignment[config.topic] ?? []);
    applyPause();
    joined?.resolve();
  });

  function onAssignment(assigned: number[]): void {
    const owned = new Set(assigned);
    for (const [partition, state] of partitions) {
      if (owned.has(partition)) continue;
      state.tracker.revoke();
      partitions.delete(partition);
    }
    logger.info({ topic: config.topic, partitions: assigned }, 'kafka partitions assigned');
  }

  function stateOf(partition: number): PartitionState {
    let state = partitions.get(partition);
    if (!state) {
      state = { topic: config.topic, partition, tracker: createPartitionTracker(), lag: 0 };
      partitions.set(partition, state);
    }
    return state;
  }

  /**
   * Holds the batch while paused, heartbeating, for at most HOLD_MS. Returns true when delivery may go
   * on; false when the batch must be left (still paused: the consumer is paused now; or a rebalance,
   * staleness or close).
   */
  async function holdWhilePaused({ heartbeat, isRunning, isStale }: EachBatchPayload): Promise<boolean> {
    const until = Date.now() + HOLD_MS;
    while (paused && !closing && isRunning() && !isStale()) {
      if (Date.now() >= until) {
        pauseConsumer();
        return false;
      }
      resumed ??= Promise.withResolvers<void>();
      const wake = resumed.promise;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, HOLD_HEARTBEAT_MS);
        void wake.then(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      try {
        await heartbeat();
      } catch (error) {
        // A rebalance is under way: leave the batch so the member can rejoin in time.
        logger.debug({ err: error }, 'kafka heartbeat while holding a batch failed; leaving the batch');
        return false;
      }
    }
    return !paused && !closing && isRunning() && !isStale();
  }

  async function eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, isRunning, isStale } = payload;
    if (closing || !handler) return;
    const state = stateOf(batch.partition);
    const lane = `${batch.topic}/${batch.partition}`;
    let lastDelivered: string | undefined;
    for (const message of batch.messages) {
      // Checked per message: the handler itself may pause (in-flight bound reached). What is not
      // delivered stays unresolved, and kafkajs fetches it again.
      if (paused && !(await holdWhilePaused(payload))) break;
      if (closing || !isRunning() || isStale()) break;
      const offset = Number(message.offset);
      if (state.tracker.track(offset)) {
        handler(new KafkaDelivery(toInbound(batch.topic, batch.partition, message), lane, state.tracker, offset));
      }
      lastDelivered = message.offset;
    }
    // Moves the fetch position only; commits are ours alone (autoCommit is off).
    if (lastDelivered !== undefined) resolveOffset(lastDelivered);
    state.lag = Math.max(0, Number(batch.highWatermark) - state.tracker.lastTracked - 1);
  }

  /** Commits what is committable; one commit at a time, failures logged (the next one retries). */
  function commit(): Promise<void> {
    committing ??= doCommit().finally(() => (committing = undefined));
    return committing;
  }

  async function doCommit(): Promise<void> {
    const offsets: { topic: string; partition: number; offset: string }[] = [];
    const states: PartitionState[] = [];
    for (const state of partitions.values()) {
      const offset = state.tracker.committable();
      if (offset === undefined) continue;
      offsets.push({ topic: state.topic, partition: state.partition, offset: String(offset) });
      states.push(state);
    }
    if (offsets.length === 0 || !running) return;
    try {
      await consumer.commitOffsets(offsets);
      for (let i = 0; i < states.length; i++) states[i]!.tracker.committed(Number(offsets[i]!.offset));
    } catch (error) {
      logger.warn({ err: error, offsets }, 'kafka offset commit failed; will retry');
    }
  }

  function pauseConsumer(): void {
    if (!running || consumerPaused) return;
    consumerPaused = true;
    consumer.pause([{ topic: config.topic }]);
  }

  /** After a rejoin kafkajs forgets pauses: re-apply a long one. */
  function applyPause(): void {
    if (!running) return;
    if (consumerPaused) consumer.pause([{ topic: config.topic }]);
  }

  function wake(): void {
    resumed?.resolve();
    resumed = undefined;
  }

  async function shutdown(): Promise<void> {
    clearInterval(commitTimer);
    joined?.reject(new Error('kafka source closed while starting'));
    const failures: unknown[] = [];
    if (running) {
      // Stop fetching first, so nothing new arrives while the last acked offsets are committed
      // (eachBatch already delivers nothing once closing; this only saves a fetch).
      try {
        consumer.pause([{ topic: config.topic }]);
      } catch (error) {
        logger.warn({ err: error }, 'kafka consumer could not be paused before the final commit');
      }
      await committing;
      await commit();
    }
    running = false;
    try {
      await consumer.disconnect();
    } catch (error) {
      failures.push(error);
    }
    if (admin) await admin.disconnect().catch((error: unknown) => logger.warn({ err: error }, 'kafka admin client did not close cleanly'));
    for (const state of partitions.values()) state.tracker.revoke();
    partitions.clear();
    connected = false;
    for (const error of failures) logger.error({ err: error }, 'kafka source did not close cleanly');
    if (failures.length > 0) throw new Error('kafka source did not close cleanly', { cause: failures[0] });
  }

  return {
    kind: 'kafka',
    async start(onDelivery) {
      if (closing) throw new Error('kafka source is closed');
      handler = onDelivery;
      try {
        await consumer.connect();
      } catch (error) {
        throw toConnectRefusal(error, 'receive') ?? error;
      }
      await consumer.subscribe({ topic: config.topic, fromBeginning: config.fromBeginning });
      // GROUP_JOIN settles this, sets `running` and applies a pause made meanwhile.
      const started = new Promise<void>((resolve, reject) => (joined = { resolve, reject }));
      started.catch(() => undefined); // awaited below; this only keeps an early failure from going unhandled
      await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch });
      await started;
      joined = undefined;
      commitTimer = setInterval(() => void commit(), config.commitInterval);
      commitTimer.unref();
    },
    pause() {
      paused = true;
      // A batch in flight holds itself (eachBatch checks per message). Between batches nothing runs
      // to pause: the next batch holds when it starts.
    },
    resume() {
      paused = false;
      wake();
      if (consumerPaused) {
        consumerPaused = false;
        if (running) consumer.resume([{ topic: config.topic }]);
      }
    },
    status(): SourceStatus {
      let lag = 0;
      for (const state of partitions.values()) lag += state.lag + state.tracker.inFlight;
      return { connected: connected && !closing, paused, lag };
    },
    async backlog() {
      // The group's lag as the broker sees it (high watermark − committed offset, every partition),
      // as kafka_exporter reports it: right while paused, when nothing is fetched.
      if (closing) return {};
      admin ??= kafka.admin();
      adminConnected ??= admin.connect().catch((error: unknown) => {
        adminConnected = undefined;
        throw error;
      });
      await adminConnected;
      const [ends, [committed]] = await Promise.all([admin.fetchTopicOffsets(config.topic), admin.fetchOffsets({ groupId: config.group, topics: [config.topic] })]);
      const at = new Map((committed?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
      const rows = ends.map((end) => {
        const position = at.get(end.partition) ?? -1;
        const start = position >= 0 ? position : config.fromBeginning ? Number(end.low) : Number(end.high);
        return { topic: config.topic, partition: end.partition, lag: Math.max(0, Number(end.high) - start) };
      });
      return { partitions: rows.sort((a, b) => a.partition - b.partition) };
    },
    close() {
      closing ??= shutdown();
      wake();
      return closing;
    },
  };
}

function toInbound(topic: string, partition: number, message: KafkaMessage): InboundMessage {
  const headers = toHeaders(message.headers);
  const contentType = headers['content-type'];
  const timestamp = message.timestamp ? Number(message.timestamp) : undefined;
  return {
    key: message.key,
    value: message.value,
    headers,
    contentType: contentType === undefined ? undefined : contentType.toString(),
    timestamp,
    origin: { transport: 'kafka', topic, partition, offset: message.offset, timestamp },
  };
}

const EMPTY_HEADERS: Headers = Object.freeze({}) as Headers;

/** kafkajs header values as bytes; a key repeated on the record keeps its last value (Java's `lastHeader`). */
function toHeaders(raw: IHeaders | undefined): Headers {
  if (!raw) return EMPTY_HEADERS;
  const headers: Record<string, Buffer> = {};
  for (const key in raw) {
    let value = raw[key];
    if (Array.isArray(value)) value = value[value.length - 1];
    if (value === undefined) continue;
    headers[key] = typeof value === 'string' ? Buffer.from(value) : value;
  }
  return headers;
}
