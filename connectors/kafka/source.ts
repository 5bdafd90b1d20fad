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
 * Concurrency. Assigned partitions are consumed concurrently (`partitionsConsumedConcurrently`), and
 * the pipeline's buffering window is shared among the partitions that have a batch: a batch holds once
 * its partition has its share of the window outstanding. Without the share, one partition's batch
 * filled the whole window and the pipeline saw only that partition's few keys.
 *
 * Rebalances (eager protocol: every partition is revoked, then the group is rejoined). Before the
 * rejoin, what is committable is committed: when kafkajs reports the rebalance, and, when a batch
 * notices it first (its heartbeat fails), after waiting up to {@link REVOKE_GRACE_MS} for the
 * outstanding messages to finish. `eachBatch` never waits longer: the pipeline may hold messages for
 * long (retries, an open breaker), and blocking the rejoin that long would overrun the rebalance
 * timeout and get the member evicted, which is worse. What is still in flight then is abandoned: on
 * the group join the trackers of partitions no longer owned are revoked, so their late acks never
 * commit; the new owner resumes from the last commit and redelivers them (at-least-once, duplicates
 * bounded by the in-flight window). A partition we keep keeps its tracker, and re-fetched offsets that
 * are already in flight are not delivered twice.
 */
import type { Consumer, EachBatchPayload, IHeaders, KafkaMessage } from 'kafkajs';
import type { KafkaSourceConfig } from '../../schemas/connector-config.ts';
import type { Delivery, DeliveryHandler, Headers, InboundMessage, IntakeWindow, Source, SourceStatus } from '../types.ts';
import { createKafkaClient, silentLogger } from './client.ts';
import type { KafkaDeps } from './client.ts';
import { createPartitionTracker } from './offset-tracker.ts';
import type { PartitionTracker } from './offset-tracker.ts';

/** Longest a pause is waited out inside `eachBatch` before the kafkajs consumer itself is paused. */
const HOLD_MS = 5000;
/** Heartbeat interval while waiting inside `eachBatch`, well below any session timeout. */
const HOLD_HEARTBEAT_MS = 1000;
/** Longest a batch that noticed a rebalance waits for outstanding messages before committing and leaving. */
const REVOKE_GRACE_MS = 3000;
/** kafkajs runs this many partitions' batches at once (it caps it at the partitions fetched). */
const PARTITIONS_CONCURRENTLY = 64;
/** How long a partition that had a batch still counts for its share of the window. */
const SHARE_MEMORY_MS = 1000;

interface PartitionState {
  readonly topic: string;
  readonly partition: number;
  readonly tracker: PartitionTracker;
  /** Messages behind the high watermark after the last fetched batch. */
  lag: number;
  /** Delivered and neither acked nor nacked (unlike the tracker's count, acks past a gap count as done). */
  outstanding: number;
  /** Set while this partition's batch holds: wakes it. */
  wake: (() => void) | undefined;
  /** When its last batch started (ms): partitions with recent batches share the window. */
  batchAt: number;
}

/** One delivered message; a class so the per-message path allocates one object, not closures. */
class KafkaDelivery implements Delivery {
  readonly message: InboundMessage;
  readonly lane: string;
  readonly #state: PartitionState;
  readonly #offset: number;
  readonly #settledHook: (state: PartitionState) => void;
  #settled = false;

  constructor(message: InboundMessage, lane: string, state: PartitionState, offset: number, settled: (state: PartitionState) => void) {
    this.message = message;
    this.lane = lane;
    this.#state = state;
    this.#offset = offset;
    this.#settledHook = settled;
  }

