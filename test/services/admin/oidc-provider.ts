/**
 * A real OpenID Provider for the control API's tests: `oidc-provider` (a certified implementation)
 * on 127.0.0.1 with signing keys the test generates, issuing client-credentials access tokens as JWTs
 * for the API's audience. Each client carries Keycloak-shaped role claims, so the tests exercise the
 * same claims a Keycloak realm issues. Hand-made tokens are only for hostile cases (see `signWith`).
 *
 * With `console`, it also registers the console's public client (authorization code + PKCE) and lets
 * people sign in at a plain login form served here (standing for the organisation's login page): the
 * username is one of {@link CLIENTS} (any password), and that person's tokens carry the roles of the
 * client of the same name.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import type { CryptoKey, JWK, JWTPayload } from 'jose';
import Provider from 'oidc-provider';

/** The API's audience, also the client whose client roles count (as in the Keycloak realm of deploy/). */
export const AUDIENCE = 'modelbridge';
/** Resource indicator (RFC 8707) the test clients ask tokens for; must be an absolute URI. */
const RESOURCE = 'urn:modelbridge:control-api';
/** The console's public client and the scope it asks for (the API's resource scope included). */
export const CONSOLE_CLIENT = 'modelbridge-console';
export const CONSOLE_SCOPE = 'openid api';
const TOKEN_TTL = 300;

/** Clients and the roles their tokens carry: realm roles, client roles of `modelbridge`, or none. */
export const CLIENTS = {
  viewer: { realm: ['viewer'], client: [] },
  operator: { realm: [], client: ['operator'] },
  admin: { realm: ['viewer'], client: ['admin'] },
  nobody: { realm: ['offline_access'], client: [] },
} as const;

export type TestClient = keyof typeof CLIENTS;

export interface TestIssuer {
  readonly issuer: string;
  readonly jwksUri: string;
  /** A real token from the provider's token endpoint (client credentials). */
  token(client: TestClient): Promise<string>;
  /** Signs arbitrary claims with the provider's own private key (kid included), for hostile cases. */
  signWith(claims: JWTPayload, header?: { kid?: string; alg?: string }): Promise<string>;
  /** The next access token issued to `user` through the console lives `seconds` only. */
  shortenNextToken(user: TestClient, seconds: number): void;
  /** The public JWK the provider publishes. */
  readonly publicJwk: JWK;
  close(): Promise<void>;
}

export interface TestIssuerOptions {
  /** Registers the console client; called with the issuer URL, returns the console's redirect URIs. */
  readonly console?: (issuer: string) => Promise<readonly string[]> | readonly string[];
}

