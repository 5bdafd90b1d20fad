/**
 * One description per route: method, path, required role, the zod schemas of its input, its
 * responses and its handler. The app registers routes from it and the OpenAPI document is generated
 * from it, so what is documented is what is validated.
 */
import type { z } from 'zod';
import type { Role } from '../../schemas/admin-config.ts';
import type { AuditAction } from './audit.ts';
import type { Principal } from './auth.ts';

export interface RouteInput<P, Q, B> {
  readonly params: P;
  readonly query: Q;
  readonly body: B;
  readonly principal: Principal;
  /** Aborted when the client goes away. */
  readonly signal: AbortSignal;
}

export interface RouteReply {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface RouteResponse {
  readonly description: string;
  readonly schema?: z.ZodType | undefined;
}

export interface RouteSpec<P = unknown, Q = unknown, B = unknown> {
  readonly method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  /** OpenAPI-style path: `/v1/connectors/{name}`. */
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly tag: string;
  /** Least role allowed to call it. */
  readonly role: Role;
  /** Mutating routes: the action their audit records carry, from the raw body (refusals are recorded too). */
  readonly audit?: AuditAction | ((body: unknown) => AuditAction) | undefined;
  readonly params?: z.ZodType<P> | undefined;
  readonly query?: z.ZodType<Q> | undefined;
  readonly body?: z.ZodType<B> | undefined;
  /** Success responses by status; the problem responses are added for every route. */
  readonly responses: Readonly<Record<number, RouteResponse>>;
  handler(input: RouteInput<P, Q, B>): Promise<RouteReply>;
}

/** Keeps the handler's input typed by the schemas given. */
export function defineRoute<P = undefined, Q = undefined, B = undefined>(spec: RouteSpec<P, Q, B>): RouteSpec {
  return spec as unknown as RouteSpec;
}
