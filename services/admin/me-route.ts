/** `GET /v1/me`: who the caller is and which role the API grants, so a client offers only what it may do. */
import { z } from 'zod';
import { roleSchema } from './api-schemas.ts';
import { defineRoute } from './route-spec.ts';
import type { RouteSpec } from './route-spec.ts';

export const meSchema = z.object({ sub: z.string(), username: z.string().optional(), role: roleSchema });

export function meRoutes(): RouteSpec[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/v1/me',
      operationId: 'whoAmI',
      summary: 'The verified caller: subject, username and role',
      tag: 'session',
      role: 'viewer',
      responses: { 200: { description: 'The caller', schema: meSchema } },
      async handler({ principal }) {
        return { status: 200, body: { sub: principal.sub, username: principal.username, role: principal.role } };
      },
    }),
  ];
}
