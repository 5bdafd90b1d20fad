/**
 * V8 heap sizing for the memory the worker may use. V8 sizes its heap from the host's memory, not from
 * a cgroup limit: in a 512 MiB container on a large host the heap may grow past the limit and the
 * container is OOM-killed before V8 collects. On a large host without a limit it lets the heap grow to
 * several times the live set under a high allocation rate (a backlog drain peaked at ~500 MB RSS for a
 * live set under 100 MB). The launcher derives the flags from the cgroup limit, or else from a memory
 * budget (`MODELBRIDGE_MEMORY_BUDGET`, default {@link DEFAULT_BUDGET_BYTES}): the worker's buffers are
 * bounded by its configuration, so a budget fits it where the host's size says nothing.
 */
import { readFileSync } from 'node:fs';
import { byteSize } from '../../schemas/duration.ts';

/**
 * The budget when no cgroup limit is found: old space 192 MB, semi-space 16 MB. On a 100k-event backlog
 * the worker peaked at 234–262 MB RSS with these flags against ~510 MB with V8's own sizing, at about
 * 0.8× the drain rate (more major collections); see BENCHMARKS.md.
 */
export const DEFAULT_BUDGET_BYTES = 320 * 1_048_576;

/** Heap flags for a memory limit: old space 60 % of it (the rest is code, buffers, sockets, young space), semi-space by size. */
export function heapFlags(limitBytes: number): string[] {
  const limitMb = Math.floor(limitBytes / 1_048_576);
  const oldSpaceMb = Math.min(16_384, Math.max(64, Math.floor(limitMb * 0.6)));
  // A larger young generation means fewer scavenges and less premature promotion under a high
  // allocation rate; it is paid three times (two semi-spaces and the promotion reserve).
  const semiSpaceMb = limitMb >= 1024 ? 32 : limitMb >= 320 ? 16 : 8;
  return [`--max-old-space-size=${oldSpaceMb}`, `--max-semi-space-size=${semiSpaceMb}`];
}

const CGROUP_FILES = ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes'];
/** cgroup v1 reports "no limit" as a huge number near 2^63. */
const NO_LIMIT = 2 ** 60;

/** The cgroup memory limit in bytes (v2, then v1), or undefined when there is none. */
export function cgroupMemoryLimit(read: (path: string) => string = (path) => readFileSync(path, 'utf8')): number | undefined {
  for (const file of CGROUP_FILES) {
    let text: string;
    try {
      text = read(file).trim();
    } catch {
      continue;
    }
    if (text === 'max') return undefined;
    const bytes = Number(text);
    if (Number.isFinite(bytes) && bytes > 0 && bytes < NO_LIMIT) return bytes;
    return undefined;
  }
  return undefined;
}

/** True when the operator already chose heap flags (in NODE_OPTIONS or node's own arguments), or turned sizing off. */
export function heapChosen(env: NodeJS.ProcessEnv, execArgv: readonly string[]): boolean {
  if (env.MODELBRIDGE_HEAP_SIZING === 'off') return true;
  const given = [...execArgv, ...(env.NODE_OPTIONS ?? '').split(/\s+/)];
  return given.some((flag) => flag.startsWith('--max-old-space-size') || flag.startsWith('--max_old_space_size'));
}

/** `MODELBRIDGE_MEMORY_BUDGET` (`512MiB`, `1GiB`, bytes), or the default; a value that does not parse is an error. */
export function memoryBudget(env: NodeJS.ProcessEnv): number {
  const text = env.MODELBRIDGE_MEMORY_BUDGET;
  if (text === undefined || text.trim() === '') return DEFAULT_BUDGET_BYTES;
  const parsed = byteSize.safeParse(/^\d+$/.test(text.trim()) ? Number(text) : text);
  if (!parsed.success) throw new Error(`MODELBRIDGE_MEMORY_BUDGET: invalid size ${JSON.stringify(text)} (use e.g. 512MiB, 1GiB)`);
  return parsed.data;
}

/** What the launcher starts the worker with: nothing when the heap was chosen, else flags for the cgroup limit or the budget. */
export function launchHeapFlags(env: NodeJS.ProcessEnv, execArgv: readonly string[], limit: number | undefined = cgroupMemoryLimit()): string[] {
  if (heapChosen(env, execArgv)) return [];
  return heapFlags(limit ?? memoryBudget(env));
}
