import { afterEach, describe, expect, it } from 'vitest';
import type { InferenceClient, InferenceRequest, InferenceResponse } from '../../../connectors/types.ts';
import { inferenceSchema } from '../../../schemas/connector-config.ts';
import { ModelbridgeError } from '../../../schemas/errors.ts';
import { createGuardedBackend } from '../../../services/worker/guarded-backend.ts';
import type { BreakerState, GuardedBackend } from '../../../services/worker/guarded-backend.ts';
import { createFixedLimiter } from '../../../services/worker/limiter.ts';
import { waitFor } from '../../support/wait-for.ts';

type Answer = () => Promise<InferenceResponse>;

const OK: Answer = async () => ({ modelName: 'm', modelVersion: '1', outputs: { Y: [1] } });
const fail = (code: ConstructorParameters<typeof ModelbridgeError>[0], retryAfterMs?: number): Answer => async () => {
  throw new ModelbridgeError(code, code.toLowerCase(), { retryAfterMs });
};

/** A client answering from a script, one answer per call (the last one repeats). */
function scripted(...answers: Answer[]) {
  const calls: InferenceRequest[] = [];
  let ready = true;
  const client: InferenceClient = {
    kind: 'kserve-http',
    model: 'm',
    version: undefined,
    infer(request) {
      calls.push(request);
      return (answers[Math.min(calls.length, answers.length) - 1] ?? OK)();
    },
    async ready() {
      return ready;
    },
    async close() {},
  };
  return {
    client,
    calls,
    setReady(value: boolean) {
      ready = value;
    },
  };
}

const request: InferenceRequest = { id: 'e1', inputs: { X: [1] } };
const guards: GuardedBackend[] = [];
const lifecycles: AbortController[] = [];
afterEach(() => {
  for (const lifecycle of lifecycles.splice(0)) lifecycle.abort(new ModelbridgeError('ABORTED', 'test over'));
  for (const guard of guards.splice(0)) guard.close();
});

function guard(client: InferenceClient, policy: Record<string, unknown> = {}) {
  const config = inferenceSchema.parse({
    backend: { kind: 'kserve-http', url: 'http://127.0.0.1:1', model: 'm' },
    request: { inputs: { X: 'data.x' } },
    response: { y: 'outputs.Y[0]' },
    timeout: '1s',
    retry: { attempts: 3, minDelay: '1ms', maxDelay: '2ms' },
    breaker: { volumeThreshold: 100, resetTimeout: '20ms' },
    ...policy,
  });
  const lifecycle = new AbortController();
  lifecycles.push(lifecycle);
  const events = { states: [] as BreakerState[], retries: [] as string[], attempts: 0 };
  const backend = createGuardedBackend(client, config, lifecycle.signal, {
    onStateChange: (state) => events.states.push(state),
    onRetry: (error) => events.retries.push(error.code),
    onAttempt: () => void events.attempts++,
  }, createFixedLimiter(8));
  guards.push(backend);
  return { backend, lifecycle, events };
}

