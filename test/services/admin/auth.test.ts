/**
 * Authentication and roles over real HTTP: a real OpenID Provider issues client-credentials tokens,
 * the app verifies them against its discovery document and JWKS. Hand-signed tokens only for the
 * hostile cases, each of which must get the same 401 problem that names nothing about the token.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, exportSPKI, generateKeyPair, importJWK } from 'jose';
import type { CryptoKey as JoseCryptoKey } from 'jose';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminConfigSchema } from '../../../schemas/admin-config.ts';
import { createAuditLog } from '../../../services/admin/audit.ts';
import { createAuthenticator } from '../../../services/admin/auth.ts';
import { createAdminServer } from '../../../services/admin/server.ts';
import type { AdminServer } from '../../../services/admin/server.ts';
import { fakeConnector, fakeReplay, fakeWorker } from './fakes.ts';
import { AUDIENCE, startTestIssuer } from './oidc-provider.ts';
import type { TestClient, TestIssuer } from './oidc-provider.ts';

let issuer: TestIssuer;
let server: AdminServer;
let base: string;
let dir: string;
const connector = fakeConnector('orders');

beforeAll(async () => {
  issuer = await startTestIssuer();
  dir = mkdtempSync(join(tmpdir(), 'mb-auth-'));
  const config = adminConfigSchema.parse({ auth: { mode: 'oidc', issuer: issuer.issuer, audience: AUDIENCE }, audit: { file: join(dir, 'audit.jsonl') } });
  if (config.auth.mode !== 'oidc') throw new Error('unreachable');
  const logger = pino({ enabled: false });
  server = createAdminServer({
    worker: fakeWorker([connector]),
    metricsRegistry: new Registry(),
    logger,
    authenticator: createAuthenticator(config.auth, { logger }),
    audit: createAuditLog({ file: config.audit.file }),
    replay: fakeReplay(),
  });
  ({ url: base } = await server.listen(0));
});

afterAll(async () => {
  await server?.close();
  await issuer?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function call(method: string, path: string, token?: string, body?: unknown): Promise<{ status: number; type: string | null; body: Record<string, unknown>; headers: Headers }> {
  const headers: Record<string, string> = {};
  if (token !== undefined) headers.authorization = token;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: response.status, type: response.headers.get('content-type'), body: (await response.json()) as Record<string, unknown>, headers: response.headers };
}

const now = (): number => Math.floor(Date.now() / 1000);
const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('hostile tokens', () => {
  const good = (): Record<string, unknown> => ({ iss: issuer.issuer, aud: AUDIENCE, sub: 'mallory', iat: now(), exp: now() + 300, realm_access: { roles: ['admin'] } });

  const cases: [string, () => Promise<string | undefined>][] = [
    ['no token', async () => undefined],
    ['an empty header', async () => ''],
    ['another scheme', async () => `Basic ${Buffer.from('admin:admin').toString('base64')}`],
    ['a malformed token', async () => 'Bearer not.a.jwt'],
    ['garbage after Bearer', async () => 'Bearer {"alg":"none"}'],
    ['an expired token', async () => `Bearer ${await issuer.signWith({ ...good(), iat: now() - 7200, exp: now() - 3600 })}`],
    ['a token expired beyond the clock tolerance', async () => `Bearer ${await issuer.signWith({ ...good(), exp: now() - 30 })}`],
    ['a token not yet valid', async () => `Bearer ${await issuer.signWith({ ...good(), nbf: now() + 120 })}`],
    ['a token without exp', async () => `Bearer ${await issuer.signWith({ ...good(), exp: undefined })}`],
    ['the wrong issuer', async () => `Bearer ${await issuer.signWith({ ...good(), iss: 'https://evil.example/realms/modelbridge' })}`],
    ['the wrong audience', async () => `Bearer ${await issuer.signWith({ ...good(), aud: 'account' })}`],
    ['alg none', async () => `Bearer ${b64({ alg: 'none', typ: 'JWT' })}.${b64(good())}.`],
    [
      'HS256 signed with the public key',
      async () => {
        const pem = await exportPublicPem();
        const token = await new SignJWT(good()).setProtectedHeader({ alg: 'HS256', kid: issuer.publicJwk.kid! }).sign(new TextEncoder().encode(pem));
        return `Bearer ${token}`;
      },
    ],
    [
      'an unknown kid',
      async () => {
        const { privateKey } = await generateKeyPair('RS256');
        return `Bearer ${await new SignJWT(good()).setProtectedHeader({ alg: 'RS256', kid: 'somebody-else' }).sign(privateKey)}`;
      },
    ],
    [
      "another key under the provider's kid",
      async () => {
        const { privateKey } = await generateKeyPair('RS256');
        return `Bearer ${await new SignJWT(good()).setProtectedHeader({ alg: 'RS256', kid: issuer.publicJwk.kid! }).sign(privateKey)}`;
      },
    ],
    ['a real token with a flipped signature byte', async () => `Bearer ${flipLast(await issuer.token('admin'))}`],
  ];

  async function exportPublicPem(): Promise<string> {
    return exportSPKI((await importJWK(issuer.publicJwk, 'RS256', { extractable: true })) as JoseCryptoKey);
  }

  it.each(cases)('%s gets 401 problem+json that says nothing about the token', async (_name, make) => {
    const token = await make();
    for (const [method, path] of [['GET', '/v1/connectors'], ['PUT', '/v1/connectors/orders/pause'], ['GET', '/v1/audit'], ['GET', '/v1/no-such-route']] as const) {
      const response = await call(method, path, token);
      expect(response.status, `${method} ${path}`).toBe(401);
      expect(response.type).toMatch(/^application\/problem\+json/);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="modelbridge"/);
      const body = { ...response.body };
      expect(body.instance).toBe(path);
      delete body.instance;
      // Identical for every case: no hint about kid, issuer, audience, expiry or algorithm.
      expect(body).toEqual({ type: '/problems/unauthorized', title: 'Unauthorized', status: 401, detail: 'a valid bearer token is required' });
    }
    expect(connector.reasons.has('operator')).toBe(false);
  });

  it.each(['http://127.0.0.1/v1/connectors', '/v1//connectors', '/%761/connectors', '/v1/connectors/', '/v1/connectors?x=/healthz', '/v1/./connectors', '/healthz/../v1/connectors'])(
    'no spelling of a protected path gets through without a token: %s',
    async (target) => {
      const { port } = new URL(base);
      const socket = connect(Number(port), '127.0.0.1');
      socket.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
      let raw = '';
      for await (const chunk of socket) raw += String(chunk);
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1]);
      expect([400, 401, 404]).toContain(status);
      expect(raw).not.toContain('"connectors"');
    },
  );

  it('a token inside the clock tolerance (5s) is accepted', async () => {
    const token = await issuer.signWith({ ...good(), exp: now() - 2 });
    expect((await call('GET', '/v1/connectors', `Bearer ${token}`)).status).toBe(200);
  });
});

describe('roles from real tokens', () => {
  const expectations: [TestClient, string, string, number][] = [
    ['nobody', 'GET', '/v1/connectors', 403],
    ['viewer', 'GET', '/v1/connectors', 200],
    ['viewer', 'GET', '/v1/connectors/orders', 200],
    ['viewer', 'GET', '/v1/replays', 200],
    ['viewer', 'GET', '/v1/dead-letters?connector=orders', 200],
    ['viewer', 'PUT', '/v1/connectors/orders/pause', 403],
    ['viewer', 'POST', '/v1/replays', 403],
    ['viewer', 'GET', '/v1/audit', 403],
    ['operator', 'PUT', '/v1/connectors/orders/pause', 202],
    ['operator', 'PUT', '/v1/connectors/orders/resume', 202],
    ['operator', 'POST', '/v1/replays', 200],
    ['operator', 'GET', '/v1/audit', 403],
    ['admin', 'GET', '/v1/audit', 200],
    ['admin', 'PUT', '/v1/connectors/orders/pause', 202],
    ['admin', 'PUT', '/v1/connectors/orders/resume', 202],
  ];

  it.each(expectations)('%s: %s %s → %i', async (client, method, path, status) => {
    const token = `Bearer ${await issuer.token(client)}`;
    const body = method === 'POST' ? { from: { connector: 'orders' }, dryRun: true } : undefined;
    const response = await call(method, path, token, body);
    expect(response.status).toBe(status);
    if (status === 403) {
      expect(response.type).toMatch(/^application\/problem\+json/);
      expect(response.body.detail).toMatch(/^this operation requires the (viewer|operator|admin) role$/);
    }
  });

  it('a viewer whose mutating request carries a body fastify cannot read still gets 403, not 400', async () => {
    const token = `Bearer ${await issuer.token('viewer')}`;
    for (const [method, path, body] of [
      ['PUT', '/v1/connectors/orders/pause', ''],
      ['POST', '/v1/replays', '{not json'],
    ] as const) {
      const response = await fetch(`${base}${path}`, { method, headers: { authorization: token, 'content-type': 'application/json' }, body });
      expect(response.status, `${method} ${path}`).toBe(403);
      expect(((await response.json()) as { detail: string }).detail).toMatch(/^this operation requires the operator role$/);
    }
    // An operator's unreadable body is still the 400 it was.
    const operator = await fetch(`${base}/v1/replays`, { method: 'POST', headers: { authorization: `Bearer ${await issuer.token('operator')}`, 'content-type': 'application/json' }, body: '{not json' });
    expect(operator.status).toBe(400);
  });

  it('the audit trail names the caller from the token (sub, preferred_username), refusals included', async () => {
    const admin = `Bearer ${await issuer.token('admin')}`;
    const { body } = await call('GET', '/v1/audit?limit=100', admin);
    const items = body.items as { actor: { sub: string; username?: string }; action: string; outcome: string }[];
    expect(items).toContainEqual(expect.objectContaining({ actor: { sub: 'operator', username: 'service-account-operator' }, action: 'connector.pause', outcome: 'ok' }));
    expect(items).toContainEqual(expect.objectContaining({ actor: { sub: 'viewer', username: 'service-account-viewer' }, action: 'connector.pause', outcome: 'refused' }));
  });

  it('the public OpenAPI document needs no token; health endpoints neither', async () => {
    for (const path of ['/v1/openapi.json', '/healthz', '/readyz']) expect((await fetch(`${base}${path}`)).status).toBe(200);
  });
});

describe('configuration', () => {
  it('refuses HS256 and none in the algorithm allow-list', () => {
    for (const algorithm of ['HS256', 'none']) {
      const result = adminConfigSchema.safeParse({ auth: { mode: 'oidc', issuer: 'https://id.example/realms/x', audience: 'a', algorithms: [algorithm] }, audit: { file: 'a' } });
      expect(result.success).toBe(false);
    }
  });

  it('needs an explicit mode: an empty auth section is an error, not "no auth"', () => {
    expect(adminConfigSchema.safeParse({ auth: {}, audit: { file: 'a' } }).success).toBe(false);
    expect(adminConfigSchema.safeParse({ audit: { file: 'a' } }).success).toBe(false);
  });

  it('running without authentication is explicit and logs a warning', () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    const authenticator = createAuthenticator({ mode: 'none' }, { logger });
    expect(authenticator.mode).toBe('none');
    expect(lines.map((line) => JSON.parse(line) as { level: number; msg: string })).toEqual([
      expect.objectContaining({ level: 40, msg: expect.stringContaining('WITHOUT authentication') }),
    ]);
  });

  it('an unreachable issuer answers 503, not 401, and nothing leaks', async () => {
    const logger = pino({ enabled: false });
    const config = adminConfigSchema.parse({ auth: { mode: 'oidc', issuer: 'http://127.0.0.1:1/realms/x', audience: 'a' }, audit: { file: join(dir, 'x.jsonl') } });
    if (config.auth.mode !== 'oidc') throw new Error('unreachable');
    const offline = createAdminServer({ worker: fakeWorker([]), metricsRegistry: new Registry(), logger, authenticator: createAuthenticator(config.auth, { logger }) });
    const { url } = await offline.listen(0);
    try {
      const response = await fetch(`${url}/v1/connectors`, { headers: { authorization: `Bearer ${await issuer.token('admin')}` } });
      expect(response.status).toBe(503);
      expect(await response.json()).toMatchObject({ status: 503, detail: 'tokens cannot be verified right now' });
    } finally {
      await offline.close();
    }
  });
});

function flipLast(token: string): string {
  const last = token.at(-2) === 'A' ? 'B' : 'A';
  return `${token.slice(0, -2)}${last}${token.at(-1)}`;
}
