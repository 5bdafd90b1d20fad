/**
 * Inference backend configurations: Open Inference Protocol v2 over HTTP and gRPC (Triton, KServe),
 * OpenAI-compatible servers (vLLM, TGI, Ollama) and plain JSON REST models.
 */
import { z } from 'zod';

/** Open Inference Protocol v2 tensor datatypes. */
export const OIP_DATATYPES = ['BOOL', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64', 'FP16', 'FP32', 'FP64', 'BF16', 'BYTES'] as const;

const headers = z.record(z.string(), z.string()).default({}).describe('Extra request headers / gRPC metadata (e.g. an API key via ${ENV}).');

const oipCommon = {
  model: z.string().min(1),
  version: z.string().min(1).optional(),
  headers,
  /** Input tensor datatypes by input name; inferred from the values when absent. */
  datatypes: z.record(z.string(), z.enum(OIP_DATATYPES)).default({}),
  /**
   * Check each request against the model's metadata (input names, datatypes, shapes) before calling:
   * a request that cannot fit is dead-lettered as INFERENCE_REJECTED without a call.
   */
  preflight: z.boolean().default(true),
  /** Triton request parameters passed through: scheduling priority (1 = highest) and queue timeout. */
  triton: z
    .object({
      priority: z.number().int().min(0).optional(),
      /** Send the attempt timeout to Triton as its `timeout` parameter (microseconds). */
      sendTimeout: z.boolean().default(false),
    })
    .strict()
    .optional(),
};

export const kserveHttpBackendSchema = z
  .object({
    kind: z.literal('kserve-http'),
    /** Base URL of the Open Inference Protocol v2 server, e.g. `http://localhost:8000`. */
    url: z.url(),
    ...oipCommon,
  })
  .strict();

export const grpcTlsSchema = z
  .object({
    /** CA certificate(s), PEM (use `${file:/path/ca.pem}`); system CAs when absent. */
    ca: z.string().min(1).optional(),
    /** Client certificate and key, PEM, for mutual TLS. */
    cert: z.string().min(1).optional(),
    key: z.string().min(1).optional(),
    /** Override of the TLS server name (SNI and certificate check). */
    serverName: z.string().min(1).optional(),
  })
  .strict()
  .refine((tls) => (tls.cert === undefined) === (tls.key === undefined), 'cert and key go together (mutual TLS)');

export const kserveGrpcBackendSchema = z
  .object({
    kind: z.literal('kserve-grpc'),
    /** `host:port` of the GRPCInferenceService (Triton: 8001). */
    url: z.string().regex(/^[^\s/:]+:\d+$/, 'expected host:port'),
    ...oipCommon,
    /** TLS (and mutual TLS with cert + key); plaintext when absent. */
    tls: grpcTlsSchema.optional(),
    /** Send numeric tensors as `raw_input_contents` bytes: auto = when it pays (large numeric tensors). */
    raw: z.enum(['auto', 'always', 'never']).default('auto'),
    /** HTTP/2 connections to the server, used in turn. */
    channels: z.number().int().min(1).max(16).default(1),
  })
  .strict();

export const openaiBackendSchema = z
  .object({
    kind: z.literal('openai'),
    /** Base URL including `/v1`, e.g. `http://vllm:8000/v1`. */
    url: z.url(),
    model: z.string().min(1),
    /** Sent as `Authorization: Bearer …`; use `${ENV}` or `${file:…}`. */
    apiKey: z.string().min(1).optional(),
    headers,
    /**
     * chat: inputs `user` (required) and `system`; outputs `content`, `json` (structured output),
     * `finish_reason`. completions: input `prompt`; output `text`. embeddings: input `input`; output `embedding`.
     */
    endpoint: z.enum(['chat', 'completions', 'embeddings']).default('chat'),
    /** Default system prompt for chat. */
    system: z.string().min(1).optional(),
    maxTokens: z.number().int().min(1).optional(),
    temperature: z.number().min(0).max(2).optional(),
    /** Structured output: a JSON Schema the answer must follow; parsed and validated into output `json`. */
    responseFormat: z
      .object({ name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/), schema: z.record(z.string(), z.unknown()), strict: z.boolean().default(true) })
      .strict()
      .optional(),
    /** Budget of tokens per minute for this backend; requests wait for budget instead of drawing 429s. */
    tokensPerMinute: z.number().int().min(1).optional(),
  })
  .strict();

export const restBackendSchema = z
  .object({
    kind: z.literal('rest'),
    /** Full URL of the model's endpoint, e.g. `http://scorer:8080/predict`. */
    url: z.url(),
    method: z.enum(['POST', 'PUT']).default('POST'),
    headers,
    /** Wrap the mapped inputs under this key (e.g. `instances`); the inputs object is the body when absent. */
    wrap: z.string().min(1).optional(),
    /** Readiness URL (GET, 2xx = ready); readiness is assumed when absent. */
    readyUrl: z.url().optional(),
    /** Name reported in provenance. */
    model: z.string().min(1).default('rest'),
  })
  .strict();

export const backendSchema = z.discriminatedUnion('kind', [kserveHttpBackendSchema, kserveGrpcBackendSchema, openaiBackendSchema, restBackendSchema]);

export type BackendConfig = z.infer<typeof backendSchema>;
export type KserveHttpBackendConfig = z.infer<typeof kserveHttpBackendSchema>;
export type KserveGrpcBackendConfig = z.infer<typeof kserveGrpcBackendSchema>;
export type OpenaiBackendConfig = z.infer<typeof openaiBackendSchema>;
export type RestBackendConfig = z.infer<typeof restBackendSchema>;
export type GrpcTlsConfig = z.infer<typeof grpcTlsSchema>;
