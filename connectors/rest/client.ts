/**
 * `rest`: a client of a plain JSON REST model (FastAPI, Flask, BentoML style) on its own keep-alive pool
 * (`../http-client`). The mapped inputs object is the request body; the response body, a JSON object,
 * is the outputs.
 */
import type { RestBackendConfig } from '../../schemas/backend-config.ts';
import { createHttpEndpoint } from '../http-client/endpoint.ts';
import type { HttpTransport } from '../http-client/transport.ts';
import type { InferenceClient, InferenceRequest, InferenceResponse, InferOptions } from '../types.ts';
import { badResponse, classifyStatus } from './classify.ts';

/** Default largest response body read: a REST model's answer is a few fields, not a data set. */
export const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

/** Injectable collaborators and limits. */
export interface RestClientDeps {
  /** Default: a keep-alive connection pool of this client's own, closed with it. */
  readonly transport?: HttpTransport;
  /** Clock for `Retry-After` dates. Default `Date.now`. */
  readonly now?: () => number;
  /** Larger response bodies fail with `INFERENCE_BAD_RESPONSE`. Default {@link DEFAULT_MAX_RESPONSE_BYTES}. */
  readonly maxResponseBytes?: number;
}

/**
 * Creates a client of one REST model.
 *
 * Request: `config.method` to `config.url` with body `inputs` (or `{[wrap]: inputs, parameters}` when
 * `config.wrap` is set — the KServe v1 / Vertex AI shape; without `wrap`, `parameters` are not sent,
 * there being no place for them that cannot collide with an input), headers `config.headers`,
 * `x-request-id: request.id` and `traceparent`. Redirects are not followed (a redirected POST would
 * turn into a GET) and classify as `INFERENCE_BAD_RESPONSE`.
 *
 * Response: a 2xx whose body is a JSON object, which becomes `outputs` as it is (so response
 * mappings read `outputs.score` or `outputs.predictions[0]`). Failures are classified in `classify.ts`.
 */
export function createRestClient(config: RestBackendConfig, deps: RestClientDeps = {}): InferenceClient {
  const now = deps.now ?? Date.now;
  const maxBytes = deps.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const { url, method, wrap, readyUrl, model } = config;
  const label = `rest ${model}`;
  const http = createHttpEndpoint({ label, headers: config.headers, maxResponseBytes: maxBytes, transport: deps.transport });

  return {
    kind: 'rest',
    model,
    version: undefined,

    async infer(request: InferenceRequest, options: InferOptions): Promise<InferenceResponse> {
      http.assertOpen();
      const { signal, traceparent } = options;
      const body = JSON.stringify(wrap === undefined ? request.inputs : { [wrap]: request.inputs, parameters: request.parameters });
      const headers: Record<string, string> = { ...http.postHeaders, 'x-request-id': request.id };
      if (traceparent !== undefined) headers.traceparent = traceparent;
      const response = await http.request(url, { method, headers, body, signal });
      const { status, text } = response;
      if (status < 200 || status > 299) throw classifyStatus(label, status, text, response.header('retry-after') ?? null, now());
      if (text === undefined) throw badResponse(label, status, `response body exceeds ${maxBytes} bytes`);
      return { modelName: model, modelVersion: undefined, outputs: parseOutputs(label, status, text) };
    },

    async ready(signal: AbortSignal): Promise<boolean> {
      if (http.closed) return false;
      // Nothing to ask: the half-open trial (one held event per reset period) finds out instead.
      if (readyUrl === undefined) return true;
      try {
        const response = await http.request(readyUrl, { headers: http.getHeaders, signal });
        // Only a 2xx is ready; 401/403 are not, so that refused credentials keep the breaker open.
        return response.status >= 200 && response.status <= 299;
      } catch {
        return false;
      }
    },

    close: () => http.close(),
  };
}

function parseOutputs(label: string, status: number, text: string): Readonly<Record<string, unknown>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw badResponse(label, status, 'response body is not JSON', error);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw badResponse(label, status, `response body must be a JSON object, got ${parsed === null ? 'null' : Array.isArray(parsed) ? 'an array' : typeof parsed}`);
  }
  return parsed as Record<string, unknown>;
}
