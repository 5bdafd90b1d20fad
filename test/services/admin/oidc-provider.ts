/**
 * A real OpenID Provider for the control API's tests: `oidc-provider` (a certified implementation)
 * on 127.0.0.1 with signing keys the test generates, issuing client-credentials access tokens as JWTs
 * for the API's audience. Each client carries Keycloak-shaped role claims, so the tests exercise the
 * same claims a Keycloak realm issues. Hand-made tokens are only for hostile cases (see `signWith`).
 *
 * With `console`, it also registers the console's public client (authorization code + PKCE) and lets
 * people sign in at the provider's own login form: the login name is one of {@link CLIENTS} (any
 * password), and that user's tokens carry the same roles as the client of that name.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
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
      AccessToken(_ctx: unknown, token: { accountId?: string }) {
        const seconds = token.accountId === undefined ? undefined : shortened.get(token.accountId);
        if (seconds === undefined) return TOKEN_TTL;
        shortened.delete(token.accountId!);
        return seconds;
      },
    },
    // The login form (any password) stands for the organisation's login page.
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
      devInteractions: { enabled: consoleClient !== undefined },
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
  server.on('request', provider.callback());
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
