/**
 * The worker's HTTP surface on fastify: `/healthz`, `/readyz` and `/metrics` (unauthenticated, as
 * before) and the control API under `/v1` (every route authenticated, deny by default; `/v1/openapi.json`
 * is public). No side effects on import; {@link buildAdminApp} returns an app that is not listening.
 */
import Fastify, { LogController } from 'fastify';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { z } from 'zod';
import type { ReplayService } from '../replay/types.ts';
import type { Worker } from '../worker/worker.ts';
import { AuditWriteError, actorOf, auditReplayJobs } from './audit.ts';
import type { AuditLog } from './audit.ts';
import { hasRole } from './auth.ts';
import type { Authenticator, Principal } from './auth.ts';
import { connectorRoutes } from './connector-routes.ts';
import { registerConsole } from './console/serve.ts';
import type { ConsoleSignIn } from './console/serve.ts';
import { createHistory, historyRoutes } from './history.ts';
import { meRoutes } from './me-route.ts';
import { createOpenApiDocument } from './openapi.ts';
import { PROBLEM_CONTENT_TYPE, ProblemError, problem, typeOfStatus } from './problem.ts';
import { replayRoutes } from './replay-routes.ts';
import type { RouteSpec } from './route-spec.ts';

export interface AdminAppOptions {
  readonly worker: Pick<Worker, 'status' | 'ready' | 'connector'>;
  readonly metricsRegistry: Registry;
  readonly logger: Logger;
  /** Absent: every `/v1` route answers 401 (the control API is off). */
  readonly authenticator?: Authenticator | undefined;
  readonly audit?: AuditLog | undefined;
  readonly replay?: ReplayService | undefined;
  /** Largest request body in bytes (default 64 KiB). */
  readonly bodyLimit?: number | undefined;
  /** Kafka Connect's `worker_id` in connector status. */
  readonly workerId?: string | undefined;
  readonly version?: string | undefined;
  /** How the console at `/console` signs in (default: it cannot, and says so). */
  readonly console?: ConsoleSignIn | undefined;
  /** How often the history behind the console's plots is sampled (default 5 s). */
  readonly historySampleMs?: number | undefined;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | undefined;
  }
}

const PUBLIC_ROUTES = new Set(['/healthz', '/readyz', '/metrics', '/v1/openapi.json']);
const isPublic = (route: string): boolean => PUBLIC_ROUTES.has(route) || route === '/console' || route.startsWith('/console/');

const DISABLED: Authenticator = {
  mode: 'oidc',
  authenticate: () => Promise.reject(new ProblemError(401, 'unauthorized', 'the control API is not enabled on this worker')),
};

/** Builds the fastify app (not listening); the caller listens and closes it. */
export function buildAdminApp(options: AdminAppOptions): FastifyInstance {
  const { worker, metricsRegistry, audit } = options;
  const logger = options.logger.child({ component: 'admin' });
  const authenticator = options.authenticator ?? DISABLED;
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // Scrapes and probes would flood the log; handlers log what matters.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimit ?? 65_536,
    return503OnClosing: true,
    // Shutdown closes the server last; keep-alive connections must not hold it open.
    forceCloseConnections: true,
    keepAliveTimeout: 5000,
    // `__proto__` / `constructor.prototype` in a JSON body is an attack, not data.
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
  });
  app.decorateRequest('principal', undefined);
  // Bodies are JSON only: anything else is 415, not a string handed to the validators.
  app.removeContentTypeParser('text/plain');

  const history = createHistory({ worker, metricsRegistry });
  const routes: RouteSpec[] = [
    ...meRoutes(),
    ...connectorRoutes({ worker, audit, workerId: options.workerId ?? 'modelbridge', probeTimeoutMs: 1000 }),
    ...historyRoutes(history),
    ...replayRoutes({ replay: options.replay, audit }),
  ];
  const openApi = createOpenApiDocument(routes, { version: options.version ?? '0.0.0' });
  if (options.replay && audit) options.replay.onJobEvent(auditReplayJobs(audit));

  app.addHook('onRequest', async (request, reply) => {
    void reply.header('cache-control', 'no-store').header('x-content-type-options', 'nosniff');
    // Deny by default: every matched route but the public ones needs a caller, decided on the route
    // fastify matched (not on the raw URL, whose spelling a client controls).
    const route = request.routeOptions.url;
    if (route !== undefined ? isPublic(route) : !request.url.startsWith('/v1')) return;
    request.principal = await authenticator.authenticate(request.headers.authorization);
  });

  app.setErrorHandler(async (error: unknown, request, reply) => {
    // fastify reads the body before the handler's role check: a caller without the role still gets 403.
    const { spec } = request.routeOptions.config as RouteContext;
    const principal = request.principal;
    if (spec && principal && !hasRole(principal.role, spec.role) && !(error instanceof ProblemError)) return sendProblem(await refusal(request, spec, audit), request, reply, logger);
    return sendProblem(error, request, reply, logger);
  });
  app.setNotFoundHandler((request, reply) => sendProblem(new ProblemError(404, 'not-found', `no route ${request.method} ${request.url.split('?', 1)[0]}`), request, reply, logger));

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const ready = worker.ready();
    return reply.code(ready ? 200 : 503).send({ ready, ...worker.status() });
  });
  app.get('/metrics', async (_request, reply) => reply.type(metricsRegistry.contentType).send(await metricsRegistry.metrics()));
  for (const url of ['/healthz', '/readyz', '/metrics']) {
    app.route({
      method: ['POST', 'PUT', 'DELETE', 'PATCH'],
      url,
      handler: async (_request, reply) => {
        void reply.header('allow', 'GET, HEAD');
        throw new ProblemError(405, 'method-not-allowed', `${url} answers GET and HEAD`);
      },
    });
  }
  app.get('/v1/openapi.json', async () => openApi);
  for (const route of routes) register(app, route, audit);
  registerConsole(app, options.console ?? { mode: 'off', reason: 'sign-in is not set up on this worker' });

  let sampler: NodeJS.Timeout | undefined;
  app.addHook('onReady', async () => {
    const sample = (): void => void history.sample().catch((error: unknown) => logger.warn({ err: error }, 'history sample failed'));
    sample();
    sampler = setInterval(sample, options.historySampleMs ?? 5000).unref();
  });
  app.addHook('onClose', async () => clearInterval(sampler));
  return app;
}

