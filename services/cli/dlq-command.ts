/** `modelbridge dlq list|show`: browse a dead-letter destination without consuming it. */
import type { BrowsePage, DeadLetterView, ReplayService } from '../replay/types.ts';
import { describeError, EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK } from './replay-command.ts';
import type { OperationsIo } from './replay-command.ts';
import { parseFrom, parseTime } from './replay-args.ts';

export interface DlqListFlags {
  readonly from: string;
  readonly code?: string | undefined;
  readonly since?: string | undefined;
  readonly limit?: number | undefined;
  readonly cursor?: string | undefined;
}

function table(counts: Record<string, number>, title: string): string[] {
  const rows = Object.entries(counts).sort((a, b) => b[1] - a[1]);
  return [title, ...rows.map(([name, count]) => `  ${String(count).padStart(7)}  ${name}`)];
}

function line(view: DeadLetterView): string {
  const at = view.headers['mb-dlq-last-failure-at'] ?? '';
  return `  ${view.position.padEnd(10)} ${(view.code ?? '-').padEnd(26)} ${(view.eventId ?? '-').padEnd(24)} replays ${view.replayCount}  ${at}`;
}

function human(page: BrowsePage): string {
  const lines = [
    `dead letters: ${page.total ?? '?'}`,
    ...table(page.counts.byCode, 'by code'),
    ...table(page.counts.byConnector, 'by connector'),
    'messages',
    ...page.items.map(line),
  ];
  if (page.nextCursor !== undefined) lines.push(`next page: --cursor ${page.nextCursor}`);
  return `${lines.join('\n')}\n`;
}

/** `dlq list`: counts by code and connector, and one page of messages. */
export async function runDlqList(service: ReplayService, flags: DlqListFlags, io: OperationsIo): Promise<number> {
  try {
    const from = parseFrom(flags.from);
    const page = await service.browse(
      { connector: from.connector, name: from.name, code: flags.code, since: flags.since === undefined ? undefined : parseTime('--since', flags.since, io.now()), limit: flags.limit, cursor: flags.cursor },
      io.interrupted,
    );
    io.stdout.write(io.stdout.isTTY ? human(page) : `${JSON.stringify(page)}\n`);
    return EXIT_OK;
  } catch (error) {
    if (io.interrupted.aborted) return EXIT_INTERRUPTED;
    io.stderr.write(`modelbridge dlq list: ${describeError(error)}\n`);
    return EXIT_ERROR;
  }
}

/** `dlq show`: one message in full (secrets redacted). */
export async function runDlqShow(service: ReplayService, from: string, position: string, io: OperationsIo): Promise<number> {
  try {
    const parsed = parseFrom(from);
    const view = await service.show({ connector: parsed.connector, name: parsed.name, position }, io.interrupted);
    if (!view) {
      io.stderr.write(`modelbridge dlq show: no dead letter at position ${position}\n`);
      return EXIT_ERROR;
    }
    io.stdout.write(`${JSON.stringify(view, null, 2)}\n`);
    return EXIT_OK;
  } catch (error) {
    if (io.interrupted.aborted) return EXIT_INTERRUPTED;
    io.stderr.write(`modelbridge dlq show: ${describeError(error)}\n`);
    return EXIT_ERROR;
  }
}
