/**
 * The worker's HTTP server: the fastify app of {@link buildAdminApp} with `listen()` and `close()`.
 * No side effects on import; `listen()` is called by main.
 */
import type { Server } from 'node:http';
import { pino } from 'pino';
import { buildAdminApp } from './app.ts';
import type { AdminAppOptions } from './app.ts';

export interface AdminServer {
  listen(port: number, host?: string): Promise<{ url: string; port: number }>;
  /** Stops accepting, ends open connections, then resolves. Idempotent. */
  close(): Promise<void>;
  readonly server: Server;
}

export type AdminServerOptions = Omit<AdminAppOptions, 'logger'> & { readonly logger?: AdminAppOptions['logger'] | undefined };

/** The admin app with listen/close; see {@link buildAdminApp} for the options. */
export function createAdminServer(options: AdminServerOptions): AdminServer {
  const app = buildAdminApp({ ...options, logger: options.logger ?? pino({ enabled: false }) });
  let closing: Promise<void> | undefined;
  return {
    get server() {
      return app.server;
    },
    async listen(port, host = '127.0.0.1') {
      await app.listen({ port, host });
      const address = app.server.address();
      const bound = typeof address === 'object' && address !== null ? address.port : port;
      const shown = host.includes(':') ? `[${host}]` : host;
      return { url: `http://${shown}:${bound}`, port: bound };
    },
    close() {
      closing ??= app.close();
      return closing;
    },
  };
}
