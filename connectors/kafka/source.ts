/**
 * Kafka source: a consumer-group member that hands messages to the pipeline and commits, per partition,
 * the highest contiguous acknowledged offset + 1 (the pipeline acks out of order).
 *
 * Flow control. kafkajs fetches the next batches only once every batch of the previous fetch was
 * handled, so `eachBatch` never waits for the pipeline: it moves a batch into its partition's queue and
 * returns. Each partition's queue is delivered while the pipeline has room (`pause()` not in force) and
 * while the partition has less than its share of the pipeline's window outstanding: the window
 * (`IntakeWindow.maxEvents`) is shared among the partitions that have work, so one partition's batch
 * cannot fill it with that partition's few keys. A partition fetches one batch ahead: it is paused in
 * kafkajs (no further fetches for it) while it holds more undelivered messages than its latest batch
 * brought, and resumed as soon as it holds no more than that, so the next batch is on its way while the
 * pipeline works through this one. Buffered memory is bounded by two fetches per partition plus the
 * pipeline's window. (Resuming only once the queue was empty left the pipeline idle at saturation: with
 * every partition paused kafkajs sleeps `maxWaitTime` before it looks again, and then a fetch round
 * trip.) Waiting in `eachBatch` instead (as before) let the slowest partition's batch stall the fetches
 * of all others.
 *
 * Rebalances (eager protocol: every partition is revoked, then the group is rejoined). When kafkajs
 * reports the rebalance, what is committable is committed at once; the commit reaches the coordinator
 * ahead of the JoinGroup, which first looks the coordinator up. Messages still in flight then are
 * abandoned for the partitions that move: on the group join their trackers are revoked, so late acks
 * never commit; the new owner resumes from the last commit and redelivers them (at-least-once,
 * duplicates bounded by the in-flight window). Nothing waits for them: the pipeline may hold messages
 * for long (retries, an open breaker), and delaying the rejoin that long would overrun the rebalance
 * timeout and get the member evicted, which is worse. A partition we keep keeps its tracker and queue,
 * and re-fetched offsets already tracked are not delivered twice.
 */
import type { Admin, Consumer, EachBatchPayload, KafkaMessage } from 'kafkajs';
import type { KafkaSourceConfig } from '../../schemas/connector-config.ts';
import type { Delivery, DeliveryHandler, InboundMessage, IntakeWindow, PartitionOffsets, Source, SourceStatus } from '../types.ts';
import { createKafkaClient, silentLogger } from './client.ts';
import type { KafkaDeps } from './client.ts';
import { toConnectRefusal } from './errors.ts';
import { toInbound } from './inbound.ts';
import { createPartitionTracker } from './offset-tracker.ts';
import type { PartitionTracker } from './offset-tracker.ts';

/** Delivered slots at the head of a partition's queue worth dropping (see drain). */
const COMPACT_AFTER = 1024;

/** kafkajs runs this many partitions' batches at once (it caps it at the partitions fetched). */
const PARTITIONS_CONCURRENTLY = 64;

interface PartitionState {
  readonly topic: string;
  readonly partition: number;
  readonly lane: string;
  readonly tracker: PartitionTracker;
  /** Fetched and tracked, not yet delivered: a deque over an array. */
  queue: KafkaMessage[];
  head: number;
  /** Messages behind the high watermark after the last fetched batch. */
  lag: number;
  /** Messages the latest batch brought: the partition fetches ahead while it holds no more undelivered. */
  lastBatch: number;
  /** Delivered and neither acked nor nacked (unlike the tracker's count, acks past a gap count as done). */
  outstanding: number;
  /** Paused in kafkajs because its queue holds messages. */
  fetchPaused: boolean;
  drainScheduled: boolean;
}

/** One delivered message; a class so the per-message path allocates one object, not closures. */
class KafkaDelivery implements Delivery {
  readonly message: InboundMessage;
  readonly lane: string;
  readonly receivedAt = performance.now();
  readonly #state: PartitionState;
  readonly #offset: number;
  readonly #settledHook: (state: PartitionState) => void;
  #settled = false;

