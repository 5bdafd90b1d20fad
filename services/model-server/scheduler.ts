/**
 * A per-model scheduler like Triton's dynamic batcher: a bounded queue in front of `instances` execution
 * slots, and batching that coalesces queued requests with the same input signature into one execution
 * of the model (their inputs concatenated along the first, batch, dimension; the outputs split back).
 * A full queue rejects at once with 503 / UNAVAILABLE, as Triton does ("Exceeds maximum queue size"):
 * overload is the server being unavailable for now, not the client exceeding a quota.
 */
import type { FaultRegistry } from './faults.ts';
import { latencyFor } from './faults.ts';
import { HttpError } from './http-error.ts';
import type { Model, Tensor } from './models/model.ts';
import type { ServerStats } from './stats.ts';

/** Scheduling of one model; a model without it runs each request at once, unbounded. */
export interface SchedulingOptions {
  /** Requests waiting for an execution slot beyond which new ones are rejected (default: unbounded). */
  readonly maxQueueSize?: number;
  /** Largest batch (sum of the requests' first dimensions) of one execution (default 1: no batching). */
  readonly maxBatchSize?: number;
  /** How long the oldest queued request waits for more to fill its batch (default 0). */
  readonly batchDelayMs?: number;
  /** Concurrent executions (Triton's instance count; default 1). */
  readonly instances?: number;
}

export interface SchedulerDeps {
  readonly stats: ServerStats;
  readonly faults: FaultRegistry;
  readonly random: () => number;
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly closing: AbortSignal;
}

/** The scheduler of one model. */
export interface Scheduler {
  /** Runs the model on `inputs` once a slot is free; rejects when the queue is full or `gone` aborts while queued. */
  run(inputs: ReadonlyMap<string, Tensor>, gone: AbortSignal): Promise<Tensor[]>;
}

interface Entry {
  readonly inputs: ReadonlyMap<string, Tensor>;
  /** Requests with equal keys can share an execution; a unique key for requests that cannot batch. */
  readonly key: string;
  readonly size: number;
  readonly at: number;
  due: boolean;
  resolve(outputs: Tensor[]): void;
  reject(error: unknown): void;
}

/** Creates the scheduler of `model`. */
export function createScheduler(model: Model, options: SchedulingOptions, deps: SchedulerDeps): Scheduler {
  const maxQueue = options.maxQueueSize ?? Number.POSITIVE_INFINITY;
  const maxBatch = options.maxBatchSize ?? 1;
  const delayMs = options.batchDelayMs ?? 0;
  const instances = options.instances ?? 1;
  const queue: Entry[] = [];
  let busy = 0;
  let timer: NodeJS.Timeout | undefined;
  let unique = 0;

  deps.closing.addEventListener('abort', () => {
    clearTimeout(timer);
    for (const entry of queue.splice(0)) entry.reject(new HttpError(503, `model ${model.name} is shutting down`));
  });

  const pump = (): void => {
    while (busy < instances && queue.length > 0) {
      const head = queue[0]!;
      const batch = [head];
      let size = head.size;
      for (let i = 1; i < queue.length && size < maxBatch; i++) {
        const entry = queue[i]!;
        if (entry.key === head.key && size + entry.size <= maxBatch) {
          batch.push(entry);
          size += entry.size;
        }
      }
      if (size < maxBatch && delayMs > 0 && !head.due) {
        timer ??= setTimeout(() => {
          timer = undefined;
          head.due = true;
          pump();
        }, Math.max(0, head.at + delayMs - performance.now()));
        return;
      }
      for (const entry of batch) queue.splice(queue.indexOf(entry), 1);
      busy++;
      void execute(batch).finally(() => {
        busy--;
        pump();
      });
    }
  };

  const execute = async (batch: Entry[]): Promise<void> => {
    try {
      const latency = latencyFor(deps.faults.get(model.name), deps.random);
      if (latency > 0) await deps.sleep(latency, deps.closing);
      const outputs = model.infer(batch.length === 1 ? batch[0]!.inputs : concat(batch));
      deps.stats.recordExecution(model.name);
      if (batch.length === 1) return batch[0]!.resolve(outputs);
      const parts = split(model, outputs, batch);
      for (let i = 0; i < batch.length; i++) batch[i]!.resolve(parts[i]!);
    } catch (error) {
      for (const entry of batch) entry.reject(error);
    }
  };

  return {
    run(inputs, gone) {
      if (queue.length >= maxQueue) {
        return Promise.reject(new HttpError(503, `model ${model.name}: exceeds maximum queue size ${maxQueue}`, undefined, 'UNAVAILABLE'));
      }
      return new Promise<Tensor[]>((resolve, reject) => {
        const size = batchSize(inputs);
        const key = size === undefined || maxBatch === 1 ? `#${unique++}` : signature(inputs);
        const onGone = (): void => {
          const index = queue.indexOf(entry);
          if (index !== -1) queue.splice(index, 1);
          reject(gone.reason);
        };
        const entry: Entry = {
          inputs, key, size: size ?? 1, at: performance.now(), due: false,
          resolve: (outputs) => {
            gone.removeEventListener('abort', onGone);
            resolve(outputs);
          },
          reject: (error) => {
            gone.removeEventListener('abort', onGone);
            reject(error);
          },
        };
        gone.addEventListener('abort', onGone, { once: true });
        queue.push(entry);
        pump();
      });
    },
  };
}

/** The common first dimension of every input, if they have one. */
function batchSize(inputs: ReadonlyMap<string, Tensor>): number | undefined {
  let size: number | undefined;
  for (const tensor of inputs.values()) {
    const first = tensor.shape[0];
    if (first === undefined || (size !== undefined && first !== size)) return undefined;
    size = first;
  }
  return size;
}

function signature(inputs: ReadonlyMap<string, Tensor>): string {
  const parts: string[] = [];
  for (const t of inputs.values()) parts.push(`${t.name}:${t.datatype}:${t.shape.slice(1).join('x')}`);
  return parts.sort().join('|');
}

function concat(batch: readonly Entry[]): Map<string, Tensor> {
  const merged = new Map<string, Tensor>();
  for (const [name, first] of batch[0]!.inputs) {
    const data: unknown[] = [];
    let rows = 0;
    for (const entry of batch) {
      const tensor = entry.inputs.get(name)!;
      for (const value of tensor.data) data.push(value);
      rows += tensor.shape[0]!;
    }
    merged.set(name, { name, datatype: first.datatype, shape: [rows, ...first.shape.slice(1)], data });
  }
  return merged;
}

function split(model: Model, outputs: readonly Tensor[], batch: readonly Entry[]): Tensor[][] {
  const total = batch.reduce((sum, entry) => sum + entry.size, 0);
  const parts: Tensor[][] = batch.map(() => []);
  for (const output of outputs) {
    if (output.shape[0] !== total) throw new HttpError(500, `model ${model.name}: output ${output.name} is not batched along its first dimension`);
    const row = output.data.length / total;
    let offset = 0;
    for (let i = 0; i < batch.length; i++) {
      const rows = batch[i]!.size;
      parts[i]!.push({ ...output, shape: [rows, ...output.shape.slice(1)], data: output.data.slice(offset * row, (offset + rows) * row) });
      offset += rows;
    }
  }
  return parts;
}
