/**
 * What a competent team writes instead of Modelbridge, shared by the `handwritten` baselines: undici
 * keep-alive calls to the same OIP v2 model, and a counting semaphore for the concurrency limit. No
 * ordering per key, no breaker, no retries, no metrics: the baselines measure what that safety costs.
 */
import { Agent, request } from 'undici';

/** Calls the model for one event and returns the output body to publish. */
export function createModelCaller(modelUrl: string, connections: number): (value: Buffer) => Promise<string> {
  const agent = new Agent({ connections, keepAliveTimeout: 30_000, keepAliveMaxTimeout: 120_000 });
  const inferUrl = `${modelUrl}/v2/models/echo/infer`;
  return async (value) => {
    const event = JSON.parse(value.toString('utf8')) as { id: string; text: string };
    const body = JSON.stringify({ id: event.id, inputs: [{ name: 'TEXT', datatype: 'BYTES', shape: [1], data: [event.text] }] });
    const response = await request(inferUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body, dispatcher: agent });
    const parsed = (await response.body.json()) as { outputs?: Array<{ data?: unknown[] }> };
    if (response.statusCode !== 200) throw new Error(`model answered ${response.statusCode}`);
    return JSON.stringify({ ...event, output: parsed.outputs?.[0]?.data?.[0] });
  };
}

/** A counting semaphore: `run` waits for one of `limit` slots. */
export function createSemaphore(limit: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: Array<() => void> = [];
  return async (task) => {
    if (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    else active++;
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else active--;
    }
  };
}
