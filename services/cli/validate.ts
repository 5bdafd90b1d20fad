/**
 * The core of `modelbridge validate FILE…`: load every file as the worker would (interpolation, schema,
 * cross-field rules, decoder options) and list every problem. No process globals: `main.ts` passes them.
 */
import { createCloudEventsDecoder } from '../../connectors/cloudevents/decoder.ts';
import { isModelbridgeError } from '../../connectors/errors.ts';
import { createJsonDecoder } from '../../connectors/json/decoder.ts';
import { formatIssue, type ConfigIssue } from '../../schemas/config-error.ts';
import type { ConnectorConfig } from '../../schemas/connector-config.ts';
import { loadConnectorConfig } from '../../schemas/load-config.ts';

export interface ValidateIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Reads config files and `${file:…}` references; throws (with a `code` such as ENOENT) when it cannot. */
  readonly readFile: (path: string) => string;
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

/**
 * Validates each file. Prints `ok <file>` for a valid one and `<file>: <path>: <message>` for every
 * problem of an invalid or unreadable one.
 *
 * @returns the exit code: 0 when all are valid, 1 when any is not, 2 when no file was given.
 */
export function validateFiles(paths: readonly string[], io: ValidateIo): number {
  if (paths.length === 0) {
    io.stderr.write('usage: modelbridge validate FILE...\n');
    return 2;
  }
  let exitCode = 0;
  for (const file of paths) {
    const issues = validateFile(file, io);
    if (issues.length === 0) {
      io.stdout.write(`ok ${file}\n`);
    } else {
      exitCode = 1;
      for (const issue of issues) io.stderr.write(`${formatIssue(issue, file)}\n`);
    }
  }
  return exitCode;
}

function validateFile(file: string, io: ValidateIo): readonly ConfigIssue[] {
  let text: string;
  try {
    text = io.readFile(file);
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    return [{ path: '', message: `cannot read file${typeof code === 'string' ? ` (${code})` : ''}` }];
  }
  try {
    const config = loadConnectorConfig(text, { file, env: io.env, readFile: io.readFile });
    createDecoder(config);
    return [];
  } catch (error) {
    if (isConfigIssues(error)) return error.issues;
    return [{ path: '', message: isModelbridgeError(error) ? error.message : `unexpected error: ${String(error)}` }];
  }
}

/** Decoders check their own options (e.g. that `decode.idPath` is a well-formed path). */
function createDecoder(config: ConnectorConfig): void {
  if (config.decode.format === 'json') createJsonDecoder(config.decode);
  else createCloudEventsDecoder(config.decode);
}

function isConfigIssues(error: unknown): error is { issues: readonly ConfigIssue[] } {
  return isModelbridgeError(error) && error.code === 'CONFIG_INVALID' && Array.isArray((error as { issues?: unknown }).issues);
}
