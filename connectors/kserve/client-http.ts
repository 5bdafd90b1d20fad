/**
 * `kserve-http`: an Open Inference Protocol v2 REST client (KServe, Triton, the reference model
 * server) on the client's own keep-alive connection pool (`../http-client`).
 */
import type { KserveHttpBackendConfig } from '../../schemas/connector-config.ts';
import { createHttpEndpoint } from '../http-client/endpoint.ts';
import type { HttpEndpoint } from '../http-client/endpoint.ts';
import type { HttpTransport } from '../http-client/transport.ts';
import type { InferenceClient, InferenceRequest, InferenceResponse, InferOptions } from '../types.ts';
import { badResponse, classifyStatus } from './classify.ts';
import { createPreflight, readInputMetadata } from './preflight.ts';
import type { InputMetadata, Preflight } from './preflight.ts';
import { inferBody, parseInferResponse } from './protocol.ts';
import { checkDatatypes, toWireTensors } from './tensors.ts';
import { tritonParameters } from './triton.ts';

/** Default largest response body read, as gRPC's default `grpc.max_receive_message_length` here. */
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/** Injectable collaborators and limits. */
export interface KserveHttpClientDeps {
  /** Default: a keep-alive connection pool of this client's own, closed with it. */
  readonly transport?: HttpTransport;
  /** Clock for `Retry-After` dates and Triton's `timeout`. Default `Date.now`. */
  readonly now?: () => number;
  /**
   * Larger response bodies (infer answers, model metadata) fail with `INFERENCE_BAD_RESPONSE`, and the
   * connection is closed rather than read on. Default {@link DEFAULT_MAX_RESPONSE_BYTES}.
   */
  readonly maxResponseBytes?: number;
}

/**
 * Creates a client of one model. Throws `CONFIG_INVALID` for an unknown datatype in `config.datatypes`.
 * Failures of `infer` are classified by {@link classifyStatus} and {@link classifyThrown}. Unless
 * `preflight: false`, requests are checked against the model's metadata first (see `preflight.ts`).
 */
export function createKserveHttpClient(config: KserveHttpBackendConfig, deps: KserveHttpClientDeps = {}): InferenceClient {
  const now = deps.now ?? Date.now;
  const maxBytes = deps.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const datatypes = checkDatatypes(config.datatypes);
  const version = config.version;
  const modelUrl =
    `${config.url.replace(/\/+$/, '')}/v2/models/${encodeURIComponent(config.model)}` +
    (version === undefined ? '' : `/versions/${encodeURIComponent(version)}`);
  const inferUrl = `${modelUrl}/infer`;
  const readyUrl = `${modelUrl}/ready`;
  const label = `kserve-http ${config.model}${version === undefined ? '' : `:${version}`}`;
  const http = createHttpEndpoint({ label, headers: config.headers, maxResponseBytes: maxBytes, transport: deps.transport });
  const preflight: Preflight | undefined = config.preflight
    ? createPreflight({
        label,
        configured: new Set(Object.keys(datatypes)),
        now,
        fetchInputs: (signal) => fetchInputs({ http, url: modelUrl, now, maxBytes }, signal),
      })
    : undefined;

  return {
    kind: 'kserve-http',
    model: config.model,
    version,

    async infer(request: InferenceRequest, options: InferOptions): Promise<InferenceResponse> {
      http.assertOpen();
      const { signal, traceparent, deadline } = options;
      let tensors = toWireTensors(request.inputs, datatypes);
      if (preflight) tensors = (await preflight.check(tensors, signal)) as typeof tensors;
      const parameters = tritonParameters(request.parameters, config.triton, deadline, now());
      const body = JSON.stringify(inferBody(request.id, tensors, parameters));
      const headers = traceparent === undefined ? http.postHeaders : { ...http.postHeaders, traceparent };
      const response = await http.request(inferUrl, { method: 'POST', headers, body, signal });
      const text = response.text;
      if (response.status < 200 || response.status > 299) {
        const error = classifyStatus(label, response.status, text, response.header('retry-after') ?? null, now());
        if (error.code === 'MODEL_NOT_FOUND') preflight?.invalidate();
        throw error;
      }
      if (text === undefined) throw badResponse(label, response.status, `response body exceeds ${maxBytes} bytes`);
      return parseInferResponse(label, response.status, text, config.model);
    },

    async ready(signal: AbortSignal): Promise<boolean> {
      if (http.closed) return false;
      try {
        const response = await http.request(readyUrl, { headers: http.getHeaders, signal });
        const text = response.text;
        // Anything but 200 is not ready: 503, 404, and 401/403 too, so that refused credentials keep
        // the breaker open until they work.
        if (response.status !== 200 || text === undefined) return false;
        // Triton answers a bare 200 when ready; KServe and OIP servers send {"name", "ready"}.
        if (text.trim() === '') return true;
        const parsed: unknown = JSON.parse(text);
        return typeof parsed === 'object' && parsed !== null && (parsed as { ready?: unknown }).ready === true;
      } catch {
        return false;
      }
    },

    close: () => http.close(),
  };
}

/** What the metadata request needs of its client. */
interface MetadataCall {
  readonly http: HttpEndpoint;
  /** The model URL: `GET` answers its metadata. */
  readonly url: string;
  readonly now: () => number;
  readonly maxBytes: number;
}

/** The model's declared inputs, from `GET /v2/models/{model}[/versions/{v}]`. */
async function fetchInputs({ http, url, now, maxBytes }: MetadataCall, signal: AbortSignal): Promise<InputMetadata[]> {
  const { label } = http;
  const response = await http.request(url, { headers: http.getHeaders, signal });
  const text = response.text;
  if (response.status !== 200) throw classifyStatus(label, response.status, text, response.header('retry-after') ?? null, now());
  if (text === undefined) throw badResponse(label, response.status, `model metadata exceeds ${maxBytes} bytes`);
  let inputs: InputMetadata[] | undefined;
  try {
    inputs = readInputMetadata(JSON.parse(text));
  } catch (error) {
    throw badResponse(label, response.status, 'model metadata is not JSON', error);
  }
  if (!inputs) throw badResponse(label, response.status, 'model metadata lacks an "inputs" array');
  return inputs;
}
