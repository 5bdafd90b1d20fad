/**
 * The worker's HTTP endpoints: `/healthz` (live), `/readyz` (ready only when every connector's broker
 * connections and backend hold) and `/metrics` (Prometheus). No side effects on import; `listen()` is
 * called by main.
 */
import { createServer } from 'node:http';
import type { Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Worker } from '../worker/worker.ts';

export interface AdminServer {
  listen(port: number, host?: string): Promise<{ url: string; port: number }>;
  close(): Promise<void>;
  readonly server: Server;
}

export function createAdminServer(options: { worker: Pick<Worker, 'status' | 'ready'>; metricsRegistry: Registry }): AdminServer {
  const { worker, metricsRegistry } = options;
  const server = createServer((request, response) => {
    const path = request.url?.split('?', 1)[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/healthz') {
      send(response, 200, { status: 'ok' });
    } else if (path === '/readyz') {
      const ready = worker.ready();
      send(response, ready ? 200 : 503, { ready, ...worker.status() });
    } else if (path === '/metrics') {
      metricsRegistry.metrics().then(
        (text) => response.writeHead(200, { 'content-type': metricsRegistry.contentType }).end(text),
        (error: unknown) => send(response, 500, { error: String(error) }),
      );
    } else {
      send(response, 404, { error: 'not found' });
    }
  });
  server.keepAliveTimeout = 5000;

  return {
    server,
    listen(port, host = '127.0.0.1') {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const address = server.address() as AddressInfo;
          resolve({ url: `http://${host}:${address.port}`, port: address.port });
        });
      });
    },
    close() {
      return new Promise((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
