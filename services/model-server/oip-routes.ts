/** Open Inference Protocol v2 REST endpoints: health, server and model metadata, model ready, infer. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ServerContext } from './context.ts';
import { latencyFor, notReadyForMs, takesInjectedError } from './faults.ts';
import type { ActiveFault } from './faults.ts';
import { HttpError } from './http-error.ts';
import { readJson, sendError, sendJson } from './http-io.ts';
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
  ctx.stats.recordRequest(model.name);
  res.once('close', () => ctx.stats.recordOutcome(model.name, res.writableFinished ? res.statusCode : 'aborted'));
  try {
    const fault = ctx.faults.get(model.name);
    checkReady(ctx, model, fault);
    if (fault?.hang) {
      req.resume();
      return; // Never answered: the client aborts, or close() destroys the connection.
    }
    const latency = latencyFor(fault, ctx.random);
    if (latency > 0) await sleepUnlessGone(ctx, res, latency);
    const request = parseInferRequest(await readJson(req, ctx.maxBodyBytes), model);
    if (takesInjectedError(fault, ctx.random)) throw injectedError(fault!);
    if (fault?.rejectMarker !== undefined && containsMarker(request, fault.rejectMarker)) {
      throw new HttpError(fault.rejectStatus, `input contains the reject marker ${fault.rejectMarker}`);
    }
    sendJson(res, 200, inferResponse(model, request));
  } catch (error) {
    if (ctx.closing.aborted) res.destroy();
    else if (!res.destroyed) sendError(res, error);
  }
}

function checkReady(ctx: ServerContext, model: Model, fault: ActiveFault | undefined): void {
  const notReadyMs = notReadyForMs(fault, ctx.now());
  if (notReadyMs === 0) return;
  const headers = Number.isFinite(notReadyMs) ? { 'retry-after': String(Math.ceil(notReadyMs / 1000)) } : undefined;
  throw new HttpError(503, `model ${model.name} is not ready`, headers);
}

async function sleepUnlessGone(ctx: ServerContext, res: ServerResponse, ms: number): Promise<void> {
  const gone = new AbortController();
  const onClose = (): void => gone.abort();
  res.once('close', onClose);
  try {
    await ctx.sleep(ms, AbortSignal.any([gone.signal, ctx.closing]));
  } finally {
    res.off('close', onClose);
  }
}

function injectedError(fault: ActiveFault): HttpError {
  const status = fault.errorStatus;
  const headers =
    fault.retryAfterSeconds !== undefined && (status === 429 || status === 503)
      ? { 'retry-after': String(fault.retryAfterSeconds) }
      : undefined;
  return new HttpError(status, `injected fault: HTTP ${status}`, headers);
}

function containsMarker(request: ParsedInferRequest, marker: string): boolean {
  for (const tensor of request.inputs.values()) {
    for (const value of tensor.data) if (typeof value === 'string' && value.includes(marker)) return true;
  }
  return false;
}

function inferResponse(model: Model, request: ParsedInferRequest): unknown {
  let outputs: Tensor[] = model.infer(request.inputs);
  const wanted = request.outputs;
  if (wanted) {
    const missing = wanted.find((name) => !outputs.some((o) => o.name === name));
    if (missing !== undefined) throw new HttpError(400, `unknown output ${missing}`);
    outputs = outputs.filter((o) => wanted.includes(o.name));
  }
  return {
    model_name: model.name,
    model_version: model.version,
    ...(request.id === undefined ? {} : { id: request.id }),
    outputs,
  };
}
