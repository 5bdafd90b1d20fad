/**
 * The contract every InferenceClient keeps, run against each one (rest, kserve-http, kserve-grpc,
 * openai) and the reference model server, as the transport conformance suite is run against every
 * transport: ready() never throws, a timeout and a shutdown abort are told apart by the signal's
 * reason, close() is idempotent and ends calls with ABORTED, and failures are classified.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { InferenceClient, InferenceRequest } from '../../connectors/types.ts';
import type { ModelServer } from '../../services/model-server/server.ts';
import { closedPort, failure, live } from './http-test-kit.ts';
import { waitFor } from './wait-for.ts';

export interface InferenceClientSubject {
  /** The backend kind, for the suite's name. */
  readonly kind: string;
  /** The reference server's model the client calls: faults and stats are keyed by it. */
  readonly model: string;
  /** A request that model answers. */
  readonly request: InferenceRequest;
  /** A client of the model on `server`. */
  create(server: ModelServer): InferenceClient;
  /** A client whose backend address (`host:port`) refuses connections. */
  createAt(address: string): InferenceClient;
  /** The upstream status a refused connection carries (`ECONNREFUSED` over HTTP, the gRPC code). */
  readonly refusedUpstream: string;
}

export function describeInferenceClientConformance(server: ModelServer, subject: InferenceClientSubject): void {
  describe(`InferenceClient conformance: ${subject.kind}`, () => {
    const clients: InferenceClient[] = [];
    afterEach(() => Promise.all(clients.splice(0).map((c) => c.close())));
    const track = (c: InferenceClient): InferenceClient => {
      clients.push(c);
      return c;
    };
    const client = (): InferenceClient => track(subject.create(server));
    const refused = async (): Promise<InferenceClient> => track(subject.createAt(await closedPort()));
    const probe = (): AbortSignal => AbortSignal.timeout(5000);

    it('answers a request with outputs and names its kind and model', async () => {
      const c = client();
      expect(c.kind).toBe(subject.kind);
      const response = await c.infer(subject.request, live());
      expect(typeof response.outputs).toBe('object');
    });

    it('ready() is true for a ready model and false, never throwing, when not ready, refused, aborted or closed', async () => {
      const c = client();
      expect(await c.ready(probe())).toBe(true);
      server.faults.set(subject.model, { notReady: true });
      expect(await c.ready(probe())).toBe(false);
      server.faults.clear(subject.model);
      expect(await c.ready(AbortSignal.abort(new Error('gone')))).toBe(false);
      expect(await (await refused()).ready(probe())).toBe(false);
      await c.close();
      expect(await c.ready(probe())).toBe(false);
    });

    it('a timeout (TimeoutError abort) is INFERENCE_TIMEOUT, retryable', async () => {
      server.faults.set(subject.model, { hang: true });
      const error = await failure(client().infer(subject.request, { signal: AbortSignal.timeout(150) }));
      expect(error).toMatchObject({ code: 'INFERENCE_TIMEOUT', retryable: true, stage: 'infer' });
    });

    it('a shutdown abort (any other reason) is ABORTED, not retryable', async () => {
      server.faults.set(subject.model, { hang: true });
      const lifecycle = new AbortController();
      const pending = failure(client().infer(subject.request, { signal: lifecycle.signal }));
      await waitFor(() => server.stats.model(subject.model).requests === 1, { what: 'the call to reach the server' });
      lifecycle.abort(new Error('worker shutting down'));
      expect(await pending).toMatchObject({ code: 'ABORTED', retryable: false });
    });

    it('a refused connection is INFERENCE_UNAVAILABLE, retryable', async () => {
      expect(await failure((await refused()).infer(subject.request, live()))).toMatchObject({
        code: 'INFERENCE_UNAVAILABLE',
        retryable: true,
        upstreamStatus: subject.refusedUpstream,
      });
    });

    it.each([
      [500, 'INFERENCE_FAILED', true],
      [503, 'INFERENCE_UNAVAILABLE', true],
      [429, 'INFERENCE_RATE_LIMITED', true],
    ] as const)('a server failure (HTTP %i or its gRPC code) is %s, retryable', async (errorStatus, code, retryable) => {
      server.faults.set(subject.model, { failNext: 1, errorStatus });
      expect(await failure(client().infer(subject.request, live()))).toMatchObject({ code, retryable, stage: 'infer' });
    });

    it('close() is idempotent, and a call after it fails with ABORTED', async () => {
      const c = client();
      await c.close();
      await c.close();
      expect(await failure(c.infer(subject.request, live()))).toMatchObject({ code: 'ABORTED', retryable: false });
    });
  });
}
