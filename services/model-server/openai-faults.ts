/**
 * The fault registry applied to OpenAI-compatible calls, in the order the OIP routes apply it:
 * not ready (503), hang, latency, injected errors, the reject marker.
 */
import type { ServerResponse } from 'node:http';
import type { ServerContext } from './context.ts';
import { latencyFor, notReadyForMs, takesInjectedError } from './faults.ts';
import type { ActiveFault } from './faults.ts';
import { HttpError } from './http-error.ts';

/** Before parsing: throws 503 when not ready; false when the call must hang (never be answered). */
export async function beforeCall(ctx: ServerContext, res: ServerResponse, model: string): Promise<boolean> {
  const fault = ctx.faults.get(model);
  const notReadyMs = notReadyForMs(fault, ctx.now());
  if (notReadyMs > 0) {
    const headers = Number.isFinite(notReadyMs) ? { 'retry-after': String(Math.ceil(notReadyMs / 1000)) } : undefined;
    throw new HttpError(503, `model ${model} is not ready`, headers);
  }
  if (fault?.hang) return false;
  const latency = latencyFor(fault, ctx.random);
  if (latency > 0) await sleepUnlessGone(ctx, res, latency);
  return true;
}

/** After parsing: throws the injected error, or the reject error when a text holds the marker. */
export function afterParse(ctx: ServerContext, model: string, texts: readonly string[]): void {
  const fault = ctx.faults.get(model);
  if (!fault) return;
  if (takesInjectedError(fault, ctx.random)) throw injectedError(fault);
  const marker = fault.rejectMarker;
  if (marker !== undefined && texts.some((text) => text.includes(marker))) {
    throw new HttpError(fault.rejectStatus, `input contains the reject marker ${marker}`);
  }
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
