import { afterEach, describe, expect, it } from 'vitest';
import { createKserveGrpcClient } from '../../../connectors/kserve/client-grpc.ts';
import { createKserveHttpClient } from '../../../connectors/kserve/client-http.ts';
import type { InferenceClient } from '../../../connectors/types.ts';
import { kserveGrpcBackendSchema, kserveHttpBackendSchema } from '../../../schemas/connector-config.ts';
import type { SchedulingOptions } from '../../../services/model-server/scheduler.ts';
import { createModelServer } from '../../../services/model-server/server.ts';
import type { ModelServer } from '../../../services/model-server/server.ts';
import { failure, live } from '../../support/http-test-kit.ts';
import { waitFor } from '../../support/wait-for.ts';

const servers: ModelServer[] = [];
const clients: InferenceClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** A server whose injected latency lasts until `release()`: executions hold their slot deterministically. */
async function gatedServer(scheduling: Record<string, SchedulingOptions>) {
  const waiting: (() => void)[] = [];
  const server = createModelServer({
    scheduling,
    sleep: (_ms, signal) =>
      new Promise<void>((resolve, reject) => {
        waiting.push(resolve);
        signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
      }),
  });
  servers.push(server);
  await server.start();
  return { server, sleeping: () => waiting.length, release: () => waiting.splice(0).forEach((resolve) => resolve()) };
}

function client(server: ModelServer, kind: 'http' | 'grpc', model = 'sentiment'): InferenceClient {
  const c =
    kind === 'http'
      ? createKserveHttpClient(kserveHttpBackendSchema.parse({ kind: 'kserve-http', url: server.url, model, preflight: false }))
      : createKserveGrpcClient(kserveGrpcBackendSchema.parse({ kind: 'kserve-grpc', url: server.grpcUrl, model, preflight: false }));
  clients.push(c);
  return c;
}

const text = (t: string) => ({ id: t, inputs: { TEXT: [t] } });

describe('model server: bounded queue', () => {
  it.each([
    ['grpc', 'UNAVAILABLE', 'OK'],
    ['http', 503, 200],
  ] as const)('over %s, a full queue rejects at once with %s (INFERENCE_UNAVAILABLE); queued calls run later', async (kind, rejected, ok) => {
    const { server, sleeping, release } = await gatedServer({ sentiment: { maxQueueSize: 2 } });
    server.faults.set('sentiment', { latencyMs: 50 });
    const c = client(server, kind);
    const first = c.infer(text('great'), live());
    await waitFor(() => sleeping() === 1, { what: 'the first call to execute' });
    const queued = [c.infer(text('bad'), live()), c.infer(text('fine'), live())];
    await waitFor(() => server.stats.model('sentiment').requests === 3, { what: 'two calls to queue' });

    const error = await failure(c.infer(text('late'), live()));
    expect(error).toMatchObject({ code: 'INFERENCE_UNAVAILABLE', retryable: true, upstreamStatus: rejected });

    release();
    await waitFor(() => (release(), server.stats.model('sentiment').executions === 3), { what: 'the queued calls to run' });
    const labels = (await Promise.all([first, ...queued])).map((r) => (r.outputs.LABEL as string[])[0]);
    expect(labels).toEqual(['positive', 'negative', 'positive']);
    expect(server.stats.model('sentiment').byStatus).toEqual({ [ok]: 3, [rejected]: 1 });
  });

  it('a client that gives up while queued leaves the queue (its call never executes)', async () => {
    const { server, sleeping, release } = await gatedServer({ sentiment: { maxQueueSize: 1 } });
    server.faults.set('sentiment', { latencyMs: 50 });
    const c = client(server, 'grpc');
    const first = c.infer(text('great'), live());
    await waitFor(() => sleeping() === 1, { what: 'the first call to execute' });
    const leaving = new AbortController();
    const gone = failure(c.infer(text('bad'), { signal: leaving.signal }));
    await waitFor(() => server.stats.model('sentiment').requests === 2, { what: 'the second call to queue' });
    leaving.abort(new Error('shutdown'));
    expect((await gone).code).toBe('ABORTED');
    await waitFor(() => server.stats.model('sentiment').byStatus.aborted === 1, { what: 'the server to drop it' });
    // The queue has room again.
    const third = c.infer(text('fine'), live());
    await waitFor(() => server.stats.model('sentiment').requests === 3, { what: 'the third call to queue' });
    await waitFor(() => (release(), server.stats.model('sentiment').executions === 2), { what: 'the calls to run' });
    await Promise.all([first, third]);
    expect(server.stats.model('sentiment').executions).toBe(2);
  });
});

describe('model server: dynamic batching', () => {
  it.each(['grpc', 'http'] as const)('over %s, coalesces concurrent calls into one execution once the batch is full', async (kind) => {
    const server = createModelServer({ scheduling: { sentiment: { maxBatchSize: 4, batchDelayMs: 60_000 } } });
    servers.push(server);
    await server.start();
    const c = client(server, kind);
    const results = await Promise.all([
      c.infer({ id: 'a', inputs: { TEXT: ['great', 'awful'] } }, live()),
      c.infer(text('fine'), live()),
      c.infer(text('terrible'), live()),
    ]);
    expect(results.map((r) => r.outputs.LABEL)).toEqual([['positive', 'negative'], ['positive'], ['negative']]);
    expect(server.stats.model('sentiment')).toMatchObject({ requests: 3, executions: 1 });
  });

  it('batches what queued behind a busy instance (executions < requests), and never mixes signatures', async () => {
    const { server, sleeping, release } = await gatedServer({ echo: { maxBatchSize: 8 } });
    server.faults.set('echo', { latencyMs: 50 });
    const c = client(server, 'grpc', 'echo');
    const first = c.infer({ id: 'x', inputs: { X: [0] } }, live());
    await waitFor(() => sleeping() === 1, { what: 'the first call to execute' });
    const same = [1, 2, 3, 4].map((i) => c.infer({ id: `x${i}`, inputs: { X: [i] } }, live()));
    const other = c.infer({ id: 'y', inputs: { Y: ['other'] } }, live());
    await waitFor(() => server.stats.model('echo').requests === 6, { what: 'the calls to queue' });
    await waitFor(() => (release(), server.stats.model('echo').executions === 3), { what: 'the batches to run' });
    const outputs = await Promise.all([first, ...same, other]);
    expect(outputs.map((r) => ({ ...r.outputs }))).toEqual([{ X: [0] }, { X: [1] }, { X: [2] }, { X: [3] }, { X: [4] }, { Y: ['other'] }]);
    expect(server.stats.model('echo')).toMatchObject({ requests: 6, executions: 3 });
  });

  it('refuses scheduling for a model it does not serve', () => {
    expect(() => createModelServer({ scheduling: { nope: { maxQueueSize: 1 } } })).toThrow(/no model nope/);
  });
});
