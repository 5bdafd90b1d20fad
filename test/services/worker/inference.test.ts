import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { ModelbridgeError } from '../../../schemas/errors.ts';
import type { InferenceClient, InferenceRequest, InferenceResponse } from '../../../connectors/types.ts';
import { inferenceSchema } from '../../../schemas/connector-config.ts';
import type { CanonicalEvent } from '../../../schemas/event.ts';
import { createInference } from '../../../services/worker/inference.ts';
import type { Inference, InferenceDeps } from '../../../services/worker/inference.ts';
import { createWorkerMetrics } from '../../../services/worker/metrics.ts';
import { waitFor } from '../../support/wait-for.ts';
import { metricValue } from '../../support/metrics.ts';

type Behaviour = (request: InferenceRequest) => Promise<InferenceResponse>;

function client(model: string, behaviour: Behaviour): InferenceClient & { calls: InferenceRequest[]; behaviour: Behaviour; isReady: boolean } {
  const c = {
    kind: 'kserve-http',
    model,
    version: undefined,
    calls: [] as InferenceRequest[],
    behaviour,
    isReady: true,
    infer(request: InferenceRequest) {
      c.calls.push(request);
      return c.behaviour(request);
    },
    async ready() {
      return c.isReady;
    },
    async close() {},
  };
  return c;
}

/** Upper-cases TEXT row by row; rejects the whole request (400) when any row contains POISON. */
const upperModel = (model: string): Behaviour => async (request) => {
  const rows = ([] as unknown[]).concat(request.inputs.TEXT);
  if (rows.some((row) => String(row).includes('POISON'))) throw new ModelbridgeError('INFERENCE_REJECTED', 'poison', { upstreamStatus: 400 });
  return { modelName: model, modelVersion: '1', outputs: { UPPER: rows.map((row) => String(row).toUpperCase()) } };
};

const down: Behaviour = async () => {
  throw new ModelbridgeError('INFERENCE_UNAVAILABLE', 'refused');
};

function event(id: string, text: string): CanonicalEvent {
  return { specversion: '1.0', id, source: '/t', type: 't', data: { text } } as CanonicalEvent;
}

const backend = (model: string) => ({ kind: 'kserve-http', url: 'http://127.0.0.1:1', model });

function setup(inference: Record<string, unknown>, clients: InferenceDeps['clients']) {
  const registry = new Registry();
  const lifecycle = new AbortController();
  const availability: boolean[] = [];
  const config = inferenceSchema.parse({
    backend: backend('primary'),
    request: { inputs: { TEXT: 'data.text' } },
    response: { upper: 'outputs.UPPER[0]' },
    retry: { attempts: 2, minDelay: '1ms', maxDelay: '2ms' },
    breaker: { volumeThreshold: 2, resetTimeout: '30ms' },
    ...inference,
  });
  const created = createInference(config, {
    connector: 'c',
    clients,
    lifecycle: lifecycle.signal,
    metrics: createWorkerMetrics(registry),
    logger: pino({ level: 'silent' }),
    onAvailability: (isDown) => availability.push(isDown),
  });
  opened.push({ inference: created, lifecycle });
  return { inference: created, registry, availability };
}

const opened: { inference: Inference; lifecycle: AbortController }[] = [];
afterEach(async () => {
  for (const { inference, lifecycle } of opened.splice(0)) {
    lifecycle.abort(new ModelbridgeError('ABORTED', 'test over'));
    await inference.close();
  }
});

describe('micro-batching', () => {
  it('sends ⌈N/maxSize⌉ requests and gives every event its own row', async () => {
    const primary = client('primary', upperModel('primary'));
    const { inference, registry } = setup({ batch: { maxSize: 4, maxWait: '20ms' } }, { primary });
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => inference.run(event(`e${i}`, `text ${i}`))));
    expect(primary.calls).toHaveLength(3);
    expect(primary.calls.map((c) => (c.inputs.TEXT as unknown[]).length)).toEqual([4, 4, 2]);
    results.forEach((result, i) => {
      expect(result).toMatchObject({ ok: true, output: { upper: `TEXT ${i}` } });
    });
    expect(await metricValue(registry, 'modelbridge_batch_size_count')).toBe(3);
  });

  it('isolates a poison event by splitting the batch: only it fails', async () => {
    const primary = client('primary', upperModel('primary'));
    const { inference } = setup({ batch: { maxSize: 8, maxWait: '20ms' } }, { primary });
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => inference.run(event(`e${i}`, i === 5 ? 'POISON' : `t${i}`))));
    const failed = results.map((r, i) => (r.ok ? undefined : i)).filter((i) => i !== undefined);
    expect(failed).toEqual([5]);
    expect(results[5]).toMatchObject({ ok: false, error: { code: 'INFERENCE_REJECTED' } });
    // 1 batch of 8, halves of 4, quarters of 2 on the poisoned side, then the singletons: 1 + 2 + 2 + 2 = 7.
    expect(primary.calls.length).toBe(7);
  });

  it('fails the whole batch with a bad response when outputs do not split', async () => {
    const primary = client('primary', async () => ({ modelName: 'p', modelVersion: undefined, outputs: { UPPER: ['only one'] } }));
    const { inference } = setup({ batch: { maxSize: 2, maxWait: '20ms' } }, { primary });
    const results = await Promise.all([inference.run(event('a', 'x')), inference.run(event('b', 'y'))]);
    for (const result of results) expect(result).toMatchObject({ ok: false, error: { code: 'INFERENCE_BAD_RESPONSE' } });
  });
});

