/**
 * Test control plane: `/admin/faults[/{model}]` (GET, POST/PUT to set, DELETE to clear) for the served
 * models and the OpenAI text models, and `/admin/stats` (GET, DELETE to reset). Unauthenticated: the
 * reference server is a test fixture.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ZodError } from 'zod';
import type { ServerContext } from './context.ts';
import { HttpError } from './http-error.ts';
import { readJson, sendError, sendJson } from './http-io.ts';
import { TEXT_MODELS } from './openai-routes.ts';

/** Handles `/admin…` paths given as segments after `admin`. */
export function handleAdmin(ctx: ServerContext, req: IncomingMessage, res: ServerResponse, segments: string[]): void {
  const [resource, model, extra] = segments;
  if (extra !== undefined) throw new HttpError(404, 'not found');
  if (resource === 'stats' && model === undefined) return stats(ctx, req, res);
  if (resource !== 'faults') throw new HttpError(404, 'not found');
  if (model !== undefined && !ctx.models.has(model) && !TEXT_MODELS.has(model)) throw new HttpError(404, `model ${model} not found`);

  switch (req.method) {
    case 'GET':
      return sendJson(res, 200, model === undefined ? ctx.faults.list() : (ctx.faults.get(model) ?? null));
    case 'DELETE':
      ctx.faults.clear(model);
      res.writeHead(204).end();
      return;
    case 'POST':
    case 'PUT':
      if (model === undefined) throw new HttpError(405, 'set the faults of one model: /admin/faults/{model}');
      void setFault(ctx, req, res, model);
      return;
    default:
      throw new HttpError(405, 'use GET, POST, PUT or DELETE', { allow: 'GET, POST, PUT, DELETE' });
  }
}

async function setFault(ctx: ServerContext, req: IncomingMessage, res: ServerResponse, model: string): Promise<void> {
  try {
    const spec = await readJson(req, ctx.maxBodyBytes);
    sendJson(res, 200, ctx.faults.set(model, spec ?? {}));
  } catch (error) {
    if (error instanceof ZodError) {
      const message = error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');
      sendError(res, new HttpError(400, message));
    } else {
      sendError(res, error);
    }
  }
}

function stats(ctx: ServerContext, req: IncomingMessage, res: ServerResponse): void {
  if (req.method === 'GET') return sendJson(res, 200, { models: ctx.stats.snapshot() });
  if (req.method === 'DELETE') {
    ctx.stats.reset();
    res.writeHead(204).end();
    return;
  }
  throw new HttpError(405, 'use GET or DELETE', { allow: 'GET, DELETE' });
}
