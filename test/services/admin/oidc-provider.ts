/**
 * A real OpenID Provider for the control API's tests: `oidc-provider` (a certified implementation)
 * on 127.0.0.1 with signing keys the test generates, issuing client-credentials access tokens as JWTs
 * for the API's audience. Each client carries Keycloak-shaped role claims, so the tests exercise the
 * same claims a Keycloak realm issues. Hand-made tokens are only for hostile cases (see `signWith`).
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
  /** The public JWK the provider publishes. */
  readonly publicJwk: JWK;
  close(): Promise<void>;
}

export async function startTestIssuer(): Promise<TestIssuer> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = `test-${Date.now().toString(36)}`;
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };

  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const provider = new Provider(issuer, {
    clients: Object.keys(CLIENTS).map((id) => ({
      client_id: id,
      client_secret: `${id}-secret`,
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
    })),
    jwks: { keys: [privateJwk] },
    ttl: { ClientCredentials: 300 },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({ scope: 'api', audience: AUDIENCE, accessTokenFormat: 'jwt', accessTokenTTL: 300, jwt: { sign: { alg: 'RS256' } } }),
      },
    },
    extraTokenClaims(_ctx, token) {
      const roles = CLIENTS[token.clientId as TestClient];
      return {
        preferred_username: `service-account-${token.clientId}`,
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
