/**
 * V8 heap sizing for the container the worker runs in. V8 sizes its heap from the host's memory, not
 * from a cgroup limit: in a 512 MiB container on a large host the heap may grow past the limit and the
 * container is OOM-killed before V8 collects. The launcher derives the flags from the cgroup limit.
 */
import { readFileSync } from 'node:fs';

/** Heap flags for a memory limit: old space 60 % of it (the rest is code, buffers, sockets, young space), semi-space by size. */
export function heapFlags(limitBytes: number): string[] {
  const limitMb = Math.floor(limitBytes / 1_048_576);
  const oldSpaceMb = Math.min(16_384, Math.max(64, Math.floor(limitMb * 0.6)));
  // A larger young generation means fewer scavenges and less premature promotion under a high
  // allocation rate; it is paid three times (two semi-spaces and the promotion reserve).
  const semiSpaceMb = limitMb >= 1024 ? 32 : limitMb >= 512 ? 16 : 8;
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
