/**
 * The fault registry applied to OpenAI-compatible calls, with the OIP endpoints' own checks and in
 * their order: not ready (503), hang, latency, injected errors, the reject marker.
 */
import type { ServerContext } from './context.ts';
import { latencyFor } from './faults.ts';
import { checkInjected, checkReady } from './infer-core.ts';

/**
 * Before parsing: throws 503 when not ready; sleeps the latency (until `gone` or close); false when
 * the call must hang (never be answered).
 */
export async function beforeCall(ctx: ServerContext, model: string, gone: AbortSignal): Promise<boolean> {
  const fault = ctx.faults.get(model);
  checkReady(ctx, model, fault);
  if (fault?.hang) return false;
  const latency = latencyFor(fault, ctx.random);
  if (latency > 0) await ctx.sleep(latency, AbortSignal.any([gone, ctx.closing]));
  return true;
}

/** After parsing: throws the injected error, or the reject error when a text holds the marker. */
export function afterParse(ctx: ServerContext, model: string, texts: readonly string[]): void {
  checkInjected(ctx, ctx.faults.get(model), (marker) => texts.some((text) => text.includes(marker)));
}