  constructor(message: InboundMessage, state: PartitionState, offset: number, settled: (state: PartitionState) => void) {
    this.message = message;
    this.lane = state.lane;
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
  // A stop waits for the fetch long-poll in flight: a short poll bounds close() at little idle cost. It
  // also bounds how long kafkajs sleeps when every partition is paused before it fetches a resumed one.
  const consumer: Consumer = kafka.consumer({
    groupId: config.group,
    sessionTimeout: config.sessionTimeoutMs,
    maxWaitTimeInMs: 100,
    maxBytesPerPartition: 256 * 1024,
    maxBytes: 2 * 1024 * 1024,
  });
  const partitions = new Map<number, PartitionState>();
  let handler: DeliveryHandler | undefined;
  let running = false;
  let connected = false;
  let paused = false;
  let closing: Promise<void> | undefined;
  let commitTimer: NodeJS.Timeout | undefined;
  // Settles start(): kafkajs's run() also returns after a join that crashed (and will be retried).
  let joined: { resolve(): void; reject(error: unknown): void } | undefined;
  let committing: Promise<void> | undefined;
  /** The pipeline's window, shared among the partitions with work. */
  let window = Number.POSITIVE_INFINITY;
  /** The partitions of `config.topic` this member owns, as of the last group join. */
  let owned: readonly number[] = [];
  /** For {@link Source.backlog} and {@link Source.offsets} only, connected on first use. */
  let admin: Admin | undefined;
  let adminConnected: Promise<void> | undefined;

  const { CONNECT, DISCONNECT, CRASH, GROUP_JOIN, HEARTBEAT, REBALANCING } = consumer.events;
  consumer.on(CONNECT, () => (connected = true));
  // Kept up while every partition is paused: the group keeps the member however long a pause lasts.
  consumer.on(HEARTBEAT, () => logger.debug({ group: config.group, paused }, 'kafka consumer heartbeat'));
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
  // Eager protocol: every partition of this member is revoked now, and kafkajs rejoins next.
  consumer.on(REBALANCING, () => {
    if (!closing && running) void commit();
  });
  consumer.on(GROUP_JOIN, (event) => {
    if (closing) return;
    running = true;
    onAssignment(event.payload.memberAssignment[config.topic] ?? []);
    joined?.resolve();
  });

  function onAssignment(assigned: number[]): void {
    owned = assigned;
    for (const [partition, state] of partitions) {
      if (assigned.includes(partition)) continue;
      state.tracker.revoke();
      state.queue = [];
      state.head = 0;
      partitions.delete(partition);
    }
    // kafkajs's pauses outlive a rebalance (a consumer that restarts after a crash forgets them): set
    // every assigned partition's fetch state from ours. A partition paused here, moved to another member
    // and assigned back would otherwise stay paused in kafkajs with nothing of ours to resume it.
    const paused: number[] = [];
    const fetching: number[] = [];
    for (const partition of assigned) (partitions.get(partition)?.fetchPaused ? paused : fetching).push(partition);
    if (paused.length > 0) consumer.pause([{ topic: config.topic, partitions: paused }]);
    if (fetching.length > 0) consumer.resume([{ topic: config.topic, partitions: fetching }]);
    logger.info({ topic: config.topic, partitions: assigned }, 'kafka partitions assigned');
  }

  function stateOf(partition: number): PartitionState {
    let state = partitions.get(partition);
    if (!state) {
      state = {
        topic: config.topic,
        partition,
        lane: `${config.topic}/${partition}`,
        tracker: createPartitionTracker(),
        queue: [],
        head: 0,
        lag: 0,
        lastBatch: 0,
        outstanding: 0,
        fetchPaused: false,
        drainScheduled: false,
      };
      partitions.set(partition, state);
    }
    return state;
  }

  /** This partition's share of the window: the window over the partitions with work (queued or outstanding). */
  function shareOf(): number {
    if (window === Number.POSITIVE_INFINITY) return window;
    let busy = 0;
    for (const state of partitions.values()) if (state.outstanding > 0 || state.head < state.queue.length) busy++;
    return Math.max(1, Math.ceil(window / Math.max(1, busy)));
  }

  /** Delivers from the partition's queue while the pipeline and the partition's share allow. */
  function drain(state: PartitionState): void {
    state.drainScheduled = false;
    const deliver = handler;
    // A revoked (or closed) partition delivers nothing more.
    if (!deliver || closing || state.tracker.revoked) return;
    const share = shareOf();
    const { queue, topic, partition } = state;
    while (!paused && state.head < queue.length && state.outstanding < share && !state.tracker.revoked) {
      const message = queue[state.head]!;
      queue[state.head++] = undefined as unknown as KafkaMessage;
      state.outstanding++;
      deliver(new KafkaDelivery(toInbound(topic, partition, message), state, Number(message.offset), onSettled));
    }
    if (state.head === queue.length) {
      state.queue = [];
      state.head = 0;
    } else if (state.head >= COMPACT_AFTER && state.head * 2 >= queue.length) {
      // Fetching ahead, the queue may never run empty: drop the delivered head now and then.
      state.queue = queue.slice(state.head);
      state.head = 0;
    }
    const ahead = state.queue.length - state.head <= state.lastBatch;
    if (ahead) {
      if (state.fetchPaused && !state.tracker.revoked) {
        state.fetchPaused = false;
        if (running) consumer.resume([{ topic, partitions: [partition] }]);
      }
    } else if (!state.fetchPaused && running) {
      state.fetchPaused = true;
      consumer.pause([{ topic, partitions: [partition] }]);
    }
  }

  /** Drains later in this turn: never re-enters the pipeline from inside its own ack. */
  function scheduleDrain(state: PartitionState): void {
    if (state.drainScheduled) return;
    state.drainScheduled = true;
    queueMicrotask(() => drain(state));
  }

  function onSettled(state: PartitionState): void {
    state.outstanding--;
    if (state.head < state.queue.length && !paused) scheduleDrain(state);
  }

  async function eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset } = payload;
    if (closing || !handler || batch.messages.length === 0) return;
    const state = stateOf(batch.partition);
    const { tracker } = state;
    const queued = state.queue.length;
    for (const message of batch.messages) {
      if (tracker.track(Number(message.offset))) state.queue.push(message);
    }
    // Moves the fetch position only; commits are ours alone (autoCommit is off).
    resolveOffset(batch.lastOffset());
    state.lag = Math.max(0, Number(batch.highWatermark) - tracker.lastTracked - 1);
    state.lastBatch = state.queue.length - queued;
    drain(state);
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

