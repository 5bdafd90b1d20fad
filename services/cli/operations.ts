/**
 * Registers the operators' commands on the `modelbridge` program: `dlq list`, `dlq show` and
 * `replay`. Process globals (config loading with env, signals, exit) come from `main.ts`.
 */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { Logger } from 'pino';
import type { ConnectorConfig } from '../../schemas/connector-config.ts';
import { auditReplayJobs, createAuditLog } from '../admin/audit.ts';
import { createReplayService } from '../replay/service.ts';
import type { Actor, ReplayService } from '../replay/types.ts';
import { runDlqList, runDlqShow } from './dlq-command.ts';
import type { DlqListFlags } from './dlq-command.ts';
import { EXIT_ERROR, runReplayCommand } from './replay-command.ts';
import type { OperationsIo } from './replay-command.ts';
import type { ReplayFlags } from './replay-args.ts';

export interface OperationsDeps {
  /** Loads and validates connector configs; throws a printable error. */
  readonly loadConnectors: (files: readonly string[]) => ConnectorConfig[];
  readonly createLogger: (level: string) => Logger;
  /** Streams and the interrupt signal for one command run. */
  readonly io: () => OperationsIo;
  /** Who runs the command, for the job record. */
  readonly actor: Actor;
  /** Ends the process with the code (after cleanup). */
  readonly exit: (code: number) => void;
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number');
  return n;
}

function positiveInteger(value: string): number {
  const n = positiveNumber(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Runs `work` with a service over the configs; closes it and exits with the code. */
async function withService(deps: OperationsDeps, files: string[], logLevel: string, work: (service: ReplayService, io: OperationsIo) => Promise<number>): Promise<void> {
  const io = deps.io();
  let service: ReplayService;
  try {
    service = createReplayService({ connectors: deps.loadConnectors(files), logger: deps.createLogger(logLevel) });
  } catch (error) {
    io.stderr.write(`${(error as Error).message ?? String(error)}\n`);
    deps.exit(EXIT_ERROR);
    return;
  }
  let code = EXIT_ERROR;
  try {
    code = await work(service, io);
  } finally {
    await service.close();
    deps.exit(code);
  }
}

/** Adds `dlq` and `replay` to `program`. */
export function registerOperationsCommands(program: Command, deps: OperationsDeps): void {
  const dlq = program.command('dlq').description('browse dead letters without consuming them');
  dlq
    .command('list')
    .description('counts by code and connector, and a page of dead letters')
    .requiredOption('-c, --config <files...>', 'connector configuration files (YAML)')
    .requiredOption('--from <connector[/name]>', "the connector's dead-letter destination, or by name its parking lot")
    .option('--code <code>', 'only this error code')
    .option('--since <time>', 'last failure at or after: ISO-8601 or a duration ago (2h)')
    .option('--limit <n>', 'messages per page (max 500)', positiveInteger, 50)
    .option('--cursor <cursor>', 'the next page, as printed by the previous one')
    .option('--log-level <level>', 'pino log level', 'warn')
    .action((flags: DlqListFlags & { config: string[]; logLevel: string }) => withService(deps, flags.config, flags.logLevel, (service, io) => runDlqList(service, flags, io)));
  dlq
    .command('show')
    .description('one dead letter in full (secrets redacted)')
    .argument('<position>', 'its position, as `dlq list` prints it')
    .requiredOption('-c, --config <files...>', 'connector configuration files (YAML)')
    .requiredOption('--from <connector[/name]>', "the connector's dead-letter destination")
    .option('--log-level <level>', 'pino log level', 'warn')
    .action((position: string, flags: { config: string[]; from: string; logLevel: string }) =>
      withService(deps, flags.config, flags.logLevel, (service, io) => runDlqShow(service, flags.from, position, io)),
    );

  program
    .command('replay')
    .description('re-publish dead letters to their origin (or an allowed target); exit 0 done, 1 error, 130 interrupted')
    .requiredOption('-c, --config <files...>', 'connector configuration files (YAML)')
    .requiredOption('--from <connector[/name]>', "the connector's dead-letter destination, or by name its parking lot")
    .option('--to <target>', 'origin (default), kafka:<topic>, rabbitmq:<queue> or rabbitmq:<exchange>/<routing key>')
    .option('--code <codes>', 'error code(s); repeat or comma-separate', collect)
    .option('--stage <stages>', 'pipeline stage(s): decode, validate, map, infer, publish, receive', collect)
    .option('--since <time>', 'failed at or after: ISO-8601 or a duration ago (2h)')
    .option('--until <time>', 'failed before: ISO-8601 or a duration ago')
    .option('--window <first|last>', 'which failure time --since/--until test', 'last')
    .option('--event-id <ids>', 'event id(s); repeat or comma-separate', collect)
    .option('--key <key>', 'message key equals')
    .option('--header <name=value>', 'header equals; repeatable', collect)
    .option('--where <jsonata>', 'JSONata predicate over {headers, value}')
    .option('--dry-run', 'count and preview the matches; change nothing')
    .option('--rate <per-second>', 'messages per second at most', positiveNumber)
    .option('--max <count>', 'messages moved at most', positiveInteger)
    .option('--preview <count>', 'dry run: matches to preview', positiveInteger)
    .option('--job <id>', 'job id; rerun an interrupted job with its id to resume it')
    .option('--audit-file <file>', "append the job's start and finish to this audit trail (JSON lines); a failed write refuses the job")
    .option('--log-level <level>', 'pino log level', 'warn')
    .action((flags: ReplayFlags & { config: string[]; logLevel: string; auditFile?: string }) =>
      withService(deps, flags.config, flags.logLevel, async (service, io) => {
        const audit = flags.auditFile === undefined ? undefined : createAuditLog({ file: flags.auditFile });
        if (audit) service.onJobEvent(auditReplayJobs(audit));
        try {
          return await runReplayCommand(service, flags, deps.actor, io);
        } finally {
          await audit?.close();
        }
      }),
    );
}