/** The login form: username and any password; a sign-in finishes the provider's interaction. */
async function interaction(provider: Provider, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const details = await provider.interactionDetails(request, response);
  if (request.method === 'POST') {
    let body = '';
    for await (const chunk of request) body += String(chunk);
    const username = new URLSearchParams(body).get('username')?.trim();
    if (username) {
      await provider.interactionFinished(request, response, { login: { accountId: username } }, { mergeWithLastSubmission: false });
      return;
    }
  }
  response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  response.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign in</title><link rel="icon" href="data:,"></head>
<body><h1>Sign in to the test realm</h1>
<form method="post" action="/interaction/${details.uid}"><label>Username <input name="username" autocomplete="username" required></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label><button type="submit">Sign in</button></form></body></html>`);
}

interface ExistingGrantContext {
  readonly oidc: {
    readonly result?: { consent?: { grantId?: string } };
    readonly session: { accountId?: string; grantIdFor(clientId: string): string | undefined };
    readonly client: { clientId: string };
    readonly provider: { Grant: GrantClass };
  };
}

interface GrantClass {
  new (init: { clientId: string; accountId: string }): { addOIDCScope(scope: string): void; addResourceScope(resource: string, scope: string): void; save(): Promise<unknown> };
  find(id: string): Promise<unknown>;
}

export async function startTestIssuer(options: TestIssuerOptions = {}): Promise<TestIssuer> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = `test-${Date.now().toString(36)}`;
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };

  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const consoleRedirectUris = options.console ? [...(await options.console(issuer))] : undefined;
  const shortened = new Map<string, number>();
  const consoleClient = consoleRedirectUris && {
    client_id: CONSOLE_CLIENT,
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code'],
    response_types: ['code'],
    redirect_uris: consoleRedirectUris,
  };

  const provider = new Provider(issuer, {
    clients: [
      ...Object.keys(CLIENTS).map((id) => ({
        client_id: id,
        client_secret: `${id}-secret`,
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
      })),
      ...(consoleClient ? [consoleClient] : []),
    ],
    jwks: { keys: [privateJwk] },
    cookies: { keys: [`cookies-${kid}`] },
    ttl: {
      ClientCredentials: TOKEN_TTL,
      AuthorizationCode: 60,
      IdToken: TOKEN_TTL,
      Interaction: 600,
      Session: 3600,
      Grant: 3600,
      AccessToken(_ctx: unknown, token: { accountId?: string }) {
        const seconds = token.accountId === undefined ? undefined : shortened.get(token.accountId);
        if (seconds === undefined) return TOKEN_TTL;
        shortened.delete(token.accountId!);
        return seconds;
      },
    },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    findAccount: (_ctx: unknown, id: string) => ({ accountId: id, claims: () => ({ sub: id, preferred_username: id }) }),
    // The console is first-party: no consent screen, it is granted its scopes and the API's.
    async loadExistingGrant(ctx: ExistingGrantContext) {
      const { oidc } = ctx;
      const grantId = oidc.result?.consent?.grantId ?? oidc.session.grantIdFor(oidc.client.clientId);
      if (grantId) return oidc.provider.Grant.find(grantId);
      if (oidc.client.clientId !== CONSOLE_CLIENT || oidc.session.accountId === undefined) return undefined;
      const grant = new oidc.provider.Grant({ clientId: CONSOLE_CLIENT, accountId: oidc.session.accountId });
      grant.addOIDCScope('openid');
      grant.addResourceScope(RESOURCE, 'api');
      await grant.save();
      return grant;
    },
    clientBasedCORS: (_ctx: unknown, origin: string, client: { clientId: string }) =>
      client.clientId === CONSOLE_CLIENT && (consoleRedirectUris ?? []).some((uri) => new URL(uri).origin === origin),
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({ scope: 'api', audience: AUDIENCE, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } }),
      },
    },
    extraTokenClaims(_ctx, token) {
      // A person signed in through the console has the roles of the client of the same name.
      const person = token.accountId;
      const roles = CLIENTS[(person ?? token.clientId) as TestClient] ?? { realm: [], client: [] };
      return {
        preferred_username: person ?? `service-account-${token.clientId}`,
        realm_access: { roles: [...roles.realm] },
        resource_access: { [AUDIENCE]: { roles: [...roles.client] } },
      };
    },
  });
  const callback = provider.callback();
  server.on('request', (request, response) => {
    if (request.url?.startsWith('/interaction/')) void interaction(provider, request, response).catch(() => response.writeHead(500).end());
    else callback(request, response);
  });
  const signingKey: CryptoKey = privateKey;

  return {
    issuer,
    jwksUri: `${issuer}/jwks`,
    publicJwk,
    async token(client) {
      const response = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${client}:${client}-secret`).toString('base64')}`,
        },
        body: new URLSearchParams({ grant_type: 'client_credentials', resource: RESOURCE, scope: 'api' }),
      });
      const body = (await response.json()) as { access_token?: string; error?: string; error_description?: string };
      if (!response.ok || !body.access_token) throw new Error(`token endpoint: ${response.status} ${body.error}: ${body.error_description}`);
      return body.access_token;
    },
    shortenNextToken(user, seconds) {
      shortened.set(user, seconds);
    },
    signWith(claims, header = {}) {
      return new SignJWT(claims)
        .setProtectedHeader({ alg: header.alg ?? 'RS256', kid: header.kid ?? kid, typ: 'at+jwt' })
        .sign(signingKey);
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
