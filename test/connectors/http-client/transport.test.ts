import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { classifyThrown } from '../../../connectors/http-client/errors.ts';
import { createHttpTransport } from '../../../connectors/http-client/transport.ts';

let server: Server;
let base: string;
let connections = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = req.url ?? '/';
    if (path === '/echo') {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => res.writeHead(201, { 'x-seen': req.headers['x-test'] ?? '', 'retry-after': '3' }).end(`${req.method}:${body}`));
    } else if (path === '/utf8') {
      // A multi-byte character split across two chunks.
      const bytes = Buffer.from('{"a":"€"}');
      res.writeHead(200);
      res.write(bytes.subarray(0, 7));
      setImmediate(() => res.end(bytes.subarray(7)));
    } else if (path === '/declared-large') {
      res.writeHead(200, { 'content-length': '1000' }).end('x'.repeat(1000));
    } else if (path === '/streamed-large') {
      res.writeHead(200);
      for (let i = 0; i < 10; i++) res.write('y'.repeat(100));
      res.end();
    } else if (path === '/redirect') {
      res.writeHead(307, { location: '/echo' }).end();
    } else {
      res.writeHead(404).end();
    }
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve()).closeAllConnections()));

const live = () => AbortSignal.timeout(5000);

describe('createHttpTransport', () => {
  it('sends method, headers and body; answers status, headers and text', async () => {
    const http = createHttpTransport({ maxResponseBytes: 1000 });
    const answer = await http.request(`${base}/echo`, { method: 'POST', headers: { 'x-test': 'yes' }, body: 'hello', signal: live() });
    expect(answer).toMatchObject({ status: 201, text: 'POST:hello' });
    expect(answer.header('x-seen')).toBe('yes');
    expect(answer.header('retry-after')).toBe('3');
    expect(answer.header('absent')).toBeUndefined();
    await http.close();
  });

  it('joins chunks, keeping a UTF-8 sequence split across them', async () => {
    const http = createHttpTransport({ maxResponseBytes: 11 });
    expect((await http.request(`${base}/utf8`, { headers: {}, signal: live() })).text).toBe('{"a":"€"}');
    await http.close();
  });

  it('gives no text past the limit, by content-length or while streaming', async () => {
    const http = createHttpTransport({ maxResponseBytes: 500 });
    expect(await http.request(`${base}/declared-large`, { headers: {}, signal: live() })).toMatchObject({ status: 200, text: undefined });
    expect(await http.request(`${base}/streamed-large`, { headers: {}, signal: live() })).toMatchObject({ status: 200, text: undefined });
    // The transport still works after abandoning bodies.
    expect((await http.request(`${base}/echo`, { method: 'POST', headers: {}, body: 'x', signal: live() })).text).toBe('POST:x');
    await http.close();
  });

  it('does not follow redirects', async () => {
    const http = createHttpTransport({ maxResponseBytes: 500 });
    expect((await http.request(`${base}/redirect`, { method: 'POST', headers: {}, body: 'x', signal: live() })).status).toBe(307);
    await http.close();
  });

  it('keeps connections alive across sequential requests', async () => {
    const http = createHttpTransport({ maxResponseBytes: 500 });
    const before = connections;
    for (let i = 0; i < 20; i++) await http.request(`${base}/echo`, { method: 'POST', headers: {}, body: String(i), signal: live() });
    // undici may open a second socket right after the first request; never one per request.
    expect(connections - before).toBeLessThanOrEqual(2);
    await http.close();
  });

  it('an abort rejects at once, and a call aborted before it reached a connection is never sent', async () => {
    let received = 0;
    const hang = createServer(() => void received++);
    await new Promise<void>((resolve) => hang.listen(0, '127.0.0.1', resolve));
    const hangUrl = `http://127.0.0.1:${(hang.address() as AddressInfo).port}/`;
    const http = createHttpTransport({ maxResponseBytes: 500, connections: 1 });

    const already = new AbortController();
    already.abort(new Error('before'));
    await expect(http.request(hangUrl, { headers: {}, signal: already.signal })).rejects.toThrow('before');

    const first = new AbortController();
    const holding = http.request(hangUrl, { method: 'POST', headers: {}, body: '1', signal: first.signal }).catch((error: unknown) => error);
    await vi.waitFor(() => expect(received).toBe(1));
    // One connection, held by the first call: the second waits in undici's queue.
    const second = new AbortController();
    const queued = http.request(hangUrl, { method: 'POST', headers: {}, body: '2', signal: second.signal }).catch((error: unknown) => error);
    second.abort(new Error('queued'));
    expect(await queued).toMatchObject({ message: 'queued' });
    first.abort(new Error('held'));
    expect(await holding).toMatchObject({ message: 'held' });
    // The connection is free again: a third call is sent, the aborted second one never was.
    const third = new AbortController();
    const later = http.request(hangUrl, { method: 'POST', headers: {}, body: '3', signal: third.signal }).catch((error: unknown) => error);
    await vi.waitFor(() => expect(received).toBe(2));
    third.abort(new Error('done'));
    await later;
    expect(received).toBe(2);
    await http.close();
    await new Promise<void>((resolve) => hang.close(() => resolve()).closeAllConnections());
  });

  it('fails in ways classifyThrown reads: refused connection, timeout, abort', async () => {
    const http = createHttpTransport({ maxResponseBytes: 500 });
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const signal = live();
    const refused = await http.request(`http://127.0.0.1:${port}/`, { headers: {}, signal }).catch((error: unknown) => error);
    expect(classifyThrown('t', refused, signal)).toMatchObject({ code: 'INFERENCE_UNAVAILABLE', upstreamStatus: 'ECONNREFUSED' });

    const hang = createServer(() => undefined);
    await new Promise<void>((resolve) => hang.listen(0, '127.0.0.1', resolve));
    const hangUrl = `http://127.0.0.1:${(hang.address() as AddressInfo).port}/`;
    const timeout = AbortSignal.timeout(50);
    const timedOut = await http.request(hangUrl, { headers: {}, signal: timeout }).catch((error: unknown) => error);
    expect(classifyThrown('t', timedOut, timeout)).toMatchObject({ code: 'INFERENCE_TIMEOUT' });
    const controller = new AbortController();
    const pending = http.request(hangUrl, { headers: {}, signal: controller.signal }).catch((error: unknown) => error);
    controller.abort(new Error('shutdown'));
    expect(classifyThrown('t', await pending, controller.signal)).toMatchObject({ code: 'ABORTED' });
    await http.close();
    await new Promise<void>((resolve) => hang.close(() => resolve()).closeAllConnections());
  });
});
