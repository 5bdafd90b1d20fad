/** The line a benchmark child prints on stdout once it consumes: the runner waits for it. */
export function announceReady(extra: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ ready: true, ...extra })}\n`);
}

/** Runs `close` on SIGTERM, then exits (1 if it failed). */
export function exitOnSigterm(close: () => Promise<unknown>): void {
  process.once('SIGTERM', () => {
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  });
}

/** The OIP v2 request a hand-written consumer sends for one text, and the first output it reads. */
export async function callModelOnce(inferUrl: string, id: string, text: string): Promise<unknown> {
  const body = JSON.stringify({ id, inputs: [{ name: 'TEXT', datatype: 'BYTES', shape: [1], data: [text] }] });
  const response = await fetch(inferUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const parsed = (await response.json()) as { outputs?: Array<{ data?: unknown[] }> };
  if (!response.ok) throw new Error(`model answered ${response.status}`);
  return parsed.outputs?.[0]?.data?.[0];
}
