/**
 * `kserve-http`: an Open Inference Protocol v2 REST client (KServe, Triton, the reference model
 * server) on the platform's fetch. Connections are kept alive by fetch's global dispatcher.
 */
import type { KserveHttpBackendConfig } from '../../schemas/connector-config.ts';
import { ModelbridgeError } from '../errors.ts';
import type { InferenceClient, InferenceRequest, InferenceResponse, InferOptions } from '../types.ts';
import { classifyStatus, classifyThrown } from './classify.ts';
import { buildInferRequest, parseInferResponse } from './protocol.ts';
import { isDatatype } from './tensors.ts';
import type { Datatype } from './tensors.ts';

/** Injectable collaborators, for tests. */
export interface KserveHttpClientDeps {
  /** Default: the global `fetch`. */
  readonly fetch?: typeof globalThis.fetch;
  /** Clock for `Retry-After` dates. Default `Date.now`. */
  readonly now?: () => number;
}

/**
 * Creates a client of one model. Throws `CONFIG_INVALID` for an unknown datatype in `config.datatypes`.
 * Failures of `infer` are classified by {@link classifyStatus} and {@link classifyThrown}.
 */
export function createKserveHttpClient(config: KserveHttpBackendConfig, deps: KserveHttpClientDeps = {}): InferenceClient {
  const fetch = deps.fetch ?? globalThis.fetch;
  const now = deps.now ?? Date.now;
  const datatypes = checkDatatypes(config.datatypes);
  const version = config.version;
  const modelUrl =
    `${config.url.replace(/\/+$/, '')}/v2/models/${encodeURIComponent(config.model)}` +
    (version === undefined ? '' : `/versions/${encodeURIComponent(version)}`);
  const inferUrl = `${modelUrl}/infer`;
  const readyUrl = `${modelUrl}/ready`;
  const label = `kserve-http ${config.model}${version === undefined ? '' : `:${version}`}`;
  const custom = Object.fromEntries(Object.entries(config.headers).map(([k, v]) => [k.toLowerCase(), v]));
  const readyHeaders = { ...custom, accept: 'application/json' };
  const inferHeaders = { ...readyHeaders, 'content-type': 'application/json' };
  let closed = false;

  return {
    kind: 'kserve-http',
    model: config.model,
    version,

    async infer(request: InferenceRequest, options: InferOptions): Promise<InferenceResponse> {
      if (closed) throw new ModelbridgeError('ABORTED', `${label}: client closed`);
      const { signal, traceparent } = options;
      const body = JSON.stringify(buildInferRequest(request, datatypes));
      const headers = traceparent === undefined ? inferHeaders : { ...inferHeaders, traceparent };
      let response: Response;
      let text: string;
      try {
        // redirect 'manual': a redirected POST would silently turn into a GET.
        response = await fetch(inferUrl, { method: 'POST', headers, body, signal, redirect: 'manual' });
        // The body is always read to the end so that the connection goes back to the pool.
        text = await response.text();
      } catch (error) {
        throw classifyThrown(label, error, signal);
      }
      if (response.status < 200 || response.status > 299) {
        throw classifyStatus(label, response.status, text, response.headers.get('retry-after'), now());
      }
      return parseInferResponse(label, response.status, text, config.model);
    },

    async ready(signal: AbortSignal): Promise<boolean> {
      if (closed) return false;
      try {
        const response = await fetch(readyUrl, { headers: readyHeaders, signal, redirect: 'manual' });
        const text = await response.text();
        if (response.status !== 200) return false;
        // Triton answers a bare 200 when ready; KServe and OIP servers send {"name", "ready"}.
        if (text.trim() === '') return true;
        const parsed: unknown = JSON.parse(text);
        return typeof parsed === 'object' && parsed !== null && (parsed as { ready?: unknown }).ready === true;
      } catch {
        return false;
      }
    },

    close(): Promise<void> {
      closed = true;
      return Promise.resolve();
    },
  };
}

function checkDatatypes(datatypes: Readonly<Record<string, string>>): Readonly<Record<string, Datatype>> {
  // A null prototype, so that an input named like an Object.prototype member finds nothing.
  const checked = Object.create(null) as Record<string, Datatype>;
  for (const [input, datatype] of Object.entries(datatypes)) {
    const upper = datatype.toUpperCase();
    if (!isDatatype(upper)) {
      throw new ModelbridgeError('CONFIG_INVALID', `backend.datatypes.${input}: unknown datatype ${datatype}`);
    }
    checked[input] = upper;
  }
  return checked;
}
