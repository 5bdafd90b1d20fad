/** The part of `oidc-provider`'s API the tests use (the package ships no types). */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export interface AccessTokenLike {
    readonly clientId: string;
    /** Set on tokens issued to a person (authorization code), absent for client credentials. */
    readonly accountId?: string;
  }

  export default class Provider {
    constructor(issuer: string, configuration: Record<string, unknown> & { extraTokenClaims?: (ctx: unknown, token: AccessTokenLike) => unknown });
    callback(): (request: IncomingMessage, response: ServerResponse) => void;
    interactionDetails(request: IncomingMessage, response: ServerResponse): Promise<{ uid: string; prompt: { name: string }; params: Record<string, unknown> }>;
    interactionFinished(request: IncomingMessage, response: ServerResponse, result: Record<string, unknown>, options?: { mergeWithLastSubmission?: boolean }): Promise<void>;
  }
}
