/**
 * The console's files with `inject()`: the page (import map allowed by its CSP hash, no inline script
 * otherwise), the app's modules and the vendored libraries from the installed packages, the sign-in
 * configuration for each way the API may be set up, and what is not there.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { adminConfigSchema } from '../../../schemas/admin-config.ts';
import { buildAdminApp } from '../../../services/admin/app.ts';
import { createAuthenticator } from '../../../services/admin/auth.ts';
import { consoleSignIn } from '../../../services/admin/console/serve.ts';
import type { ConsoleSignIn } from '../../../services/admin/console/serve.ts';
import { fakeConnector, fakeWorker } from './fakes.ts';

const ISSUER = 'https://id.example.com/realms/modelbridge';
let app: FastifyInstance;

function build(signIn: ConsoleSignIn): FastifyInstance {
  const logger = pino({ enabled: false });
  // OIDC against an issuer nobody answers for: the console's files must not need a token at all.
  const authenticator = createAuthenticator(adminConfigSchema.parse({ auth: { mode: 'oidc', issuer: ISSUER, audience: 'modelbridge' }, audit: { file: 'unused' } }).auth, { logger });
  app = buildAdminApp({ worker: fakeWorker([fakeConnector('orders')]), metricsRegistry: new Registry(), logger, authenticator, console: signIn });
  return app;
}

afterEach(() => app?.close());

describe('console files', () => {
  it('serves the page with an import map of the vendored libraries, allowed by its hash and nothing else inline', async () => {
    build({ mode: 'oidc', issuer: ISSUER, clientId: 'modelbridge-console', scope: 'openid' });
    const page = await app.inject({ method: 'GET', url: '/console/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    const map = /<script type="importmap">(.*?)<\/script>/.exec(page.body)![1]!;
    expect(JSON.parse(map)).toEqual({
      imports: {
        preact: './vendor/preact.js',
        'preact/hooks': './vendor/preact-hooks.js',
        htm: './vendor/htm.js',
        'oidc-client-ts': './vendor/oidc-client-ts.js',
        'jwt-decode': './vendor/jwt-decode.js',
      },
    });
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain(`script-src 'self' 'sha256-${createHash('sha256').update(map).digest('base64')}'`);
    expect(csp).toContain("connect-src 'self' https://id.example.com");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    // The callback is the same page; /console sends the browser to /console/.
    expect((await app.inject({ method: 'GET', url: '/console/callback?code=x&state=y' })).body).toBe(page.body);
    const bare = await app.inject({ method: 'GET', url: '/console' });
    expect([bare.statusCode, bare.headers.location]).toEqual([308, 'console/']);
  });

  it('serves every module the page and the libraries import, as JavaScript, without a token', async () => {
    build({ mode: 'none' });
    for (const url of ['/console/app/main.js', '/console/app/session.js', '/console/app/console.css', '/console/vendor/preact.js', '/console/vendor/preact-hooks.js', '/console/vendor/htm.js', '/console/vendor/oidc-client-ts.js', '/console/vendor/jwt-decode.js']) {
      const response = await app.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBe(200);
      expect(response.headers['content-type'], url).toMatch(url.endsWith('.css') ? /^text\/css/ : /^text\/javascript/);
    }
    expect((await app.inject({ method: 'GET', url: '/console/vendor/oidc-client-ts.js' })).body).toContain('var UserManager = class');
  });

  it('answers a file it does not have with a 404 problem, and reads nothing outside its folders', async () => {
    build({ mode: 'none' });
    for (const url of ['/console/app/nope.js', '/console/app/index.html', '/console/app/..%2Fserve.ts', '/console/vendor/..%2F..%2Fpackage.json', '/console/app/%2e%2e/serve.ts']) {
      const response = await app.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBe(404);
      expect(response.headers['content-type'], url).toMatch(/^application\/problem\+json/);
    }
  });

  it('tells the page how to sign in, or why it cannot', async () => {
    const config = (input: Record<string, unknown>) => adminConfigSchema.parse({ audit: { file: 'a' }, ...input });
    const oidc = { mode: 'oidc', issuer: ISSUER, audience: 'modelbridge' };
    expect(consoleSignIn(config({ auth: oidc, console: { clientId: 'modelbridge-console' } }))).toEqual({ mode: 'oidc', issuer: ISSUER, clientId: 'modelbridge-console', scope: 'openid' });
    expect(consoleSignIn(config({ auth: oidc, console: { clientId: 'c', scope: 'openid api', issuer: 'https://login.example.com/realms/m' } }))).toMatchObject({ issuer: 'https://login.example.com/realms/m', scope: 'openid api' });
    expect(consoleSignIn(config({ auth: oidc }))).toMatchObject({ mode: 'off', reason: expect.stringContaining('console.clientId') });
    expect(consoleSignIn(config({ auth: { mode: 'none' } }))).toEqual({ mode: 'none' });
    expect(consoleSignIn(undefined)).toMatchObject({ mode: 'off', reason: expect.stringContaining('--admin-config') });
    expect(adminConfigSchema.safeParse({ auth: oidc, audit: { file: 'a' }, console: { clientId: 'c', secret: 'x' } }).success).toBe(false);

    build(consoleSignIn(config({ auth: oidc, console: { clientId: 'modelbridge-console' } })));
    const served = await app.inject({ method: 'GET', url: '/console/config.json' });
    expect(served.json()).toEqual({ mode: 'oidc', issuer: ISSUER, clientId: 'modelbridge-console', scope: 'openid' });
  });

  it('keeps the API itself behind authentication', async () => {
    build({ mode: 'none' });
    for (const url of ['/v1/me', '/v1/history', '/v1/connectors']) expect((await app.inject({ method: 'GET', url })).statusCode, url).toBe(401);
  });
});
