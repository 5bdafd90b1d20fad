/**
 * The kserve-grpc client against bare HTTP/2 servers that answer what a correct gRPC server never
 * would (broken framing, non-gRPC answers, resets, GOAWAY, a stream limit), plus channels.
 */
import { createServer } from 'node:http2';
import type { Http2Server, Http2Session, ServerHttp2Stream } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import type { sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { createKserveGrpcClient } from '../../../connectors/kserve/client-grpc.ts';
import { INFERENCE_SERVICE } from '../../../connectors/kserve/grpc-proto.ts';
import type { InferenceClient } from '../../../connectors/types.ts';
import { kserveGrpcBackendSchema } from '../../../schemas/connector-config.ts';
import { failure, live } from '../../support/http-test-kit.ts';

const clients: InferenceClient[] = [];
afterEach(() => Promise.all(clients.splice(0).map((c) => c.close())));

function client(url: string, extra: Record<string, unknown> = {}, deps = {}): InferenceClient {
  const c = createKserveGrpcClient(kserveGrpcBackendSchema.parse({ kind: 'kserve-grpc', url, model: 'm', preflight: false, ...extra }), deps);
  clients.push(c);
  return c;
}

const request = { id: 'e', inputs: { TEXT: ['a'] } };
const OK_MESSAGE = INFERENCE_SERVICE.ModelInfer!.responseSerialize({
  model_name: 'm',
  outputs: [{ name: 'Y', datatype: 'BOOL', shape: [1], contents: { bool_contents: [true] } }],
}) as Buffer;

function frame(message: Buffer, compressed = false): Buffer {
  const header = Buffer.alloc(5);
  header[0] = compressed ? 1 : 0;
  header.writeUInt32BE(message.length, 1);
  return Buffer.concat([header, message]);
}

/** A bare HTTP/2 server; `handle` answers each stream after reading its request. Returns `host:port`. */
async function h2Server(handle: (stream: ServerHttp2Stream, session: Http2Session) => void): Promise<{ url: string; server: Http2Server; sessions: () => number }> {
  const server = createServer();
  let sessions = 0;
  server.on('session', () => sessions++);
  server.on('stream', (stream) => {
    stream.on('error', () => undefined);
    stream.resume();
    stream.on('end', () => handle(stream, stream.session!));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())).then(() => undefined));
  onTestFinished(() => {
    // Close open sessions so that server.close() can finish.
    for (const c of clients) void c.close();
  });
  return { url: `127.0.0.1:${(server.address() as AddressInfo).port}`, server, sessions: () => sessions };
}

const grpcOk = (body: Buffer) => (stream: ServerHttp2Stream) => {
  stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
  stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
  stream.end(body);
};

