/** Triton's schedule-policy request parameters (`priority`, `timeout`), merged into a request's own. */

/** A request's parameters as both OIP transports carry them. */
export type Parameters = Readonly<Record<string, string | number | boolean>>;

/** The `triton` block of a kserve backend configuration. */
export interface TritonOptions {
  readonly priority?: number | undefined;
  readonly sendTimeout: boolean;
}

/**
 * The request parameters to send: the request's own plus `priority` (1 = highest; Triton's default level
 * when 0 or absent) and, with `sendTimeout`, `timeout` in microseconds left until `deadline`, so that
 * Triton drops a request from its queue that nobody waits for any more. Never sends `timeout: 0`, which
 * Triton reads as "no timeout". Returns `base` itself when there is nothing to add.
 */
export function tritonParameters(
  base: Parameters | undefined,
  triton: TritonOptions | undefined,
  deadline: number | undefined,
  now: number,
): Parameters | undefined {
  if (triton === undefined) return base;
  const priority = triton.priority;
  const timeout = triton.sendTimeout && deadline !== undefined ? Math.max(1, Math.floor((deadline - now) * 1000)) : undefined;
  if (priority === undefined && timeout === undefined) return base;
  const merged: Record<string, string | number | boolean> = { ...base };
  if (priority !== undefined) merged.priority = priority;
  if (timeout !== undefined) merged.timeout = timeout;
  return merged;
}
