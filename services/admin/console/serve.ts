/**
 * Serves the ops console at `/console`: plain ES modules from `app/`, and the UI and sign-in libraries'
 * own ESM files from the installed packages (preact, htm, oidc-client-ts and its jwt-decode), tied
 * together by an import map. No bundler, no CDN: the page needs nothing but this server (and the
 * issuer, to sign in). Every file is read once, when the app is built; the routes are public (the page
 * holds no data; the API it calls is not).
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { AdminConfig } from '../../../schemas/admin-config.ts';
import { ProblemError } from '../problem.ts';

/** How the page signs in, from the control API's configuration. */
export type ConsoleSignIn =
  | { readonly mode: 'oidc'; readonly issuer: string; readonly clientId: string; readonly scope: string }
  /** `auth.mode: none`: no sign-in, every caller is admin. */
  | { readonly mode: 'none' }
  /** The page cannot sign in; `reason` says what to configure. */
  | { readonly mode: 'off'; readonly reason: string };

/** Bare specifiers the console's modules and the libraries import, and the file each resolves to. */
const VENDOR = ['preact', 'preact/hooks', 'htm', 'oidc-client-ts', 'jwt-decode'] as const;

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
};

interface Asset {
  readonly body: Buffer;
  readonly type: string;
}

const vendorFile = (specifier: string): string => `${specifier.replace('/', '-')}.js`;

function loadAssets(): { app: Map<string, Asset>; vendor: Map<string, Asset>; index: string; importMapHash: string } {
  const dir = fileURLToPath(new URL('app/', import.meta.url));
  const app = new Map<string, Asset>();
  for (const name of readdirSync(dir)) {
    const type = TYPES[extname(name)];
    if (type && name !== 'index.html') app.set(name, { body: readFileSync(join(dir, name)), type });
  }
  const vendor = new Map<string, Asset>();
  for (const specifier of VENDOR) {
    // The package's own ESM entry, as Node resolves it (exports map, `import` condition).
    vendor.set(vendorFile(specifier), { body: readFileSync(fileURLToPath(import.meta.resolve(specifier))), type: TYPES['.js']! });
  }
  const importMap = `{"imports":{${VENDOR.map((s) => `"${s}":"./vendor/${vendorFile(s)}"`).join(',')}}}`;
  const index = readFileSync(join(dir, 'index.html'), 'utf8').replace('<!-- import map -->', `<script type="importmap">${importMap}</script>`);
  return { app, vendor, index, importMapHash: createHash('sha256').update(importMap).digest('base64') };
}

/** Registers `/console` and its files on `app`. */
export function registerConsole(app: FastifyInstance, signIn: ConsoleSignIn): void {
  const assets = loadAssets();
  const issuerOrigin = signIn.mode === 'oidc' ? ` ${new URL(signIn.issuer).origin}` : '';
  const csp = [
    "default-src 'none'",
    `script-src 'self' 'sha256-${assets.importMapHash}'`,
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self'${issuerOrigin}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  const config = JSON.stringify(signIn);

  const page = (reply: FastifyReply): FastifyReply =>
    reply
      .type(TYPES['.html']!)
      .header('content-security-policy', csp)
      .header('x-frame-options', 'DENY')
      // The callback URL carries the authorization code: it must not leak in a Referer.
      .header('referrer-policy', 'no-referrer')
      .send(assets.index);
  const file = (found: Asset | undefined, reply: FastifyReply, url: string): FastifyReply => {
    if (!found) throw new ProblemError(404, 'not-found', `no console file ${url}`);
    return reply.type(found.type).send(found.body);
  };

  // Relative, so that the console also works behind a proxy that adds a path prefix.
  app.get('/console', async (_request, reply) => reply.redirect('console/', 308));
  app.get('/console/', async (_request, reply) => page(reply));
  app.get('/console/callback', async (_request, reply) => page(reply));
  app.get('/console/config.json', async (_request, reply) => reply.type('application/json').send(config));
  app.get<{ Params: { file: string } }>('/console/app/:file', async (request, reply) => file(assets.app.get(request.params.file), reply, request.url));
  app.get<{ Params: { file: string } }>('/console/vendor/:file', async (request, reply) => file(assets.vendor.get(request.params.file), reply, request.url));
}

/** The console's sign-in from the control API's configuration (none: the API is off). */
export function consoleSignIn(config: Pick<AdminConfig, 'auth' | 'console'> | undefined): ConsoleSignIn {
  if (!config) return { mode: 'off', reason: 'the control API is not enabled on this worker (no --admin-config)' };
  if (config.auth.mode === 'none') return { mode: 'none' };
  if (!config.console) return { mode: 'off', reason: 'sign-in is not set up: the control API configuration has no console.clientId' };
  return { mode: 'oidc', issuer: config.console.issuer ?? config.auth.issuer, clientId: config.console.clientId, scope: config.console.scope };
}
