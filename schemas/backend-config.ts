/**
 * Inference backend configurations: Open Inference Protocol v2 over HTTP and gRPC (Triton, KServe),
 * OpenAI-compatible servers (vLLM, TGI, Ollama) and plain JSON REST models.
 */
import { z } from 'zod';

/** Open Inference Protocol v2 tensor datatypes. */
export const OIP_DATATYPES = ['BOOL', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64', 'FP16', 'FP32', 'FP64', 'BF16', 'BYTES'] as const;

const headers = z.record(z.string(), z.string()).default({}).describe('Extra request headers / gRPC metadata (e.g. an API key via ${ENV}).');

const oipCommon = {
  model: z.string().min(1).describe('Model name on the server.'),
  version: z.string().min(1).optional().describe('Model version; the server\'s default when absent.'),
  headers,
  datatypes: z.record(z.string(), z.enum(OIP_DATATYPES)).default({}).describe('Input tensor datatypes by input name; inferred from the values when absent.'),
  preflight: z.boolean().default(true).describe('Check each request against the model\'s metadata (input names, datatypes, shapes) before calling: a request that cannot fit is dead-lettered as INFERENCE_REJECTED without a call.'),
  triton: z
    .object({
      priority: z.number().int().min(0).optional().describe('Triton scheduling priority (1 = highest).'),
      sendTimeout: z.boolean().default(false).describe('Send the attempt timeout to Triton as its `timeout` parameter (microseconds).'),
    })
    .strict()
    .optional()
    .describe('Triton request parameters passed through: scheduling priority (1 = highest) and queue timeout.'),
};

export const kserveHttpBackendSchema = z
  .object({
    kind: z.literal('kserve-http'),
    url: z.url().describe('Base URL of the Open Inference Protocol v2 server, e.g. `http://localhost:8000`.'),
    ...oipCommon,
  })
  .strict();

export const grpcTlsSchema = z
  .object({
    ca: z.string().min(1).optional().describe('CA certificate(s), PEM (use `${file:/path/ca.pem}`); system CAs when absent.'),
    cert: z.string().min(1).optional().describe('Client certificate and key, PEM, for mutual TLS.'),
    key: z.string().min(1).optional().describe('The client certificate\'s private key, PEM.'),
    serverName: z.string().min(1).optional().describe('Override of the TLS server name (SNI and certificate check).'),
  })
  .strict()
  .refine((tls) => (tls.cert === undefined) === (tls.key === undefined), 'cert and key go together (mutual TLS)');

export const kserveGrpcBackendSchema = z
  .object({
    kind: z.literal('kserve-grpc'),
    url: z.string().regex(/^[^\s/:]+:\d+$/, 'expected host:port').describe('`host:port` of the GRPCInferenceService (Triton: 8001).'),
    ...oipCommon,
    tls: grpcTlsSchema.optional().describe('TLS (and mutual TLS with cert + key); plaintext when absent.'),
    raw: z.enum(['auto', 'always', 'never']).default('auto').describe('Send numeric tensors as `raw_input_contents` bytes: auto = when it pays (large numeric tensors).'),
    channels: z.number().int().min(1).max(16).default(1).describe('HTTP/2 connections to the server, used in turn.'),
  })
  .strict();

export const openaiBackendSchema = z
  .object({
    kind: z.literal('openai'),
    url: z.url().describe('Base URL including `/v1`, e.g. `http://vllm:8000/v1`.'),
    model: z.string().min(1).describe('Model name as the server lists it (`GET /v1/models`).'),
    apiKey: z.string().min(1).optional().describe('Sent as `Authorization: Bearer …`; use `${ENV}` or `${file:…}`.'),
    headers,
    endpoint: z.enum(['chat', 'completions', 'embeddings']).default('chat').describe('chat: inputs `user` (required) and `system`; outputs `content`, `json` (structured output), `finish_reason`. completions: input `prompt`; output `text`. embeddings: input `input`; output `embedding`.'),
    system: z.string().min(1).optional().describe('Default system prompt for chat.'),
    maxTokens: z.number().int().min(1).optional().describe('`max_tokens` of each request.'),
    temperature: z.number().min(0).max(2).optional().describe('`temperature` of each request.'),
    responseFormat: z
      .object({
        name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/).describe('Name of the schema, sent to the server.'),
        schema: z.record(z.string(), z.unknown()).describe('The JSON Schema the answer must follow.'),
        strict: z.boolean().default(true).describe('Ask the server to follow the schema strictly.'),
      })
      .strict()
      .optional()
      .describe('Structured output: a JSON Schema the answer must follow; parsed and validated into output `json`.'),
    tokensPerMinute: z.number().int().min(1).optional().describe('Budget of tokens per minute for this backend; requests wait for budget instead of drawing 429s.'),
  })
  .strict();

export const restBackendSchema = z
  .object({
    kind: z.literal('rest'),
    url: z.url().describe('Full URL of the model\'s endpoint, e.g. `http://scorer:8080/predict`.'),
    method: z.enum(['POST', 'PUT']).default('POST').describe('HTTP method of the inference call.'),
    headers,
    wrap: z.string().min(1).optional().describe('Wrap the mapped inputs under this key (e.g. `instances`); the inputs object is the body when absent.'),
    readyUrl: z.url().optional().describe('Readiness URL (GET, 2xx = ready); readiness is assumed when absent.'),
    model: z.string().min(1).default('rest').describe('Name reported in provenance.'),
  })
  .strict();

export const backendSchema = z.discriminatedUnion('kind', [kserveHttpBackendSchema, kserveGrpcBackendSchema, openaiBackendSchema, restBackendSchema]);

export type BackendConfig = z.infer<typeof backendSchema>;
export type KserveHttpBackendConfig = z.infer<typeof kserveHttpBackendSchema>;
export type KserveGrpcBackendConfig = z.infer<typeof kserveGrpcBackendSchema>;
export type OpenaiBackendConfig = z.infer<typeof openaiBackendSchema>;
export type RestBackendConfig = z.infer<typeof restBackendSchema>;
export type GrpcTlsConfig = z.infer<typeof grpcTlsSchema>;
