/**
 * `kserve-grpc`: an Open Inference Protocol v2 gRPC client (Triton, KServe, the reference model server)
 * on @grpc/grpc-js. One channel per client, kept open; per-call deadline and AbortSignal cancellation.
 */
import { Client, credentials, Metadata } from '@grpc/grpc-js';
import type { ChannelCredentials, ChannelOptions, MethodDefinition } from '@grpc/grpc-js';
import type { GrpcTlsConfig, KserveGrpcBackendConfig } from '../../schemas/connector-config.ts';
import { ModelbridgeError } from '../../schemas/errors.ts';
import type { InferenceClient, InferenceRequest, InferenceResponse, InferOptions } from '../types.ts';
import { classifyGrpcError, grpcBadResponse } from './classify-grpc.ts';
import { buildGrpcRequest, readGrpcResponse } from './grpc-messages.ts';
import { INFERENCE_SERVICE } from './grpc-proto.ts';
import type { WireModelInferRequest, WireModelInferResponse, WireModelRef } from './grpc-proto.ts';
import { WireFormatError } from './grpc-tensors.ts';
import { createPreflight, readInputMetadata } from './preflight.ts';
import { checkDatatypes, toWireTensors } from './tensors.ts';
import { tritonParameters } from './triton.ts';

/** Injectable collaborators, for tests. */
export interface KserveGrpcClientDeps {
  /** Clock for Triton's `timeout` and `retry-after` dates. Default `Date.now`. */
  readonly now?: () => number;
  /** Extra or overriding channel options. */
  readonly channelOptions?: ChannelOptions;
  /**
   * Largest answer accepted (`grpc.max_receive_message_length`): grpc-js checks a message's declared
   * length before reading it, and a larger one fails with INFERENCE_BAD_RESPONSE. Default 64 MiB.
   */
  readonly maxResponseBytes?: number;
}

/**
 * Channel defaults. Keep-alive pings only while calls are active and no more often than once a minute,
 * which servers with gRPC's default policy (Triton included) accept without a GOAWAY. grpc-js's own
 * retries are off: the worker retries with backoff and a budget, and two retry layers multiply.
 */
const CHANNEL_DEFAULTS: ChannelOptions = {
  'grpc.keepalive_time_ms': 60_000,
  'grpc.keepalive_timeout_ms': 20_000,
  'grpc.keepalive_permit_without_calls': 0,
  'grpc.enable_retries': 0,
  'grpc.max_receive_message_length': 64 * 1024 * 1024,
  'grpc.initial_reconnect_backoff_ms': 250,
  'grpc.max_reconnect_backoff_ms': 5_000,
};

type Method = MethodDefinition<object, object>;
const METHODS = INFERENCE_SERVICE as unknown as Record<'ModelInfer' | 'ModelReady' | 'ModelMetadata', Method>;
const passThrough = (buffer: Buffer): Buffer => buffer;

/**
 * Creates a client of one model. Throws `CONFIG_INVALID` for an unknown datatype in `config.datatypes`.
 * Failures are classified by {@link classifyGrpcError}; responses are decoded here, so an unparsable
 * answer is `INFERENCE_BAD_RESPONSE`, not grpc-js's INTERNAL.
 */
export function createKserveGrpcClient(config: KserveGrpcBackendConfig, deps: KserveGrpcClientDeps = {}): InferenceClient {
  const now = deps.now ?? Date.now;
  const { model, version } = config;
  const label = `kserve-grpc ${model}${version === undefined ? '' : `:${version}`}`;
  const datatypes = checkDatatypes(config.datatypes);
  const channel = new Client(config.url, channelCredentials(config.tls), {
    ...CHANNEL_DEFAULTS,
    ...serverNameOptions(config.tls),
    ...(deps.maxResponseBytes === undefined ? {} : { 'grpc.max_receive_message_length': deps.maxResponseBytes }),
    ...deps.channelOptions,
  });
  const baseMetadata = new Metadata();
  for (const [key, value] of Object.entries(config.headers)) baseMetadata.set(key.toLowerCase(), value);
  const ref: WireModelRef = version === undefined ? { name: model } : { name: model, version };
  let closed = false;

  const call = <T>(method: Method, argument: object, signal: AbortSignal, deadline?: number, traceparent?: string): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (signal.aborted) return reject(classifyGrpcError(label, undefined, signal));
      const metadata = baseMetadata.clone();
      if (traceparent !== undefined) metadata.set('traceparent', traceparent);
      const onAbort = (): void => pending.cancel();
      const pending = channel.makeUnaryRequest(
        method.path,
        method.requestSerialize,
        passThrough,
        argument,
        metadata,
        deadline === undefined ? {} : { deadline: new Date(deadline) },
        (error, buffer) => {
          signal.removeEventListener('abort', onAbort);
          if (error || buffer === undefined) return reject(classifyGrpcError(label, error, signal, now()));
          try {
            resolve(method.responseDeserialize(buffer) as T);
          } catch (cause) {
            reject(grpcBadResponse(label, 'response is not a valid protobuf message', cause));
          }
        },
      );
      signal.addEventListener('abort', onAbort, { once: true });
    });

  const preflight = config.preflight
    ? createPreflight({
        label,
        configured: new Set(Object.keys(datatypes)),
        now,
        fetchInputs: async (signal) => {
          const inputs = readInputMetadata(await call(METHODS.ModelMetadata, ref, signal));
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
      let message: WireModelInferRequest;
      try {
        message = buildGrpcRequest(model, version, request.id, tensors, parameters, config.raw);
      } catch (error) {
        if (!(error instanceof WireFormatError)) throw error;
        throw new ModelbridgeError('MAPPING_FAILED', `${label}: ${error.message}`, { cause: error });
      }
      try {
        const response = await call<WireModelInferResponse>(METHODS.ModelInfer, message, signal, deadline, traceparent);
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
        return (await call<{ ready?: boolean }>(METHODS.ModelReady, ref, signal)).ready === true;
      } catch {
        return false;
      }
    },

    close(): Promise<void> {
      if (!closed) {
        closed = true;
        channel.close();
      }
      return Promise.resolve();
    },
  };
}

/** Plaintext without `tls`; TLS with its CA (system CAs when absent) and, with cert + key, mutual TLS. */
function channelCredentials(tls: GrpcTlsConfig | undefined): ChannelCredentials {
  if (tls === undefined) return credentials.createInsecure();
  const pem = (text: string | undefined) => (text === undefined ? null : Buffer.from(text));
  return credentials.createSsl(pem(tls.ca), pem(tls.key), pem(tls.cert));
}

function serverNameOptions(tls: GrpcTlsConfig | undefined): ChannelOptions {
  const name = tls?.serverName;
  return name === undefined ? {} : { 'grpc.ssl_target_name_override': name, 'grpc.default_authority': name };
}