describe('fallback backend', () => {
  it('answers while the primary is down, says so in provenance, and intake stays open', async () => {
    const primary = client('primary', down);
    const fallback = client('fallback', upperModel('fallback'));
    const { inference, registry, availability } = setup({ fallback: { backend: backend('fallback') } }, { primary, fallback });
    const results = [];
    for (let i = 0; i < 6; i++) results.push(await inference.run(event(`e${i}`, 'hi')));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(inference.state).not.toBe('closed');
    const last = results.at(-1)!;
    expect(last).toMatchObject({ ok: true, output: { upper: 'HI' }, provenance: { model: 'fallback', fallback: true } });
    expect(availability).not.toContain(true);
    expect(await metricValue(registry, 'modelbridge_fallback_requests_total', { model: 'fallback' })).toBeGreaterThan(0);
    primary.behaviour = upperModel('primary');
    await waitFor(async () => (await inference.run(event('back', 'x'))).ok && inference.state === 'closed');
    expect(await inference.run(event('z', 'x'))).toMatchObject({ provenance: { model: 'primary' } });
  });

  it('pauses intake only when the fallback is down too', async () => {
    const primary = client('primary', down);
    const fallback = client('fallback', down);
    const { inference, availability } = setup({ fallback: { backend: backend('fallback') } }, { primary, fallback });
    const runs = Array.from({ length: 4 }, (_, i) => inference.run(event(`e${i}`, 'x')));
    await waitFor(() => availability.includes(true));
    primary.behaviour = upperModel('primary');
    const results = await Promise.all(runs);
    expect(results.every((r) => r.ok)).toBe(true);
  });
});

describe('shadow backend', () => {
  it('sends a share of events to the shadow without changing outputs and counts agreement', async () => {
    const primary = client('primary', upperModel('primary'));
    const shadow = client('shadow', async (request) => ({
      modelName: 'shadow',
      modelVersion: undefined,
      outputs: { UPPER: [String(request.inputs.TEXT).length > 3 ? 'DIFFERENT' : String(request.inputs.TEXT).toUpperCase()] },
    }));
    const { inference, registry } = setup({ shadow: { backend: backend('shadow'), share: 1 } }, { primary, shadow });
    const results = await Promise.all(['ab', 'cd', 'long text'].map((text, i) => inference.run(event(`e${i}`, text))));
    expect(results.map((r) => r.ok && r.output.upper)).toEqual(['AB', 'CD', 'LONG TEXT']);
    await waitFor(() => shadow.calls.length === 3);
    await waitFor(async () => (await metricValue(registry, 'modelbridge_shadow_requests_total', { outcome: 'disagree' })) === 1);
    expect(await metricValue(registry, 'modelbridge_shadow_requests_total', { outcome: 'agree' })).toBe(2);
  });

  it('a failing shadow never fails the event', async () => {
    const primary = client('primary', upperModel('primary'));
    const shadow = client('shadow', down);
    const { inference, registry } = setup({ shadow: { backend: backend('shadow'), share: 1 } }, { primary, shadow });
    expect(await inference.run(event('e', 'x'))).toMatchObject({ ok: true });
    await waitFor(async () => (await metricValue(registry, 'modelbridge_shadow_requests_total', { outcome: 'error' })) === 1);
  });

  it('share 0 sends nothing to the shadow', async () => {
    const primary = client('primary', upperModel('primary'));
    const shadow = client('shadow', upperModel('shadow'));
    const { inference } = setup({ shadow: { backend: backend('shadow'), share: 0 } }, { primary, shadow });
    for (let i = 0; i < 20; i++) await inference.run(event(`e${i}`, 'x'));
    // A shadow call starts in the background once the primary answered: give any that had started time
    // to reach the client before asserting that none did.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(shadow.calls).toHaveLength(0);
  });
});

describe('adaptive concurrency', () => {
  it('exposes the limit as a metric and shrinks it under overload', async () => {
    let active = 0;
    const primary = client('primary', async (request) => {
      active++;
      await new Promise((resolve) => setTimeout(resolve, 2));
      active--;
      if (active > 3) throw new ModelbridgeError('INFERENCE_RATE_LIMITED', '429');
      return upperModel('primary')(request);
    });
    const { inference, registry } = setup(
      { concurrency: { max: 64, adaptive: true, min: 1 }, retry: { attempts: 20, minDelay: '1ms', maxDelay: '5ms' }, breaker: { volumeThreshold: 1000 } },
      { primary },
    );
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => inference.run(event(`e${i}`, 'x'))));
    expect(results.every((r) => r.ok)).toBe(true);
    const limit = await metricValue(registry, 'modelbridge_concurrency_limit');
    expect(limit).toBeLessThan(16);
  });
});