describe('kserve-grpc transport: answers that break gRPC', () => {
  it.each([
    ['two messages in one answer', frame(OK_MESSAGE).length, Buffer.concat([frame(OK_MESSAGE), frame(OK_MESSAGE)])],
    ['a compressed message that was never negotiated', 0, frame(OK_MESSAGE, true)],
    ['a frame declaring more bytes than arrive', 0, frame(OK_MESSAGE).subarray(0, 12)],
    ['an OK status without a message', 0, Buffer.alloc(0)],
    ['a frame header cut short', 0, Buffer.from([0, 0, 0])],
  ])('%s → INFERENCE_BAD_RESPONSE', async (_, __, body) => {
    const { url } = await h2Server(grpcOk(body));
    expect(await failure(client(url).infer(request, live()))).toMatchObject({ code: 'INFERENCE_BAD_RESPONSE', retryable: false });
  });

  it('a declared length above maxResponseBytes → INFERENCE_BAD_RESPONSE, without waiting for the body', async () => {
    const { url } = await h2Server((stream) => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' });
      const header = Buffer.alloc(5);
      header.writeUInt32BE(1_000_000, 1);
      stream.write(header); // and never the rest
    });
    const error = await failure(client(url, {}, { maxResponseBytes: 1000 }).infer(request, live()));
    expect(error).toMatchObject({ code: 'INFERENCE_BAD_RESPONSE' });
    expect(error.message).toMatch(/maxResponseBytes/);
  });

  it.each([
    [503, 'INFERENCE_UNAVAILABLE', 'UNAVAILABLE'],
    [404, 'INFERENCE_REJECTED', 'UNIMPLEMENTED'],
    [401, 'INFERENCE_UNAUTHORIZED', 'UNAUTHENTICATED'],
    [500, 'INFERENCE_FAILED', 'UNKNOWN'],
  ])('an HTTP %i without a gRPC status → %s (%s, by gRPC’s HTTP mapping)', async (status, code, upstream) => {
    const { url } = await h2Server((stream) => {
      stream.respond({ ':status': status, 'content-type': 'text/html' });
      stream.end('<html>proxy says no</html>');
    });
    expect(await failure(client(url).infer(request, live()))).toMatchObject({ code, upstreamStatus: upstream });
  });

  it('a trailers-only error: status and percent-encoded message from the headers, retry-after read', async () => {
    const { url } = await h2Server((stream) => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '8', 'grpc-message': 'quota%20%C3%BCberschritten', 'retry-after': '2' }, { endStream: true });
    });
    const error = await failure(client(url).infer(request, live()));
    expect(error).toMatchObject({ code: 'INFERENCE_RATE_LIMITED', upstreamStatus: 'RESOURCE_EXHAUSTED', retryAfterMs: 2000 });
    expect(error.message).toContain('quota überschritten');
  });

  it.each([
    [2, 'INTERNAL_ERROR', 'INFERENCE_FAILED', 'INTERNAL'],
    [8, 'CANCEL', 'INFERENCE_UNAVAILABLE', 'CANCELLED'],
    [11, 'ENHANCE_YOUR_CALM', 'INFERENCE_RATE_LIMITED', 'RESOURCE_EXHAUSTED'],
  ])('a stream the server resets with %i (%s) → %s (%s, as grpc-js reads it), and the next call works', async (rst, _, code, upstream) => {
    let calls = 0;
    const { url } = await h2Server((stream) => {
      if (calls++ === 0) stream.close(rst);
      else grpcOk(frame(OK_MESSAGE))(stream);
    });
    const c = client(url);
    expect(await failure(c.infer(request, live()))).toMatchObject({ code, upstreamStatus: upstream, retryable: true });
    expect((await c.infer(request, live())).outputs).toEqual({ Y: [true] });
  });

  it('a connection the server drops mid-call → INFERENCE_UNAVAILABLE', async () => {
    let calls = 0;
    const { url } = await h2Server((stream, session) => {
      if (calls++ === 0) session.destroy();
      else grpcOk(frame(OK_MESSAGE))(stream);
    });
    const c = client(url);
    expect(await failure(c.infer(request, live()))).toMatchObject({ code: 'INFERENCE_UNAVAILABLE', upstreamStatus: 'UNAVAILABLE' });
    expect((await c.infer(request, live())).outputs).toEqual({ Y: [true] });
  });

  it('a connection the server closes or sends GOAWAY on is replaced for the next call', async () => {
    let calls = 0;
    const { url, sessions } = await h2Server((stream, session) => {
      grpcOk(frame(OK_MESSAGE))(stream);
      if (++calls === 1) session.goaway();
      if (calls === 2) setTimeout(() => session.destroy(), 10);
    });
    const c = client(url);
    for (let i = 0; i < 3; i++) {
      expect((await c.infer(request, live())).outputs).toEqual({ Y: [true] });
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(sessions()).toBe(3);
  });

  it('a deadline that passed before the call fails without a request', async () => {
    const { url, sessions } = await h2Server(grpcOk(frame(OK_MESSAGE)));
    const error = await failure(client(url).infer(request, { ...live(), deadline: Date.now() - 1 }));
    expect(error).toMatchObject({ code: 'INFERENCE_TIMEOUT', upstreamStatus: 'DEADLINE_EXCEEDED' });
    expect(sessions()).toBe(0);
  });
});

describe('kserve-grpc transport: channels and stream limits', () => {
  it('spreads calls over `channels` connections', async () => {
    const { url, sessions } = await h2Server(grpcOk(frame(OK_MESSAGE)));
    const c = client(url, { channels: 3 });
    await Promise.all(Array.from({ length: 9 }, () => c.infer(request, live())));
    expect(sessions()).toBe(3);
  });

  it('queues calls beyond the server’s max_concurrent_streams instead of failing them', async () => {
    const server = new Server({ 'grpc.max_concurrent_streams': 2 });
    let inFlight = 0;
    let most = 0;
    server.addService(INFERENCE_SERVICE, {
      ModelInfer: (_call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
        most = Math.max(most, ++inFlight);
        setTimeout(() => {
          inFlight--;
          callback(null, { model_name: 'm', outputs: [{ name: 'Y', datatype: 'BOOL', shape: [1], contents: { bool_contents: [true] } }] });
        }, 20);
      },
    });
    onTestFinished(() => server.forceShutdown());
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
    );
    const c = client(`127.0.0.1:${port}`);
    const results = await Promise.all(Array.from({ length: 10 }, () => c.infer(request, live())));
    expect(results).toHaveLength(10);
    expect(most).toBeLessThanOrEqual(2);
  });

  it('refuses headers that cannot travel as gRPC metadata, at creation', () => {
    for (const headers of [{ 'grpc-timeout': '1S' }, { 'x-key-bin': 'AAAA' }, { 'x key': 'v' }, { 'x-key': 'line\nbreak' }, { te: 'x' }]) {
      expect(() => client('127.0.0.1:1', { headers })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    }
  });
});
