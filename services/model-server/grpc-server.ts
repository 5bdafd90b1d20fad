/**
 * The reference server's OIP v2 gRPC endpoint (`inference.GRPCInferenceService`): the same models,
 * faults, schedulers and stats as the HTTP endpoint, on its own port, plaintext, TLS or mutual TLS.
 */
import { Metadata, Server, ServerCredentials, status as Status } from '@grpc/grpc-js';
import type { sendUnaryData, ServerUnaryCall, ServiceError, UntypedServiceImplementation } from '@grpc/grpc-js';
import { INFERENCE_SERVICE } from '../../connectors/kserve/index.ts';
import type { WireModelInferRequest, WireModelRef } from '../../connectors/kserve/index.ts';
import type { ServerContext } from './context.ts';
import { notReadyForMs } from './faults.ts';
import { buildGrpcResponse, parseGrpcInferRequest } from './grpc-messages.ts';
import { grpcCodeForHttp, grpcCodeNumber } from './grpc-status.ts';
import { HttpError } from './http-error.ts';
import { serveInfer } from './infer-core.ts';
import type { Model } from './models/model.ts';

/** TLS of the gRPC endpoint (PEM). With `clientCa`, clients must present a certificate it signed. */
export interface GrpcTlsOptions {
  readonly cert: string;
  readonly key: string;
  readonly clientCa?: string;
}

/** A gRPC endpoint over a server context. */
export interface GrpcEndpoint {
  /** Binds `host:port` (0: a free port); resolves with the bound port. */
  start(host: string, port: number): Promise<number>;
  /** Ends every call, hanging ones included. */
  close(): void;
}

const SERVER_METADATA = { name: 'modelbridge-model-server', version: '0.1.0', extensions: [] };

type Unary<Req> = (call: ServerUnaryCall<Req, unknown>, callback: sendUnaryData<unknown>) => void;

/** Creates the endpoint; nothing listens until `start`. */
export function createGrpcEndpoint(ctx: ServerContext, tls?: GrpcTlsOptions): GrpcEndpoint {
  const server = new Server();
  const find = (ref: WireModelRef): Model => {
    const model = ctx.models.get(ref.name);
    if (!model) throw new HttpError(404, `model ${ref.name} not found`);
    if (ref.version && ref.version !== model.version) throw new HttpError(404, `model ${model.name} has no version ${ref.version}`);
    return model;
  };
  const answer = <Req>(handle: (request: Req) => unknown): Unary<Req> => (call, callback) => {
    try {
      callback(null, handle(call.request));
    } catch (error) {
      callback(toServiceError(error));
    }
  };

  const handlers: Record<string, Unary<never>> = {
    ServerLive: answer(() => ({ live: true })),
    ServerReady: answer(() => ({ ready: true })),
    ServerMetadata: answer(() => SERVER_METADATA),
    ModelMetadata: answer((ref: WireModelRef) => {
      const model = find(ref);
      return { name: model.name, versions: [model.version], platform: model.platform, inputs: model.inputs, outputs: model.outputs };
    }),
    ModelReady: answer((ref: WireModelRef) => ({ ready: notReadyForMs(ctx.faults.get(find(ref).name), ctx.now()) === 0 })),
    ModelInfer: (call: ServerUnaryCall<WireModelInferRequest, unknown>, callback: sendUnaryData<unknown>) => {
      let model: Model;
      try {
        model = find({ name: call.request.model_name, version: call.request.model_version });
      } catch (error) {
        return callback(toServiceError(error));
      }
      void infer(ctx, model, call, callback);
    },
  };
  server.addService(INFERENCE_SERVICE, handlers as UntypedServiceImplementation);

  return {
    start(host, port) {
      const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
      return new Promise<number>((resolve, reject) => {
        server.bindAsync(address, credentials(tls), (error, bound) => (error ? reject(error) : resolve(bound)));
      });
    },
    close() {
      server.forceShutdown();
    },
  };
}

async function infer(
  ctx: ServerContext,
  model: Model,
  call: ServerUnaryCall<WireModelInferRequest, unknown>,
  callback: sendUnaryData<unknown>,
): Promise<void> {
  ctx.stats.recordRequest(model.name);
  const gone = new AbortController();
  call.once('cancelled', () => gone.abort());
  try {
    let request: ReturnType<typeof parseGrpcInferRequest> | undefined;
    const { outputs } = await serveInfer(ctx, model, gone.signal, {
      read: () => Promise.resolve((request = parseGrpcInferRequest(call.request, model))),
    });
    callback(null, buildGrpcResponse(model, request!, outputs));
    ctx.stats.recordOutcome(model.name, 'OK');
  } catch (error) {
    if (gone.signal.aborted) return ctx.stats.recordOutcome(model.name, 'aborted');
    const serviceError = toServiceError(error);
    callback(serviceError);
    ctx.stats.recordOutcome(model.name, Status[serviceError.code]);
  }
}

/** An `HttpError` (or anything else, as INTERNAL) as a gRPC status with details and a `retry-after` trailer. */
function toServiceError(error: unknown): ServiceError & { code: Status } {
  const metadata = new Metadata();
  if (!(error instanceof HttpError)) {
    const details = error instanceof Error ? error.message : String(error);
    return Object.assign(new Error(details), { code: Status.INTERNAL, details, metadata });
  }
  const retryAfter = error.headers?.['retry-after'];
  if (retryAfter !== undefined) metadata.set('retry-after', retryAfter);
  const code = grpcCodeNumber(error.grpcCode ?? grpcCodeForHttp(error.status)) as Status;
  return Object.assign(new Error(error.message), { code, details: error.message, metadata });
}

function credentials(tls: GrpcTlsOptions | undefined): ServerCredentials {
  if (tls === undefined) return ServerCredentials.createInsecure();
  const ca = tls.clientCa === undefined ? null : Buffer.from(tls.clientCa);
  return ServerCredentials.createSsl(ca, [{ cert_chain: Buffer.from(tls.cert), private_key: Buffer.from(tls.key) }], ca !== null);
}