describe('createGuardedBackend', () => {
  it('answers on the first attempt with no retry', async () => {
    const { client } = scripted(OK);
    const { backend, events } = guard(client);
    const outcome = await backend.infer(request, undefined);
    expect(outcome).toMatchObject({ ok: true, attempts: 1 });
    expect(events.retries).toEqual([]);
  });

  it('retries a transient failure within the budget and counts every attempt', async () => {
    const { client, calls } = scripted(fail('INFERENCE_UNAVAILABLE'), fail('INFERENCE_TIMEOUT'), OK);
    const { backend, events } = guard(client);
    expect(await backend.infer(request, undefined)).toMatchObject({ ok: true, attempts: 3 });
    expect(calls).toHaveLength(3);
    expect(events.retries).toEqual(['INFERENCE_UNAVAILABLE', 'INFERENCE_TIMEOUT']);
  });

  it('gives up on a poison answer at once (no retry), with its error', async () => {
    const { client, calls } = scripted(fail('INFERENCE_REJECTED'));
    const { backend } = guard(client);
    const outcome = await backend.infer(request, undefined);
    expect(outcome).toMatchObject({ ok: false, attempts: 1, error: { code: 'INFERENCE_REJECTED' } });
    expect(calls).toHaveLength(1);
  });

  it('gives up after the budget when the backend is otherwise healthy', async () => {
    const { client } = scripted(fail('INFERENCE_FAILED'));
    const { backend, events } = guard(client);
    const outcome = await backend.infer(request, undefined);
    expect(outcome).toMatchObject({ ok: false, attempts: 3, error: { code: 'INFERENCE_FAILED' } });
    expect(events.retries).toHaveLength(2);
    expect(outcome.ok === false && outcome.lastFailureAt >= outcome.firstFailureAt).toBe(true);
  });

  it('holds outside the budget while the breaker is open, and answers once the backend recovers', async () => {
    const script = scripted(fail('INFERENCE_UNAVAILABLE'));
    const { backend, events } = guard(script.client, { breaker: { volumeThreshold: 2, resetTimeout: '20ms' } });
    const pending = backend.infer(request, undefined);
    let settled = false;
    void pending.then(() => (settled = true));
    // The second failure opens the breaker: the call is held, not dead-lettered, however long it lasts.
    await waitFor(() => events.states.includes('open'), { what: 'the breaker to open' });
    await waitFor(() => events.states.filter((state) => state === 'open').length >= 3, { what: 'failed half-open trials' });
    expect(settled).toBe(false);
    script.client.infer = async (r) => {
      script.calls.push(r);
      return OK();
    };
    const outcome = await pending;
    expect(outcome).toMatchObject({ ok: true });
    expect(outcome.ok && outcome.attempts).toBe(script.calls.length);
    expect(events.retries).toEqual(['INFERENCE_UNAVAILABLE']);
    expect(backend.state).toBe('closed');
  });

  it('does not hold when asked not to: BREAKER_OPEN at once, wrapping the cause', async () => {
    const { client } = scripted(fail('INFERENCE_UNAUTHORIZED'));
    const { backend } = guard(client);
    const outcome = await backend.infer(request, undefined, { hold: false });
    expect(outcome).toMatchObject({ ok: false, attempts: 1, error: { code: 'BREAKER_OPEN' } });
    expect(outcome.ok === false && (outcome.error.cause as ModelbridgeError).code).toBe('INFERENCE_UNAUTHORIZED');
    // The breaker is now open: the next non-holding call makes no attempt at all.
    expect(await backend.infer(request, undefined, { hold: false })).toMatchObject({ ok: false, attempts: 0, error: { code: 'BREAKER_OPEN' } });
  });

  it('ends a held call with ABORTED when the worker shuts down', async () => {
    const { client } = scripted(fail('INFERENCE_UNAUTHORIZED'));
    const { backend, lifecycle } = guard(client);
    const pending = backend.infer(request, undefined);
    await waitFor(() => backend.state !== 'closed');
    lifecycle.abort(new ModelbridgeError('ABORTED', 'stop'));
    expect(await pending).toMatchObject({ ok: false, error: { code: 'ABORTED' } });
  });

  it('ends a retry backoff with ABORTED when the worker shuts down', async () => {
    const { client } = scripted(fail('INFERENCE_RATE_LIMITED', 60_000));
    const { backend, lifecycle, events } = guard(client, { retry: { attempts: 5, minDelay: '1ms', maxDelay: '1m' } });
    const pending = backend.infer(request, undefined);
    await waitFor(() => events.retries.length === 1);
    lifecycle.abort(new ModelbridgeError('ABORTED', 'stop'));
    expect(await pending).toMatchObject({ ok: false, attempts: 1, error: { code: 'ABORTED' } });
  });

  it('whenClosed resolves at once on a closed breaker, and rejects with the reason when its signal aborts', async () => {
    const { client } = scripted(fail('INFERENCE_UNAUTHORIZED'));
    const { backend } = guard(client);
    await expect(backend.whenClosed(new AbortController().signal)).resolves.toBeUndefined();
    await backend.infer(request, undefined, { hold: false });
    const controller = new AbortController();
    const waiting = backend.whenClosed(controller.signal);
    controller.abort(new Error('withdrawn'));
    await expect(waiting).rejects.toThrow('withdrawn');
  });
});
