/**
 * Misbehaving model servers over real sockets. The HTTP one forwards every call to the reference
 * model server unless the request body holds a marker, and then answers as broken servers and proxies
 * do: a body that drips a byte at a time and never ends, a body far larger than any limit (streamed,
 * so the server itself holds nothing), or a 200 with an HTML page. The gRPC one answers ModelReady
 * properly and cuts every ModelInfer answer off mid-message.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { constants, createServer as createHttp2Server } from 'node:http2';
import type { Http2Server, ServerHttp2Stream } from 'node:http2';
import type { AddressInfo } from 'node:net';

export type Misbehaviour = 'drip' | 'huge' | 'html';

export interface HostileHttpBackend {
  readonly url: string;
  /** Calls answered per misbehaviour, and forwarded ones. */
  readonly counts: Record<Misbehaviour | 'forwarded', number>;
  /** When set, every call misbehaves this way, marker or not (`undefined`: markers only). */
  everyCall: Misbehaviour | undefined;
  close(): Promise<void>;
}

const MARKERS: Readonly<Record<string, Misbehaviour>> = { DRIP: 'drip', HUGE: 'huge', HTML: 'html' };

export async function startHostileHttpBackend(upstream: string): Promise<HostileHttpBackend> {
  const counts = { drip: 0, huge: 0, html: 0, forwarded: 0 };
  const backend: HostileHttpBackend = { url: '', counts, everyCall: undefined, close: async () => undefined };
  const server: Server = createServer((req, res) => void handle(req, res).catch(() => res.destroy()));

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const marked = Object.entries(MARKERS).find(([marker]) => body.includes(marker))?.[1];
    const how = req.method === 'POST' ? (backend.everyCall ?? marked) : undefined;
    if (how === undefined) {
      counts.forwarded++;
      const answer = await fetch(`${upstream}${req.url}`, { method: req.method, headers: { 'content-type': 'application/json' }, body: req.method === 'POST' ? body : undefined });
      res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
      res.end(Buffer.from(await answer.arrayBuffer()));
      return;
    }
    counts[how]++;
    if (how === 'html') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html><body><h1>Welcome to nginx!</h1></body></html>');
    } else if (how === 'drip') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"outputs":[');
      const timer = setInterval(() => res.write(' '), 100);
      res.once('close', () => clearInterval(timer));
    } else {
      // 256 MiB announced in pieces, written only as fast as the client reads (backpressure).
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"outputs":[{"name":"LABEL","datatype":"BYTES","shape":[1],"data":["');
      const piece = Buffer.alloc(64 * 1024, 'a');
      let left = 4096;
      const pump = (): void => {
        while (left > 0 && !res.destroyed) {
          left--;
          if (!res.write(piece)) return void res.once('drain', pump);
        }
        if (!res.destroyed) res.end('"]}]}');
      };
      pump();
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(backend, {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  });
}

export interface TruncatingGrpcBackend {
  readonly url: string;
  /** ModelInfer calls cut off. */
  truncated: number;
  close(): Promise<void>;
}

/** gRPC message frame: compressed flag, 4-byte length, the message. */
function frame(message: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt32BE(message.length, 1);
  return Buffer.concat([header, message]);
}

export async function startTruncatingGrpcBackend(): Promise<TruncatingGrpcBackend> {
  const backend: TruncatingGrpcBackend = { url: '', truncated: 0, close: async () => undefined };
  const server: Http2Server = createHttp2Server();
  server.on('stream', (stream: ServerHttp2Stream, headers) => {
    stream.on('error', () => undefined);
    const path = String(headers[':path']);
    stream.resume();
    stream.once('end', () => {
      if (path.endsWith('/ModelReady')) {
        stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
        stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
        // ModelReadyResponse { ready: true }: field 1, varint, 1.
        stream.end(frame(Buffer.from([0x08, 0x01])));
      } else if (path.endsWith('/ModelInfer')) {
        backend.truncated++;
        stream.respond({ ':status': 200, 'content-type': 'application/grpc' });
        // A frame announcing 1,000 bytes, 12 of them sent, then the stream is reset.
        const header = Buffer.alloc(5);
        header.writeUInt32BE(1000, 1);
        stream.write(Buffer.concat([header, Buffer.from('\x0a\x09sentiment')]));
        setTimeout(() => stream.close(constants.NGHTTP2_INTERNAL_ERROR), 20);
      } else {
        stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '12' }, { endStream: true });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(backend, {
    url: `127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}
