/**
 * Who is calling: bearer JWTs verified with `jose` against the issuer's JWKS (issuer, audience,
 * `exp`/`nbf` with a small leeway, an allow-list of asymmetric algorithms), and the caller's role from
 * Keycloak's claims (`realm_access.roles`, `resource_access.<client>.roles`) or a configured claim.
 *
 * Every refusal looks the same to the caller (401 "a valid bearer token is required"): why a token was
 * refused goes to the log only, so a caller learns nothing about keys, issuers or clocks.
 */
import { createRemoteJWKSet, errors, jwtVerify } from 'jose';
import type { JWTPayload, JWTVerifyGetKey } from 'jose';
import type { Logger } from 'pino';
import { ROLES } from '../../schemas/admin-config.ts';
import type { AuthConfig, OidcAuthConfig, Role } from '../../schemas/admin-config.ts';
import { ProblemError } from './problem.ts';

/** The verified caller. `role` is the highest of the three it holds, or undefined for none. */
export interface Principal {
  readonly sub: string;
  readonly username: string | undefined;
  readonly role: Role | undefined;
}

export interface Authenticator {
  readonly mode: AuthConfig['mode'];
  /** Verifies the `Authorization` header. Throws a 401 (or 503 when keys cannot be had) {@link ProblemError}. */
  authenticate(authorization: string | undefined): Promise<Principal>;
}

const CHALLENGE = 'Bearer realm="modelbridge"';
const ANONYMOUS: Principal = Object.freeze({ sub: 'anonymous', username: undefined, role: 'admin' });
/** JOSE failures that mean "this token is not acceptable", as opposed to "keys could not be fetched". */
const REFUSALS = new Set<string>([
  errors.JWTExpired.code,
  errors.JWTClaimValidationFailed.code,
  errors.JWTInvalid.code,
  errors.JWSInvalid.code,
  errors.JWSSignatureVerificationFailed.code,
  errors.JOSEAlgNotAllowed.code,
  errors.JOSENotSupported.code,
  errors.JWKSNoMatchingKey.code,
  errors.JWKSMultipleMatchingKeys.code,
  errors.JWKInvalid.code,
]);

/** True when `role` is at least `required` (viewer < operator < admin). */
export function hasRole(role: Role | undefined, required: Role): boolean {
  return role !== undefined && ROLES.indexOf(role) >= ROLES.indexOf(required);
}

/** The authenticator the configuration asks for; `mode: none` logs a warning here, once. */
export function createAuthenticator(config: AuthConfig, deps: { logger: Logger }): Authenticator {
  if (config.mode === 'none') {
    deps.logger.warn('control API WITHOUT authentication (auth.mode: none): every caller is admin');
    return { mode: 'none', authenticate: async () => ANONYMOUS };
  }
  return createOidcAuthenticator(config, deps.logger.child({ component: 'auth' }));
}

function createOidcAuthenticator(config: OidcAuthConfig, logger: Logger): Authenticator {
  const options = {
    issuer: config.issuer,
    audience: config.audience,
    algorithms: [...config.algorithms],
    clockTolerance: Math.ceil(config.clockToleranceMs / 1000),
    requiredClaims: ['exp'],
  };
  const clientId = config.clientId ?? (typeof config.audience === 'string' ? config.audience : undefined);
  let keys: Promise<JWTVerifyGetKey> | undefined;

  function keySet(): Promise<JWTVerifyGetKey> {
    keys ??= resolveJwksUri(config).then((uri) => createRemoteJWKSet(new URL(uri), { timeoutDuration: 5000, cooldownDuration: 30_000 }));
    // A failed discovery is retried by the next request, not cached.
    keys.catch(() => (keys = undefined));
    return keys;
  }

  function refuse(reason: string): never {
    logger.info({ reason }, 'bearer token refused');
    throw new ProblemError(401, 'unauthorized', 'a valid bearer token is required', { headers: { 'www-authenticate': `${CHALLENGE}, error="invalid_token"` } });
  }

  return {
    mode: 'oidc',
    async authenticate(authorization) {
      if (authorization === undefined || authorization === '') {
        throw new ProblemError(401, 'unauthorized', 'a valid bearer token is required', { headers: { 'www-authenticate': CHALLENGE } });
      }
      const match = /^Bearer +([A-Za-z0-9._~+/=-]+)$/i.exec(authorization);
      if (!match) refuse('not a bearer token');
      let payload: JWTPayload;
      try {
        const getKey = await keySet();
        ({ payload } = await jwtVerify(match[1]!, getKey, options));
      } catch (error) {
        if (error instanceof errors.JOSEError && REFUSALS.has(error.code)) refuse(`${error.code}: ${error.message}`);
        logger.error({ err: error }, 'cannot verify tokens: the signing keys are not available');
        throw new ProblemError(503, 'internal', 'tokens cannot be verified right now', { cause: error });
      }
      const sub = stringClaim(payload, 'sub') ?? stringClaim(payload, 'client_id') ?? stringClaim(payload, 'azp');
      if (sub === undefined) refuse('no sub, client_id or azp claim');
      return { sub, username: stringClaim(payload, 'preferred_username'), role: roleOf(payload, config, clientId) };
    },
  };
}

/** The configured JWKS URL, or `jwks_uri` from the issuer's discovery document (whose issuer must match). */
async function resolveJwksUri(config: OidcAuthConfig): Promise<string> {
  if (config.jwksUri !== undefined) return config.jwksUri;
  const url = `${config.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  const response = await fetch(url, { signal: AbortSignal.timeout(5000), redirect: 'error' });
  if (!response.ok) throw new Error(`discovery at ${url} answered ${response.status}`);
  const document = (await response.json()) as { issuer?: unknown; jwks_uri?: unknown };
  if (document.issuer !== config.issuer) throw new Error(`discovery at ${url} names another issuer`);
  if (typeof document.jwks_uri !== 'string') throw new Error(`discovery at ${url} has no jwks_uri`);
  return document.jwks_uri;
}

function roleOf(payload: JWTPayload, config: OidcAuthConfig, clientId: string | undefined): Role | undefined {
  const names = new Set<string>();
  const add = (value: unknown): void => {
    if (Array.isArray(value)) for (const item of value) if (typeof item === 'string') names.add(item);
    if (typeof value === 'string') for (const item of value.split(' ')) if (item !== '') names.add(item);
  };
  add(at(payload, ['realm_access', 'roles']));
  if (clientId !== undefined) add(at(payload, ['resource_access', clientId, 'roles']));
  if (config.rolesClaim !== undefined) add(at(payload, config.rolesClaim.split('.')));
  let best: Role | undefined;
  for (const role of ROLES) if (names.has(config.roleNames[role])) best = role;
  return best;
}

function at(root: unknown, path: readonly string[]): unknown {
  let current = root;
  for (const key of path) {
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

function stringClaim(payload: JWTPayload, name: string): string | undefined {
  const value = payload[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}
