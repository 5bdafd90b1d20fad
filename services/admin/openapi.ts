/**
 * The OpenAPI 3.1 document of the control API, generated from the route specs: the same zod schemas
 * that validate requests become the parameter and body schemas (`z.toJSONSchema`, JSON Schema
 * 2020-12, which OpenAPI 3.1 uses as is).
 */
import { z } from 'zod';
import { problemSchema } from './api-schemas.ts';
import type { RouteSpec } from './route-spec.ts';

type Json = Record<string, unknown>;

const PROBLEM_RESPONSES: Record<number, string> = {
  400: 'Invalid request',
  401: 'No valid bearer token',
  403: 'Role too low',
  404: 'Not found',
  409: 'Conflict with the current state',
  413: 'Request body too large',
  415: 'Not JSON',
  503: 'A dependency (audit trail, broker, token keys) is unavailable; nothing was done',
};

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Json {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Json;
  return rest;
}

function parameters(schema: z.ZodType | undefined, where: 'path' | 'query'): Json[] {
  if (!schema) return [];
  const object = jsonSchema(schema, 'input') as { properties?: Record<string, Json>; required?: string[] };
  return Object.entries(object.properties ?? {}).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path' || (object.required ?? []).includes(name),
    ...(typeof property.description === 'string' ? { description: property.description } : {}),
    schema: property,
  }));
}

/** The OpenAPI 3.1 document of `routes` plus the health endpoints. */
export function createOpenApiDocument(routes: readonly RouteSpec[], info: { version: string }): Json {
  const paths: Record<string, Record<string, Json>> = {};
  for (const route of routes) {
    const responses: Record<string, Json> = {};
    for (const [status, response] of Object.entries(route.responses)) {
      responses[status] = {
        description: response.description,
        ...(response.schema ? { content: { 'application/json': { schema: jsonSchema(response.schema, 'output') } } } : {}),
      };
    }
    for (const [status, description] of Object.entries(PROBLEM_RESPONSES)) {
      if (status === '413' || status === '415') {
        if (!route.body) continue;
      }
      responses[status] = { description, content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } };
    }
    (paths[route.path] ??= {})[route.method.toLowerCase()] = {
      operationId: route.operationId,
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      tags: [route.tag],
      security: [{ bearerAuth: [] }],
      'x-required-role': route.role,
      parameters: [...parameters(route.params, 'path'), ...parameters(route.query, 'query')],
      ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(route.body, 'input') } } } } : {}),
      responses,
    };
  }
  const text = (description: string, type = 'text/plain'): Json => ({ description, content: { [type]: { schema: { type: 'string' } } } });
  paths['/healthz'] = { get: { operationId: 'live', summary: 'Liveness', tags: ['health'], security: [], responses: { 200: text('Alive', 'application/json') } } };
  paths['/readyz'] = {
    get: {
      operationId: 'ready',
      summary: 'Readiness: every connector runs with connected brokers and a closed breaker; the body lists pause reasons',
      tags: ['health'],
      security: [],
      responses: { 200: text('Ready', 'application/json'), 503: text('Not ready', 'application/json') },
    },
  };
  paths['/metrics'] = { get: { operationId: 'metrics', summary: 'Prometheus metrics', tags: ['health'], security: [], responses: { 200: text('Prometheus text format') } } };
  return {
    openapi: '3.1.0',
    info: {
      title: 'Modelbridge control API',
      version: info.version,
      description:
        'Connectors, dead letters, replays and the audit trail of one worker. Bearer JWTs from the configured OIDC issuer; roles: viewer reads, operator also pauses, resumes and replays, admin also reads the audit trail. Errors are RFC 9457 problem details.',
    },
    paths,
    components: {
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: { Problem: jsonSchema(problemSchema, 'output') },
    },
  };
}
