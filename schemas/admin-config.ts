/**
 * The control API's configuration (`modelbridge run --admin-config admin.yaml`): how callers are
 * authenticated, where the audit trail goes and how large a request body may be. Loaded like a
 * connector file (YAML, `${ENV}` and `${file:…}` interpolation, every problem listed at once).
 */
import { z } from 'zod';
import { kafkaSinkSchema } from './connector-config.ts';
import { byteSize, duration, durationsInMs } from './duration.ts';

/**
 * Signature algorithms a token may use. Only asymmetric ones: a JWKS publishes public keys, and an HMAC
 * "verified" with a public key is the classic key-confusion forgery.
 */
export const JWT_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;

/** The three roles, each including the one before: viewer reads, operator acts, admin reads the audit. */
export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

const oidcAuthSchema = durationsInMs(
  z
  .object({
    mode: z.literal('oidc'),
    /** Expected `iss`, exactly (Keycloak: `https://host/realms/<realm>`). */
    issuer: z.url(),
    /** Expected `aud`: one of these must be in the token. */
    audience: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
    /** JWKS URL; default: `jwks_uri` from the issuer's `/.well-known/openid-configuration`. */
    jwksUri: z.url().optional(),
    /** Accepted signature algorithms (default RS256). */
    algorithms: z.array(z.enum(JWT_ALGORITHMS)).min(1).default(['RS256']),
    /** Leeway on `exp`/`nbf`, at most 2 minutes (default 5s). */
    clockTolerance: duration.default(5000).refine((ms) => ms <= 120_000, 'at most 2m'),
    /** Client whose `resource_access.<clientId>.roles` count (Keycloak client roles). */
    clientId: z.string().min(1).optional(),
    /** Another claim holding role names (dot path, e.g. `groups` or `modelbridge.roles`). */
    rolesClaim: z.string().min(1).optional(),
    /** Names the identity provider uses for the three roles (default: viewer, operator, admin). */
    roleNames: z
      .object({ viewer: z.string().min(1).default('viewer'), operator: z.string().min(1).default('operator'), admin: z.string().min(1).default('admin') })
      .strict()
      .default({ viewer: 'viewer', operator: 'operator', admin: 'admin' }),
  })
  .strict(),
  'clockTolerance',
);

/** No authentication: every caller is admin. Only when written down, and logged as a warning at start. */
const noAuthSchema = z.object({ mode: z.literal('none') }).strict();

export const adminConfigSchema = z
  .object({
    auth: z.discriminatedUnion('mode', [oidcAuthSchema, noAuthSchema]),
    audit: z
      .object({
        /** JSON-lines file the records are appended to (created when missing). */
        file: z.string().min(1),
        /** Also publish every record to this Kafka topic; the operation fails when it is not confirmed. */
        kafka: kafkaSinkSchema.omit({ kind: true }).optional(),
      })
      .strict(),
    /**
     * The ops console at `/console`: the public OIDC client it signs in with (authorization code and
     * PKCE, no secret). Absent with `auth.mode: oidc`: the page is served but says sign-in is not set up.
     */
    console: z
      .object({
        /** Public client registered at the issuer, with redirect URI `<control API URL>/console/callback`. */
        clientId: z.string().min(1),
        /** Scopes asked for (default `openid`); the access token must carry the API's audience. */
        scope: z.string().min(1).default('openid'),
        /** Issuer the browser signs in with, when it reaches it under another URL; default `auth.issuer`. */
        issuer: z.url().optional(),
      })
      .strict()
      .optional(),
    /** Largest request body accepted (default 64KiB); larger ones get 413. */
    bodyLimit: byteSize.default(65_536),
  })
  .strict();

export type AdminConfig = z.infer<typeof adminConfigSchema>;
export type AdminConfigInput = z.input<typeof adminConfigSchema>;
export type AuthConfig = AdminConfig['auth'];
export type OidcAuthConfig = z.infer<typeof oidcAuthSchema>;
