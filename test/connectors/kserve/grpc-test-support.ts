/** Helpers of the kserve gRPC tests: a bare grpc-js server for answers the reference server never gives. */
import { Server, ServerCredentials, status as Status } from '@grpc/grpc-js';
import type { Metadata, sendUnaryData, ServerUnaryCall, ServiceDefinition, UntypedServiceImplementation } from '@grpc/grpc-js';
import { onTestFinished } from 'vitest';
import { INFERENCE_SERVICE } from '../../../connectors/kserve/grpc-proto.ts';
import type { WireModelInferRequest } from '../../../connectors/kserve/grpc-proto.ts';

/** What a bare server saw of the last ModelInfer call. */
export interface Seen {
  request?: WireModelInferRequest;
  metadata?: Metadata;
  deadline?: Date | number;
}

/**
 * Starts a bare server answering ModelInfer with `answer` (an object to serialize, or raw bytes when
 * `rawResponse`), ModelMetadata as a model declaring no inputs and ModelReady as ready. With
 * `authorization`, every call lacking that `authorization` metadata is refused: UNAUTHENTICATED without
 * one, PERMISSION_DENIED with another value. Returns its `host:port`. Call it inside a test: it is
 * shut down when the test finishes.
 */
export async function bareServer(
  answer: unknown,
  options: { rawResponse?: boolean; seen?: Seen; authorization?: string } = {},
): Promise<string> {
  const server = new Server();
  const service: ServiceDefinition = options.rawResponse
    ? { ...INFERENCE_SERVICE, ModelInfer: { ...INFERENCE_SERVICE.ModelInfer!, responseSerialize: (value: Buffer) => value } }
    : INFERENCE_SERVICE;
  const implementation: UntypedServiceImplementation = {
    ModelReady: (_call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => callback(null, { ready: true }),
    ModelMetadata: (_call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) =>
      callback(null, { name: 'm', versions: [], platform: '', inputs: [], outputs: [] }),
    ModelInfer: (call: ServerUnaryCall<WireModelInferRequest, unknown>, callback: sendUnaryData<unknown>) => {
      if (options.seen) Object.assign(options.seen, { request: call.request, metadata: call.metadata, deadline: call.getDeadline() });
      callback(null, answer);
    },
  };
  const required = options.authorization;
  server.addService(service, required === undefined ? implementation : gated(implementation, required));
  onTestFinished(() => server.forceShutdown());
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return `127.0.0.1:${port}`;
}

/** Every method of `implementation` behind a check of the `authorization` metadata. */
function gated(implementation: UntypedServiceImplementation, required: string): UntypedServiceImplementation {
  const methods = Object.entries(implementation).map(([name, method]) => [
    name,
    (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
      const [given] = call.metadata.get('authorization');
      if (given === required) return (method as (c: typeof call, cb: typeof callback) => void)(call, callback);
      const code = given === undefined ? Status.UNAUTHENTICATED : Status.PERMISSION_DENIED;
      callback({ code, details: given === undefined ? 'not authenticated' : 'forbidden' });
    },
  ]);
  return Object.fromEntries(methods) as UntypedServiceImplementation;
}
