/**
 * The pipelines under test: the Modelbridge worker (as `modelbridge run` with a generated connector
 * config) and the hand-written kafkajs / amqplib baselines, each in a child process.
 */
import { join } from 'node:path';
import type { Child } from './child.ts';
import { spawnNode } from './child.ts';
import { compiledWorker } from './compiled.ts';
import type { Candidate } from './measure.ts';
import type { Destinations } from './transport.ts';
import { launchHeapFlags } from '../../services/cli/heap.ts';
import { PROBE_ARGS, readProbe, startWorker } from './worker.ts';

/** Where the brokers and the model server are, and how the worker is run. */
export interface BenchContext {
  readonly brokers: readonly string[];
  readonly amqpUrl: string;
  /** Directory for CPU profiles of the worker; none when not profiling. */
  readonly profileDir: string | undefined;
  /** Checkout whose `services/cli/main.ts` runs as the worker (default: this one), to A/B a change. */
  readonly workerRoot: string | undefined;
  /**
   * A checkout of the code before a change (`--before-root`): scenarios that support it run its worker
   * or client side by side with this one's, in the same invocation.
   */
  readonly beforeRoot?: string | undefined;
}

/** Overrides of the connector's `inference` section (concurrency, batch, backend…). */
export type InferenceOverrides = Record<string, unknown>;

export interface WorkerCandidateOptions {
  readonly transport: 'kafka' | 'rabbitmq';
  readonly modelUrl: string;
  /** A label for the profile file. */
  readonly label: string;
  readonly inference?: InferenceOverrides;
  readonly ordering?: 'key' | 'partition' | 'none';
  /** Extra Node.js flags for the worker process, after the heap flags (a later flag wins). */
  readonly nodeArgs?: readonly string[];
  /**
   * `launcher` (default): the heap flags `modelbridge run` would start the worker with on this machine
   * (cgroup limit, else the memory budget; see services/cli/heap.ts). `v8`: none, V8 sizes its heap from
   * the host's memory.
   */
  readonly heap?: 'launcher' | 'v8';
  /** Run the worker from this checkout instead of `ctx.workerRoot`. */
  readonly root?: string;
  /** Candidate name in the results (default `modelbridge`). */
  readonly name?: string;
  /** Extra environment of the worker process (e.g. OTEL_* variables to turn tracing on). */
  readonly env?: NodeJS.ProcessEnv;
  /** Run the worker compiled to JavaScript, as the container image does (bench/lib/compiled.ts). */
  readonly compiled?: boolean;
}