/** The 403 for a caller without the route's role; a refused attempt at a mutation gets its line in the trail. */
async function refusal(request: FastifyRequest, route: RouteSpec, audit: AuditLog | undefined): Promise<ProblemError> {
  const principal = request.principal!;
  if (route.audit) {
    // Worth a line in the trail too; its loss changes nothing.
    const target = request.url.split('?', 1)[0]!;
    const action = typeof route.audit === 'function' ? route.audit(request.body) : route.audit;
    await audit?.append({ actor: actorOf(principal), action, target, outcome: 'refused' }).catch(() => undefined);
  }
  return new ProblemError(403, 'forbidden', `this operation requires the ${route.role} role`);
}

/** What the error handler needs to know of a matched route: a body fastify could not read is not a reason to answer a caller without the role anything but 403. */
interface RouteContext {
  readonly spec?: RouteSpec;
}

function register(app: FastifyInstance, route: RouteSpec, audit: AuditLog | undefined): void {
  app.route({
    method: route.method,
    url: route.path.replace(/\{(\w+)\}/g, ':$1'),
    config: { spec: route } satisfies RouteContext,
    handler: async (request, reply) => {
      const principal = request.principal!;
      if (!hasRole(principal.role, route.role)) throw await refusal(request, route, audit);
      const params = parse(route.params, request.params, 'path');
      const query = parse(route.query, request.query, 'query');
      const body = parse(route.body, request.body, 'body');
      // The response's close before it was written means the client went away. (The request's own
      // 'close' only says its body was read.)
      const controller = new AbortController();
      const onClose = (): void => {
        if (!reply.raw.writableEnded) controller.abort();
      };
      reply.raw.once('close', onClose);
      try {
        const result = await route.handler({ params, query, body, principal, signal: controller.signal });
        void reply.code(result.status);
        if (result.headers) void reply.headers(result.headers);
        return reply.send(result.body);
      } finally {
        reply.raw.off('close', onClose);
      }
    },
  });
}

function parse(schema: z.ZodType | undefined, value: unknown, where: 'path' | 'query' | 'body'): unknown {
  if (!schema) return undefined;
  const result = schema.safeParse(where === 'body' ? (value ?? {}) : { ...(value as object) });
  if (result.success) return result.data;
  const errors = result.error.issues.map((issue) => {
    const path = [where, ...issue.path.map(String)].join('.');
    return { path, message: issue.code === 'unrecognized_keys' ? `unknown key(s) ${issue.keys.join(', ')}` : issue.message };
  });
  throw new ProblemError(400, 'invalid-request', `the request's ${where} is not valid`, { errors });
}

function sendProblem(error: unknown, request: FastifyRequest, reply: FastifyReply, logger: Logger): FastifyReply {
  const instance = request.url.split('?', 1)[0];
  let body;
  if (error instanceof ProblemError) {
    void reply.headers(error.headers);
    body = problem(error.status, error.type, error.message, instance, error.errors);
  } else if (error instanceof AuditWriteError) {
    logger.error({ err: error }, 'audit trail write failed; the operation was not carried out');
    body = problem(503, 'audit-unavailable', 'the audit trail cannot be written; nothing was done', instance);
  } else {
    const status = (error as { statusCode?: unknown } | null)?.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      // fastify's own client errors (body too large, not JSON, bad media type) say nothing secret.
      body = problem(status, typeOfStatus(status), (error as Error).message, instance);
    } else {
      logger.error({ err: error, method: request.method, url: instance }, 'control API request failed');
      body = problem(500, 'internal', 'internal error', instance);
    }
  }
  return reply.code(body.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(body));
}