  ack(): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#state.tracker.ack(this.#offset);
    this.#settledHook(this.#state);
  }

  /** Not committing past it is all a nack needs: the next owner of the partition redelivers it. */
  nack(): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#settledHook(this.#state);
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
  let closing: Promise<void> | undefined;
  let commitTimer: NodeJS.Timeout | undefined;
  // Settles start(): kafkajs's run() also returns after a join that crashed (and will be retried).
  let joined: { resolve(): void; reject(error: unknown): void } | undefined;
  let committing: Promise<void> | undefined;
  /** The pipeline's window, shared among the partitions with a batch in `eachBatch`. */
  let window = Number.POSITIVE_INFINITY;
  let activeBatches = 0;
  let share = Number.POSITIVE_INFINITY;
  /** A held batch resumes below this many outstanding (hysteresis: not one wake per ack). */
  let shareResume = Number.POSITIVE_INFINITY;

  const { CONNECT, DISCONNECT, CRASH, GROUP_JOIN, REBALANCING } = consumer.events;
  consumer.on(CONNECT, () => (connected = true));
  consumer.on(DISCONNECT, () => (connected = false));
  consumer.on(CRASH, (event) => {
    // kafkajs restarts on retriable failures (e.g. no coordinator yet); until it rejoins, there is no
    // group to commit to or pause.
    running = false;
    logger.error({ err: event.payload.error, restart: event.payload.restart }, 'kafka consumer crashed');
    if (!event.payload.restart) {
      connected = false;
      joined?.reject(event.payload.error);
    }
  });
  // Eager protocol: this member's partitions are all revoked now. kafkajs emits this just before it
  // rejoins (after its own fetch loop stopped); the commit is sent at once and reaches the coordinator
  // ahead of the JoinGroup, which first looks the coordinator up.
  consumer.on(REBALANCING, () => {
    if (!closing && running) void commit();
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
      state = { topic: config.topic, partition, tracker: createPartitionTracker(), lag: 0, outstanding: 0, wake: undefined, batchAt: 0 };
      partitions.set(partition, state);
    }
    return state;
  }

  /**
   * The window is shared among the partitions with a batch now or within the last second: kafkajs hands
   * out one fetch's batches one after another, and a share by running batches alone would let the
   * first batch of a fetch take the whole window before the others start.
   */
  function setActiveBatches(count: number): void {
    activeBatches = count;
    let busy = 0;
    const since = Date.now() - SHARE_MEMORY_MS;
    for (const state of partitions.values()) if (state.batchAt >= since) busy++;
    share = Math.max(1, Math.ceil(window / Math.max(1, count, busy)));
    shareResume = share - Math.max(1, share >> 3);
  }

  /** Called once per settled delivery: wakes its partition's batch when it is back under its share. */
  function onSettled(state: PartitionState): void {
    state.outstanding--;
    if (state.wake !== undefined && state.outstanding <= shareResume) state.wake();
  }

  function mustHold(state: PartitionState): boolean {
    return paused || state.outstanding >= share;
  }

  /**
   * Holds the batch while paused or while its partition has its share outstanding, heartbeating, for
   * at most HOLD_MS. Returns true when delivery may go on; false when the batch must be left (still
   * held: a paused consumer is paused now, a full partition is fetched again later; or a rebalance,
   * staleness or close).
   */
  async function hold(payload: EachBatchPayload, state: PartitionState): Promise<boolean> {
    const { heartbeat, isRunning, isStale } = payload;
    const until = Date.now() + HOLD_MS;
    while (mustHold(state) && !closing && isRunning() && !isStale()) {
      if (Date.now() >= until) {
        if (paused) pauseConsumer();
        return false;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(wakeUp, HOLD_HEARTBEAT_MS);
        function wakeUp(): void {
          clearTimeout(timer);
          state.wake = undefined;
          resolve();
        }
        state.wake = wakeUp;
      });
      try {
        await heartbeat();
      } catch (error) {
        // A rebalance is under way: commit what finished, then leave the batch so the member rejoins in time.
        logger.debug({ err: error }, 'kafka heartbeat while holding a batch failed; committing and leaving the batch');
        await commitBeforeRevoke();
        return false;
      }
    }
    return !mustHold(state) && !closing && isRunning() && !isStale();
  }

  /** Waits up to REVOKE_GRACE_MS for outstanding messages, then commits what is committable. */
  async function commitBeforeRevoke(): Promise<void> {
    const until = Date.now() + REVOKE_GRACE_MS;
    while (!closing && Date.now() < until && outstandingTotal() > 0) await new Promise((resolve) => setTimeout(resolve, 20));
    await committing;
    await commit();
  }

  function outstandingTotal(): number {
    let total = 0;
    for (const state of partitions.values()) total += state.outstanding;
    return total;
  }

  async function eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, isRunning, isStale } = payload;
    if (closing || !handler) return;
    const deliver = handler;
    const state = stateOf(batch.partition);
    const lane = `${batch.topic}/${batch.partition}`;
    let lastDelivered: string | undefined;
    state.batchAt = Date.now();
    setActiveBatches(activeBatches + 1);
    try {
      for (const message of batch.messages) {
        // Checked per message: the handler itself may pause (the pipeline's window is full). What is not
        // delivered stays unresolved, and kafkajs fetches it again.
        if (mustHold(state) && !(await hold(payload, state))) break;
        if (closing || !isRunning() || isStale()) break;
        const offset = Number(message.offset);
        if (state.tracker.track(offset)) {
          state.outstanding++;
          deliver(new KafkaDelivery(toInbound(batch.topic, batch.partition, message), lane, state, offset, onSettled));
        }
        lastDelivered = message.offset;
      }
    } finally {
      setActiveBatches(activeBatches - 1);
      state.wake = undefined;
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

  /** Wakes every held batch (resume, close). */
  function wake(): void {
    for (const state of partitions.values()) state.wake?.();
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
    for (const state of partitions.values()) state.tracker.revoke();
    partitions.clear();
    connected = false;
    for (const error of failures) logger.error({ err: error }, 'kafka source did not close cleanly');
    if (failures.length > 0) throw new Error('kafka source did not close cleanly', { cause: failures[0] });
  }

  return {
    kind: 'kafka',
    async start(onDelivery, intake?: IntakeWindow) {
      if (closing) throw new Error('kafka source is closed');
      handler = onDelivery;
      window = intake?.maxEvents ?? Number.POSITIVE_INFINITY;
      setActiveBatches(0);
      await consumer.connect();
      await consumer.subscribe({ topic: config.topic, fromBeginning: config.fromBeginning });
      // GROUP_JOIN settles this, sets `running` and applies a pause made meanwhile.
      const started = new Promise<void>((resolve, reject) => (joined = { resolve, reject }));
      started.catch(() => undefined); // awaited below; this only keeps an early failure from going unhandled
      await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: PARTITIONS_CONCURRENTLY, eachBatch });
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
