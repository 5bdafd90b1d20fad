/**
 * Per-model fault injection, settable at runtime in-process (`server.faults.set`) or over HTTP
 * (`/admin/faults/{model}`), so tests in another process can drive a worker through outages.
 */
import { z } from 'zod';
import { GRPC_CODE_NAMES } from './grpc-status.ts';

/** What a fault does; every field is optional and they combine. */
export const faultSpecSchema = z
  .object({
    /**
     * Added latency: fixed milliseconds, uniform in [min, max], or lognormal with the given median and
     * 99th percentile (a realistic long tail). Per request before answering; for a model with a
     * scheduler (queue, batching), the execution time of each batch, so that requests queue behind it.
     */
    latencyMs: z
      .union([
        z.number().min(0),
        z
          .object({ min: z.number().min(0), max: z.number().min(0) })
          .strict()
          .refine((r) => r.min <= r.max, 'min must not exceed max'),
        z
          .object({ p50: z.number().positive(), p99: z.number().positive() })
          .strict()
          .refine((r) => r.p50 <= r.p99, 'p50 must not exceed p99'),
      ])
      .optional(),
    /** Probability (0..1) that an infer call fails with `errorStatus`. */
    errorRate: z.number().min(0).max(1).optional(),
    /** Fail exactly the next N infer calls with `errorStatus` (deterministic, unlike `errorRate`). */
    failNext: z.number().int().min(0).optional(),
    /** Status of injected errors (default 500). */
    errorStatus: z.number().int().min(400).max(599).default(500),
    /**
     * gRPC status of injected errors on the gRPC endpoint (a code name such as `RESOURCE_EXHAUSTED`);
     * by default `errorStatus` is mapped (400 INVALID_ARGUMENT, 404 NOT_FOUND, 429 RESOURCE_EXHAUSTED,
     * 500 INTERNAL, 503 UNAVAILABLE, 504 DEADLINE_EXCEEDED, …).
     */
    grpcCode: z.enum(GRPC_CODE_NAMES).optional(),
    /** `Retry-After` seconds sent with injected 429 and 503 answers (gRPC: a `retry-after` trailer). */
    retryAfterSeconds: z.number().int().min(0).optional(),
    /** Model not ready (ready false, infer 503) until cleared. */
    notReady: z.boolean().optional(),
    /** Model not ready for this many milliseconds from now. */
    notReadyForMs: z.number().min(0).optional(),
    /** Model not ready until this epoch-millisecond time. */
    notReadyUntil: z.number().min(0).optional(),
    /** Never answer infer calls: the client must abort, or the server close. */
    hang: z.boolean().optional(),
    /** Fail only the infer calls whose string input data contains this marker. */
    rejectMarker: z.string().min(1).optional(),
    /** Status for `rejectMarker` failures (default 400). */
    rejectStatus: z.number().int().min(400).max(599).default(400),
  })
  .strict();

export type FaultSpecInput = z.input<typeof faultSpecSchema>;
export type FaultSpec = z.infer<typeof faultSpecSchema>;

/** A fault as held by the registry: its spec with relative times resolved. */
export interface ActiveFault extends FaultSpec {
  /** Remaining `failNext` failures. */
  remainingFailures: number;
}

/** The faults of every model. */
export interface FaultRegistry {
  /** Replaces the fault of `model`. Throws a zod error on an invalid spec. */
  set(model: string, spec: FaultSpecInput): ActiveFault;
  /** Clears the fault of `model`, or of every model. */
  clear(model?: string): void;
  get(model: string): ActiveFault | undefined;
  /** Snapshot of the active faults by model. */
  list(): Record<string, ActiveFault>;
}

/** Creates an empty registry; `now` is injectable so that expiry is testable without waiting. */
export function createFaultRegistry(now: () => number = Date.now): FaultRegistry {
  const faults = new Map<string, ActiveFault>();
  return {
    set(model, input) {
      const spec = faultSpecSchema.parse(input);
      const { notReadyForMs, ...rest } = spec;
      const notReadyUntil =
        notReadyForMs === undefined ? spec.notReadyUntil : Math.max(now() + notReadyForMs, spec.notReadyUntil ?? 0);
      const fault: ActiveFault = { ...rest, notReadyUntil, remainingFailures: spec.failNext ?? 0 };
      if (notReadyUntil === undefined) delete fault.notReadyUntil;
      faults.set(model, fault);
      return fault;
    },
    clear(model) {
      if (model === undefined) faults.clear();
      else faults.delete(model);
    },
    get: (model) => faults.get(model),
    list: () => Object.fromEntries(faults),
  };
}

/** Milliseconds the model stays not ready: 0 when ready, Infinity until cleared. */
export function notReadyForMs(fault: ActiveFault | undefined, now: number): number {
  if (!fault) return 0;
  if (fault.notReady) return Number.POSITIVE_INFINITY;
  return fault.notReadyUntil === undefined ? 0 : Math.max(0, fault.notReadyUntil - now);
}

// The 99th percentile of the standard normal distribution.
const Z99 = 2.326_347_874;

/** The latency to add to one call (or one batch execution). */
export function latencyFor(fault: ActiveFault | undefined, random: () => number): number {
  const latency = fault?.latencyMs;
  if (latency === undefined) return 0;
  if (typeof latency === 'number') return latency;
  if ('min' in latency) return latency.min + random() * (latency.max - latency.min);
  // Lognormal: median p50, and p99 at z = 2.326 standard deviations of the log; Box–Muller for z.
  const sigma = Math.log(latency.p99 / latency.p50) / Z99;
  const z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return latency.p50 * Math.exp(sigma * z);
}

/** Whether this call takes an injected error; consumes one `failNext` failure. */
export function takesInjectedError(fault: ActiveFault | undefined, random: () => number): boolean {
  if (!fault) return false;
  if (fault.remainingFailures > 0) {
    fault.remainingFailures--;
    return true;
  }
  return fault.errorRate !== undefined && fault.errorRate > 0 && random() < fault.errorRate;
}
