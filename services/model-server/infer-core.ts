/**
 * One OIP v2 inference as both endpoints (HTTP and gRPC) serve it: readiness, faults, the model's
 * scheduler (queue and batching) or a direct run, and the selection of requested outputs. Failures are
 * {@link HttpError}s; each endpoint renders them in its protocol.
 */
import type { ServerContext } from './context.ts';
import { latencyFor, notReadyForMs, takesInjectedError } from './faults.ts';
import type { ActiveFault } from './faults.ts';
import { grpcCodeForHttp } from './grpc-status.ts';
import { HttpError } from './http-error.ts';
import type { ParsedInferRequest } from './infer-request.ts';
import type { Model, Tensor } from './models/model.ts';

/** How an endpoint supplies the request. */
export interface InferSource {
  /** Reads and checks the request (after readiness and latency, like a server busy before reading). */
  read(): Promise<ParsedInferRequest>;
  /** Called instead of `read` when the call is made to hang (the HTTP body is drained). */
  discard?(): void;
}

/** The outputs to answer with. Rejects with an `HttpError`, or with `gone`'s reason when the client left. */
export async function serveInfer(ctx: ServerContext, model: Model, gone: AbortSignal, source: InferSource): Promise<{ request: ParsedInferRequest; outputs: Tensor[] }> {
  const fault = ctx.faults.get(model.name);
  checkReady(ctx, model.name, fault);
  const until = AbortSignal.any([gone, ctx.closing]);
  if (fault?.hang) {
    source.discard?.();
    // Never answered: the client aborts, or close() ends the call.
    await new Promise((_, reject) => until.addEventListener('abort', () => reject(until.reason as Error), { once: true }));
  }
  const scheduler = ctx.schedulers.get(model.name);
  const latency = scheduler ? 0 : latencyFor(fault, ctx.random);
  if (latency > 0) await ctx.sleep(latency, until);
  const request = await source.read();
  checkInjected(ctx, fault, (marker) => containsMarker(request, marker));
  let outputs: Tensor[];
  if (scheduler) {
    outputs = await scheduler.run(request.inputs, gone);
  } else {
    outputs = model.infer(request.inputs);
    ctx.stats.recordExecution(model.name);
  }
  const wanted = request.outputs;
  if (wanted) {
    const missing = wanted.find((name) => !outputs.some((o) => o.name === name));
    if (missing !== undefined) throw new HttpError(400, `unknown output ${missing}`);
    outputs = outputs.filter((o) => wanted.includes(o.name));
  }
  return { request, outputs };
}

/**
 * Throws 503 (with `Retry-After` when the end is known) while `model` is not ready. Every endpoint's
 * readiness and infer calls (OIP, REST, OpenAI) answer through it.
 */
export function checkReady(ctx: ServerContext, model: string, fault = ctx.faults.get(model)): void {
  const notReadyMs = notReadyForMs(fault, ctx.now());
  if (notReadyMs === 0) return;
  const headers = Number.isFinite(notReadyMs) ? { 'retry-after': String(Math.ceil(notReadyMs / 1000)) } : undefined;
  throw new HttpError(503, `model ${model} is not ready`, headers);
}

/**
 * After the request is read: throws the injected error when the fault takes one (`failNext`,
 * `errorRate`), else the reject error when `hasMarker(rejectMarker)` says the input holds the marker.
 */
export function checkInjected(ctx: ServerContext, fault: ActiveFault | undefined, hasMarker: (marker: string) => boolean): void {
  if (!fault) return;
  if (takesInjectedError(fault, ctx.random)) throw injectedError(fault);
  const marker = fault.rejectMarker;
  if (marker !== undefined && hasMarker(marker)) throw new HttpError(fault.rejectStatus, `input contains the reject marker ${marker}`);
}

function injectedError(fault: ActiveFault): HttpError {
  const status = fault.errorStatus;
  const code = fault.grpcCode ?? grpcCodeForHttp(status);
  const headers =
    fault.retryAfterSeconds !== undefined && (status === 429 || status === 503 || code === 'RESOURCE_EXHAUSTED' || code === 'UNAVAILABLE')
      ? { 'retry-after': String(fault.retryAfterSeconds) }
      : undefined;
  return new HttpError(status, `injected fault: HTTP ${status}${fault.grpcCode ? ` / ${fault.grpcCode}` : ''}`, headers, code);
}

function containsMarker(request: ParsedInferRequest, marker: string): boolean {
  for (const tensor of request.inputs.values()) {
    for (const value of tensor.data) if (typeof value === 'string' && value.includes(marker)) return true;
  }
  return false;
}
