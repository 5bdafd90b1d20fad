/** Open Inference Protocol v2 REST endpoints: health, server and model metadata, model ready, infer. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ServerContext } from './context.ts';
import { notReadyForMs } from './faults.ts';
import { HttpError } from './http-error.ts';
import { readJson, sendError, sendJson, trackResponse } from './http-io.ts';
import { serveInfer } from './infer-core.ts';
import { parseInferRequest } from './infer-request.ts';
import type { ParsedInferRequest } from './infer-request.ts';
import type { Model, Tensor } from './models/model.ts';

const SERVER_METADATA = { name: 'modelbridge-model-server', version: '0.1.0', extensions: [] };

/** Handles `/v2…` paths given as segments after `v2`. */
export function handleOip(ctx: ServerContext, req: IncomingMessage, res: ServerResponse, segments: string[]): void {
  const [first, second] = segments;
  if (segments.length === 0) return get(req, res, SERVER_METADATA);
  if (first === 'health' && segments.length === 2 && (second === 'live' || second === 'ready')) {
    return get(req, res, second === 'live' ? { live: true } : { ready: true });
  }
  if (first !== 'models' || second === undefined) throw new HttpError(404, 'not found');

  const model = ctx.models.get(second);
  if (!model) throw new HttpError(404, `model ${second} not found`);
  let rest = segments.slice(2);
  if (rest[0] === 'versions') {
    if (rest[1] !== model.version) throw new HttpError(404, `model ${model.name} has no version ${rest[1] ?? ''}`);
    rest = rest.slice(2);
  }
  if (rest.length === 0) return get(req, res, metadataOf(model));
  if (rest.length === 1 && rest[0] === 'ready') {
    return get(req, res, { name: model.name, ready: notReadyForMs(ctx.faults.get(model.name), ctx.now()) === 0 });
  }
  if (rest.length === 1 && rest[0] === 'infer') {
    if (req.method !== 'POST') throw new HttpError(405, 'use POST', { allow: 'POST' });
    void infer(ctx, model, req, res);
    return;
  }
  throw new HttpError(404, 'not found');
}

function get(req: IncomingMessage, res: ServerResponse, body: unknown): void {
  if (req.method !== 'GET') throw new HttpError(405, 'use GET', { allow: 'GET' });
  sendJson(res, 200, body);
}

function metadataOf(model: Model): unknown {
  return { name: model.name, versions: [model.version], platform: model.platform, inputs: model.inputs, outputs: model.outputs };
}

async function infer(ctx: ServerContext, model: Model, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const gone = trackResponse(ctx.stats, model.name, res);
  try {
    const { request, outputs } = await serveInfer(ctx, model, gone, {
      read: async () => parseInferRequest(await readJson(req, ctx.maxBodyBytes), model),
      discard: () => req.resume(),
    });
    sendJson(res, 200, inferResponse(model, request, outputs));
  } catch (error) {
    if (ctx.closing.aborted) res.destroy();
    else if (!res.destroyed) sendError(res, error);
  }
}

function inferResponse(model: Model, request: ParsedInferRequest, outputs: Tensor[]): unknown {
  return {
    model_name: model.name,
    model_version: model.version,
    ...(request.id === undefined ? {} : { id: request.id }),
    outputs,
  };
}
