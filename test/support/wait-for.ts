/** Test helpers shared by unit and integration tests: wait on conditions, never on fixed sleeps. */
export { waitFor } from '../../scripts/lib/wait-for.ts';
export type { WaitForOptions } from '../../scripts/lib/wait-for.ts';

/** A name unique to this test run, for topics, queues and groups. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
