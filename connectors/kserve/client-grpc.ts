/**
 * `kserve-grpc`: an Open Inference Protocol v2 gRPC client (Triton, KServe, the reference model server)
 * on Node's HTTP/2 client (grpc-transport.ts) with a purpose-built codec (grpc-codec.ts). Sessions are
 * kept open; per-call deadline and AbortSignal cancellation.
 */
import type { KserveGrpcBackendConfig } from '../../schemas/connector-config.ts';
import { ModelbridgeError } from '../../schemas/errors.ts';
import type { InferenceClient, InferenceRequest, InferenceResponse, InferOptions } from '../types.ts';
import { classifyGrpcError, grpcBadResponse } from './classify-grpc.ts';
import { decodeInferResponse, decodeMetadata, decodeReady, encodeModelRef } from './grpc-codec.ts';
import { buildGrpcRequest, readGrpcResponse } from './grpc-messages.ts';
import { WireFormatError } from './grpc-tensors.ts';
import { checkMetadata, createGrpcTransport, GrpcFramingError, GrpcResponseTooLarge } from './grpc-transport.ts';
import type { GrpcTransport } from './grpc-transport.ts';
import { createPreflight, readInputMetadata } from './preflight.ts';
import { checkDatatypes, toWireTensors } from './tensors.ts';
import { tritonParameters } from './triton.ts';

/** Injectable collaborators, for tests. */
export interface KserveGrpcClientDeps {
  /** Clock for Triton's `timeout` and `retry-after` dates. Default `Date.now`. */
  readonly now?: () => number;
  /**
   * Largest answer accepted: the transport checks a message's declared length before reading it, and
   * a larger one fails with INFERENCE_BAD_RESPONSE. Default 64 MiB.
   */
  readonly maxResponseBytes?: number;
  /** Keep-alive ping interval and timeout while calls are in flight. Default 60 s and 20 s. */
  readonly keepaliveMs?: number;
  readonly keepaliveTimeoutMs?: number;
}

const SERVICE = '/inference.GRPCInferenceService/';
const MODEL_INFER = `${SERVICE}ModelInfer`;
const MODEL_READY = `${SERVICE}ModelReady`;
const MODEL_METADATA = `${SERVICE}ModelMetadata`;
const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/**
 * Creates a client of one model. Throws `CONFIG_INVALID` for an unknown datatype in `config.datatypes`
 * or a header that cannot travel as gRPC metadata. Failures are classified by {@link classifyGrpcError};
 * responses are decoded here, so an unparsable answer is `INFERENCE_BAD_RESPONSE`.
 */
export function createKserveGrpcClient(config: KserveGrpcBackendConfig, deps: KserveGrpcClientDeps = {}): InferenceClient {
  const now = deps.now ?? Date.now;
  const { model, version } = config;
  const label = `kserve-grpc ${model}${version === undefined ? '' : `:${version}`}`;
  const datatypes = checkDatatypes(config.datatypes);
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(config.headers)) {
    const name = key.toLowerCase();
    const problem = checkMetadata(name, value);
    if (problem !== undefined) throw new ModelbridgeError('CONFIG_INVALID', `backend.headers: ${problem}`);
    metadata[name] = value;
  }
  const maxResponseBytes = deps.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const transport: GrpcTransport = createGrpcTransport({
    target: config.url,
    tls: config.tls,
    maxResponseBytes,
    channels: config.channels,
    keepaliveMs: deps.keepaliveMs,
    keepaliveTimeoutMs: deps.keepaliveTimeoutMs,
    metadata,
  });
  const refFrame = encodeModelRef(model, version);
  let closed = false;

  /** One unary call: the decoded answer, or a classified ModelbridgeError. */
  const call = async <T>(path: string, frame: Buffer, decode: (message: Buffer) => T, signal: AbortSignal, deadline?: number, traceparent?: string): Promise<T> => {
    if (signal.aborted) throw classifyGrpcError(label, undefined, signal);
    // A traceparent that cannot travel as a header is left out: tracing is best effort.
    const trace = traceparent !== undefined && checkMetadata('traceparent', traceparent) === undefined ? traceparent : undefined;
    let message: Buffer;
    try {
      message = await transport.unary({ path, frame, traceparent: trace, signal, deadline });
    } catch (error) {
      if (error instanceof GrpcResponseTooLarge) {
        throw new ModelbridgeError('INFERENCE_BAD_RESPONSE', `${label}: ${error.message}`, { cause: error, upstreamStatus: 'OK' });
      }
      if (error instanceof GrpcFramingError) throw grpcBadResponse(label, error.message, error);
      throw classifyGrpcError(label, error, signal, now());
    }
    try {
      return decode(message);
    } catch (cause) {
      throw grpcBadResponse(label, 'response is not a valid protobuf message', cause);
    }
  };

  const preflight = config.preflight
    ? createPreflight({
        label,
        configured: new Set(Object.keys(datatypes)),
        now,
        fetchInputs: async (signal) => {
          const inputs = readInputMetadata(await call(MODEL_METADATA, refFrame, decodeMetadata, signal));
          if (!inputs) throw grpcBadResponse(label, 'model metadata lacks inputs');
          return inputs;
        },
      })
    : undefined;

  return {
    kind: 'kserve-grpc',
    model,
    version,

    async infer(request: InferenceRequest, options: InferOptions): Promise<InferenceResponse> {
      if (closed) throw new ModelbridgeError('ABORTED', `${label}: client closed`);
      const { signal, deadline, traceparent } = options;
      let tensors = toWireTensors(request.inputs, datatypes);
      if (preflight) tensors = (await preflight.check(tensors, signal)) as typeof tensors;
      const parameters = tritonParameters(request.parameters, config.triton, deadline, now());
      let frame: Buffer;
      try {
        frame = buildGrpcRequest(model, version, request.id, tensors, parameters, config.raw);
      } catch (error) {
        if (!(error instanceof WireFormatError)) throw error;
        throw new ModelbridgeError('MAPPING_FAILED', `${label}: ${error.message}`, { cause: error });
      }
      try {
        const response = await call(MODEL_INFER, frame, decodeInferResponse, signal, deadline, traceparent);
        return readGrpcResponse(label, response, model);
      } catch (error) {
        if ((error as ModelbridgeError).code === 'MODEL_NOT_FOUND') preflight?.invalidate();
        throw error;
      }
    },

    async ready(signal: AbortSignal): Promise<boolean> {
      if (closed) return false;
      // Any failure is not ready, UNAUTHENTICATED/PERMISSION_DENIED included: refused credentials keep
      // the breaker open until they work.
      try {
        return (await call(MODEL_READY, refFrame, decodeReady, signal)).ready;
      } catch {
        return false;
      }
    },

    close(): Promise<void> {
      if (!closed) {
        closed = true;
        transport.close();
      }
      return Promise.resolve();
    },
  };
}
