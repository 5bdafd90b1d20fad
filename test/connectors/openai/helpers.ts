/** Shared fixtures of the openai client tests: the reference server, raw servers, failure capture. */
import { createServer } from 'node:http';
import type { RequestListener, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { findModelbridgeError } from '../../../connectors/errors.ts';
import type { ModelbridgeError } from '../../../connectors/errors.ts';
import { openaiBackendSchema } from '../../../schemas/backend-config.ts';
import type { OpenaiBackendConfig } from '../../../schemas/backend-config.ts';

/** A parsed backend config, as the worker would get it. */
export function openaiConfig(url: string, overrides: Record<string, unknown> = {}): OpenaiBackendConfig {
  return openaiBackendSchema.parse({ kind: 'openai', url, model: 'text-generator', ...overrides });
}

/** Bare node:http servers for answers the reference server never gives. */
export function createRawServers(): { start(handler: RequestListener): Promise<string>; closeAll(): Promise<void> } {
  const servers: Server[] = [];
  return {
    async start(handler) {
      const server = createServer(handler);
      servers.push(server);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
    },
    async closeAll() {
      await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve).closeAllConnections())));
    },
  };
}

/** A URL whose port nobody listens on. */
export async function closedPortUrl(): Promise<string> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return `http://127.0.0.1:${port}/v1`;
}

/** The `ModelbridgeError` a promise rejects with; fails when it resolves or rejects with anything else. */
export async function failure(promise: Promise<unknown>): Promise<ModelbridgeError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  const found = findModelbridgeError(error);
  if (!found) throw new Error('expected a ModelbridgeError', { cause: error });
  return found;
}

/** Options of a live call: a generous timeout that never fires in a passing test. */
export const live = () => ({ signal: AbortSignal.timeout(10_000) });