/** The Modelbridge worker, echo model over OIP v2 HTTP unless `inference.backend` overrides it. */
export function workerCandidate(ctx: BenchContext, options: WorkerCandidateOptions): Candidate {
  return {
    name: options.name ?? 'modelbridge',
    async start(d) {
      const config = {
        name: 'bench',
        ...endpoints(ctx, options.transport, d),
        decode: { format: 'json', idPath: 'id', keyPath: 'key', type: 'com.example.bench' },
        ordering: options.ordering ?? 'key',
        inference: {
          backend: { kind: 'kserve-http', url: options.modelUrl, model: 'echo' },
          request: { inputs: { TEXT: 'data.text' } },
          response: { echo: 'outputs.TEXT[0]' },
          ...options.inference,
        },
      };
      const nodeArgs = [
        ...(options.heap === 'v8' ? [] : launchHeapFlags({ ...process.env, ...options.env }, options.nodeArgs ?? [])),
        ...(options.nodeArgs ?? []),
        ...(ctx.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${ctx.profileDir}`, `--cpu-prof-name=${options.label}.cpuprofile`] : []),
      ];
      const root = options.root ?? ctx.workerRoot;
      return startWorker({ config, nodeArgs, root, env: options.env, compiled: options.compiled ? compiledWorker(root) : undefined });
    },
  };
}

function endpoints(ctx: BenchContext, transport: 'kafka' | 'rabbitmq', d: Destinations): Record<string, unknown> {
  if (transport === 'kafka') {
    const brokers = [...ctx.brokers];
    return {
      source: { kind: 'kafka', brokers, topic: d.input, group: `${d.input}.worker` },
      sink: { kind: 'kafka', brokers, topic: d.output },
      deadLetter: { kind: 'kafka', brokers, topic: d.deadLetter },
    };
  }
  return {
    source: { kind: 'rabbitmq', url: ctx.amqpUrl, queue: d.input },
    sink: { kind: 'rabbitmq', url: ctx.amqpUrl, exchange: '', routingKey: d.output },
    deadLetter: { kind: 'rabbitmq', url: ctx.amqpUrl, exchange: '', routingKey: d.deadLetter },
  };
}

/**
 * A hand-written baseline: `pipe` (no model call, the ceiling), `naive` (one awaited HTTP call per
 * message) or `handwritten` (what a competent team writes: bounded concurrency, keep-alive, batched
 * sends or a confirm channel, commit/ack after publish).
 */
export function baselineCandidate(ctx: BenchContext, transport: 'kafka' | 'rabbitmq', mode: 'pipe' | 'naive' | 'handwritten', modelUrl: string): Candidate {
  const name = `${transport === 'kafka' ? 'kafkajs' : 'amqplib'}-${mode === 'pipe' ? 'raw-pipe' : mode}`;
  return {
    name,
    async start(d): Promise<Child> {
      const args =
        mode === 'handwritten'
          ? transport === 'kafka'
            ? [join('bench', 'procs', 'kafka-handwritten.ts'), '--brokers', ctx.brokers.join(','), '--group', `${d.input}.${mode}`, '--partitions', String(d.partitions)]
            : [join('bench', 'procs', 'amqp-handwritten.ts'), '--url', ctx.amqpUrl]
          : transport === 'kafka'
            ? [join('bench', 'procs', 'kafka-baseline.ts'), '--brokers', ctx.brokers.join(','), '--group', `${d.input}.${mode}`, '--partitions', String(d.partitions), '--mode', mode]
            : [join('bench', 'procs', 'amqp-baseline.ts'), '--url', ctx.amqpUrl, '--mode', mode];
      args.push('--input', d.input, '--output', d.output, '--model-url', modelUrl);
      // The same allocation probe as the worker's, so the cost per event compares like with like; with
      // --profile the hand-written peers are profiled too, to compare where each spends its time.
      const profile = ctx.profileDir && mode === 'handwritten' ? ['--cpu-prof', `--cpu-prof-dir=${ctx.profileDir}`, `--cpu-prof-name=${name}-${d.input}.cpuprofile`] : [];
      const child = spawnNode({ name, args: [...profile, ...PROBE_ARGS, ...args] });
      try {
        await child.waitForLine((line) => line.ready === true, 60_000);
      } catch (error) {
        await child.stop(1000);
        throw error;
      }
      return Object.assign(child, { probe: () => readProbe(child) });
    },
  };
}

/** `count` workers in one consumer group, as one candidate (peak RSS: the largest of them). */
export function scaledWorkers(ctx: BenchContext, options: WorkerCandidateOptions, count: number): Candidate {
  const one = workerCandidate(ctx, options);
  return {
    name: `modelbridge-x${count}`,
    async start(d): Promise<Child> {
      const children: Child[] = [];
      try {
        for (let i = 0; i < count; i++) children.push(await one.start(d));
      } catch (error) {
        await Promise.all(children.map((child) => child.stop(2000)));
        throw error;
      }
      return {
        pid: children[0]!.pid,
        name: `modelbridge-x${count}`,
        output: () => children.map((child) => child.output()).join('\n'),
        get exited() {
          return children.some((child) => child.exited);
        },
        waitForLine: (match, timeoutMs) => children[0]!.waitForLine(match, timeoutMs),
        peakRssMb: () => Math.max(...children.map((child) => child.peakRssMb() ?? 0)),
        stop: async (graceMs) => {
          await Promise.all(children.map((child) => child.stop(graceMs)));
        },
      };
    },
  };
}
