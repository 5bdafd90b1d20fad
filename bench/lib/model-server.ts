/** The reference model server in a child process of its own, with the benchmark's latency settings. */
import type { Child } from './child.ts';
import { spawnNode } from './child.ts';

export interface ModelServerOptions {
  /** Latency added to every infer call, ms. */
  readonly latencyMs?: number;
  /** Per-model scheduling of the reference server (queue, instances, dynamic batching). */
  readonly scheduling?: Record<string, { instances?: number; maxBatchSize?: number; batchDelayMs?: number; maxQueueSize?: number }>;
}

export interface BenchModelServer {
  readonly url: string;
  /** `host:port` of the OIP v2 gRPC endpoint. */
  readonly grpcUrl: string;
  readonly child: Child;
  /** Infer requests the server received for `model` since start. */
  requests(model: string): Promise<number>;
  stop(): Promise<void>;
}

/** Starts `bench/procs/model-server.ts` and resolves once it listens. */
export async function startModelServer(options: ModelServerOptions = {}): Promise<BenchModelServer> {
  const args = ['bench/procs/model-server.ts', '--latency-ms', String(options.latencyMs ?? 0)];
  if (options.scheduling) args.push('--scheduling', JSON.stringify(options.scheduling));
  const child = spawnNode({ name: 'model server', args });
  let url: string;
  let grpcUrl: string;
  try {
    const line = await child.waitForLine((l) => l.ready === true, 30_000);
    url = String(line.url);
    grpcUrl = String(line.grpcUrl);
  } catch (error) {
    await child.stop(1000);
    throw error;
  }
  return {
    url,
    grpcUrl,
    child,
    async requests(model) {
      const response = await fetch(`${url}/admin/stats`, { signal: AbortSignal.timeout(5000) });
      const body = (await response.json()) as { models: Record<string, { requests: number } | undefined> };
      return body.models[model]?.requests ?? 0;
    },
    stop: () => child.stop(5000),
  };
}