  async function shutdown(): Promise<void> {
    clearInterval(commitTimer);
    joined?.reject(new Error('kafka source closed while starting'));
    const failures: unknown[] = [];
    if (running) {
      // Stop fetching first, so nothing new arrives while the last acked offsets are committed
      // (nothing is delivered once closing; this only saves a fetch).
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
    owned = [];
    connected = false;
    for (const error of failures) logger.error({ err: error }, 'kafka source did not close cleanly');
    if (failures.length > 0) throw new Error('kafka source did not close cleanly', { cause: failures[0] });
  }

  /** Every partition's watermarks and the group's committed offsets, by partition. */
  async function brokerOffsets(): Promise<PartitionOffsets[]> {
    admin ??= kafka.admin();
    adminConnected ??= admin.connect().catch((error: unknown) => {
      adminConnected = undefined;
      throw error;
    });
    await adminConnected;
    const [ends, [committed]] = await Promise.all([admin.fetchTopicOffsets(config.topic), admin.fetchOffsets({ groupId: config.group, topics: [config.topic] })]);
    const at = new Map((committed?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
    return ends
      .map((end) => ({ topic: config.topic, partition: end.partition, committed: at.get(end.partition) ?? -1, start: Number(end.low), end: Number(end.high) }))
      .sort((a, b) => a.partition - b.partition);
  }

  return {
    kind: 'kafka',
    async start(onDelivery, intake?: IntakeWindow) {
      if (closing) throw new Error('kafka source is closed');
      handler = onDelivery;
      window = intake?.maxEvents ?? Number.POSITIVE_INFINITY;
      try {
        await consumer.connect();
      } catch (error) {
        throw toConnectRefusal(error, 'receive') ?? error;
      }
      await consumer.subscribe({ topic: config.topic, fromBeginning: config.fromBeginning });
      // GROUP_JOIN settles this and sets `running`.
      const started = new Promise<void>((resolve, reject) => (joined = { resolve, reject }));
      started.catch(() => undefined); // awaited below; this only keeps an early failure from going unhandled
      await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: PARTITIONS_CONCURRENTLY, eachBatch });
      await started;
      joined = undefined;
      commitTimer = setInterval(() => void commit(), config.commitIntervalMs);
      commitTimer.unref();
    },
    pause() {
      // Takes effect at the next delivery; partitions with a queue stop fetching (see drain()).
      paused = true;
    },
    resume() {
      paused = false;
      for (const state of partitions.values()) if (state.head < state.queue.length) scheduleDrain(state);
    },
    status(): SourceStatus {
      let lag = 0;
      for (const state of partitions.values()) lag += state.lag + state.tracker.inFlight;
      return { connected: connected && !closing, paused, lag };
    },
    async backlog() {
      // The group's lag as the broker sees it (high watermark − committed offset, every partition):
      // right while paused, when nothing is fetched. Without a committed offset, the lag counts from
      // where this group will start.
      if (closing) return {};
      const rows = (await brokerOffsets()).map(({ topic, partition, committed, start, end }) => {
        const position = committed >= 0 ? committed : config.fromBeginning ? start : end;
        return { topic, partition, lag: Math.max(0, end - position) };
      });
      return { partitions: rows };
    },
    async offsets() {
      if (closing || owned.length === 0) return [];
      const mine = owned;
      return (await brokerOffsets()).filter((row) => mine.includes(row.partition));
    },
    close() {
      closing ??= shutdown();
      return closing;
    },
  };
}
