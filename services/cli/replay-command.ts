/**
 * `modelbridge replay …`: a dry run, or a job with a progress bar on a terminal and a JSON summary
 * otherwise. Exit codes: 0 done, 1 refused or failed, 130 interrupted (the job can be resumed with
 * `--job <id>`). No process globals: `main.ts` passes the streams and the interrupt signal.
 */
import type { ReplayJob, ReplayService, Actor } from '../replay/types.ts';
import { ReplayError } from '../replay/types.ts';
import { humanSummary, progressLine } from './progress.ts';
import { FlagError, toReplayRequest } from './replay-args.ts';
import type { ReplayFlags } from './replay-args.ts';

export interface Stream {
  write(text: string): unknown;
  readonly isTTY?: boolean | undefined;
}

export interface OperationsIo {
  readonly stdout: Stream;
  readonly stderr: Stream;
  readonly now: () => number;
  /** Aborted on the first SIGINT / SIGTERM. */
  readonly interrupted: AbortSignal;
}

export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
export const EXIT_INTERRUPTED = 130;

/** How long the progress line is redrawn on a terminal. */
const REDRAW_MS = 200;

/** A refusal or failure as one line, without a stack. */
export function describeError(error: unknown): string {
  if (error instanceof ReplayError) return `${error.code}: ${error.message}`;
  if (error instanceof FlagError) return error.message;
  return (error as Error).message ?? String(error);
}

function summary(job: ReplayJob): object {
  return { id: job.id, state: job.state, error: job.error, progress: job.progress, startedAt: job.startedAt, finishedAt: job.finishedAt, request: job.request };
}

/** Runs the command; resolves with the exit code. */
export async function runReplayCommand(service: ReplayService, flags: ReplayFlags, actor: Actor, io: OperationsIo): Promise<number> {
  const tty = io.stdout.isTTY === true;
  let job: ReplayJob;
  try {
    const request = toReplayRequest(flags, io.now());
    if (request.dryRun) {
      const result = await service.dryRun(request, io.interrupted);
      io.stdout.write(`${JSON.stringify({ dryRun: true, ...result }, null, tty ? 2 : undefined)}\n`);
      return EXIT_OK;
    }
    job = await service.start(request, actor);
  } catch (error) {
    if (io.interrupted.aborted) return EXIT_INTERRUPTED;
    io.stderr.write(`modelbridge replay: ${describeError(error)}\n`);
    return EXIT_ERROR;
  }
  // The id goes out first, so that even a killed run can be resumed with --job.
  io.stderr.write(`replay job ${job.id} started\n`);
  const onInterrupt = (): void => void service.cancel(job.id);
  io.interrupted.addEventListener('abort', onInterrupt, { once: true });
  if (io.interrupted.aborted) onInterrupt();
  const redraw = tty ? setInterval(() => io.stderr.write(`\r${progressLine(service.get(job.id)!.progress)}`), REDRAW_MS) : undefined;
  const final = await service.wait(job.id);
  clearInterval(redraw);
  io.interrupted.removeEventListener('abort', onInterrupt);
  if (tty) io.stderr.write(`\r${progressLine(final.progress)}\n${humanSummary(final)}`);
  else io.stdout.write(`${JSON.stringify(summary(final))}\n`);
  if (final.state === 'succeeded') return EXIT_OK;
  if (final.state === 'cancelled') return EXIT_INTERRUPTED;
  return EXIT_ERROR;
}
