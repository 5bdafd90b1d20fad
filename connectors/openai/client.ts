/**
 * `openai`: a client of one model on an OpenAI-compatible server (vLLM, TGI's Messages API, Ollama,
 * OpenAI itself) on the client's own keep-alive connection pool (`../http-client`).
 * Statuses are classified by `./classify.ts`; network failures and aborts by the shared `classifyThrown`
 * (abort reason `TimeoutError` → INFERENCE_TIMEOUT, any other abort → ABORTED).
 */
import type { OpenaiBackendConfig } from '../../schemas/backend-config.ts';
import { isModelbridgeError } from '../../schemas/errors.ts';
import { createHttpEndpoint } from '../http-client/endpoint.ts';
import { badResponse, classifyThrown } from '../http-client/errors.ts';
import type { HttpTransport } from '../http-client/transport.ts';
import type { InferenceClient, InferenceRequest, InferenceResponse, InferOptions } from '../types.ts';
import { classifyStatus } from './classify.ts';
import { buildCall, parseAnswer } from './protocol.ts';
import { createStructuredOutput } from './structured-output.ts';
import { createTokenBudget } from './token-budget.ts';
import type { TokenBudget } from './token-budget.ts';

/** Injectable collaborators, for tests. */
export interface OpenaiClientDeps {
  /** Default: a keep-alive connection pool of this client's own, closed with it. */
  readonly transport?: HttpTransport;
  /** Clock for `Retry-After` dates and the token budget. Default `Date.now`. */
  readonly now?: () => number;
  /** The token budget's wait (default: a timer that rejects when the signal aborts). */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Larger response bodies fail with `INFERENCE_BAD_RESPONSE`. Default {@link DEFAULT_MAX_RESPONSE_BYTES}. */
  readonly maxResponseBytes?: number;
}

/** Default largest response body read (a batch of embeddings is the largest answer expected). */
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/**
 * Creates a client of `config.model` at `config.url` (which includes `/v1`). Throws `CONFIG_INVALID`
 * when `responseFormat.schema` is not a JSON Schema the validator reads.
 */
export function createOpenaiClient(config: OpenaiBackendConfig, deps: OpenaiClientDeps = {}): InferenceClient {
  const now = deps.now ?? Date.now;
  const maxBytes = deps.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const baseUrl = config.url.replace(/\/+$/, '');
  const label = `openai ${config.model}`;
  const structured = config.endpoint === 'chat' && config.responseFormat ? createStructuredOutput(config.responseFormat) : undefined;
  const budget: TokenBudget | undefined =
    config.tokensPerMinute === undefined ? undefined : createTokenBudget({ tokensPerMinute: config.tokensPerMinute, label, now, sleep: deps.sleep });
  const headers = config.apiKey === undefined ? config.headers : { ...config.headers, authorization: `Bearer ${config.apiKey}` };
  const http = createHttpEndpoint({ label, headers, maxResponseBytes: maxBytes, transport: deps.transport });

  return {
    kind: 'openai',
    model: config.model,
    version: undefined,

    async infer(request: InferenceRequest, options: InferOptions): Promise<InferenceResponse> {
      http.assertOpen();
      const { signal, traceparent, deadline } = options;
      const call = buildCall(config, structured, request);
      let reserved = 0;
      if (budget) {
        try {
          reserved = await budget.acquire(call.estimate, signal, deadline);
        } catch (error) {
          throw isModelbridgeError(error) ? error : classifyThrown(label, error, signal);
        }
      }
      // vLLM and most gateways log X-Request-Id, so a server log line can be found from the event id.
      const headers = { ...http.postHeaders, 'x-request-id': request.id, ...(traceparent === undefined ? undefined : { traceparent }) };
      const response = await http.request(`${baseUrl}${call.path}`, { method: 'POST', headers, body: call.body, signal });
      const text = response.text;
      if (response.status < 200 || response.status > 299) {
        const retry = { retryAfter: response.header('retry-after') ?? null, retryAfterMs: response.header('retry-after-ms') ?? null };
        throw classifyStatus(label, response.status, text ?? '', retry, now());
      }
      if (text === undefined) throw badResponse(label, response.status, `response body exceeds ${maxBytes} bytes`);
      const answer = parseAnswer(config, structured, call, label, response.status, text);
      if (budget && answer.usage) budget.settle(reserved, answer.usage.promptTokens + answer.usage.completionTokens);
      return answer;
    },

    /** Ready when `GET {url}/models` lists the model (vLLM, OpenAI, Ollama). */
    async ready(signal: AbortSignal): Promise<boolean> {
      if (http.closed) return false;
      try {
        const response = await http.request(`${baseUrl}/models`, { headers: http.getHeaders, signal });
        const text = response.text;
        // Anything but 200 is not ready, 401/403 included: refused credentials keep the breaker open.
        if (response.status !== 200 || text === undefined) return false;
        const parsed = JSON.parse(text) as { data?: unknown };
        return Array.isArray(parsed.data) && parsed.data.some((m: unknown) => (m as { id?: unknown } | null)?.id === config.model);
      } catch {
        return false;
      }
    },

    close: () => http.close(),
  };
}
