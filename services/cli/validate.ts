/**
 * The core of `modelbridge validate FILE…`: load every file as `run` does (interpolation, schema,
 * cross-field rules, mappings, decoder options) and list every problem. No process globals: `main.ts` passes them.
 */
import { isModelbridgeError } from '../../schemas/errors.ts';
import { createRegistry } from '../../connectors/registry.ts';
import type { Decoder } from '../../connectors/types.ts';
import { formatIssue, type ConfigIssue } from '../../schemas/config-error.ts';
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
 * problem of an invalid or unreadable one. Warnings (`<file>: warning: <path>: <message>`, on stderr)
 * do not fail a file: an expected event type (`decode.types`) that no key rule covers.
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
    const { issues, warnings } = validateFile(file, io);
    for (const warning of warnings) io.stderr.write(`${file}: warning: ${formatIssue(warning)}\n`);
    if (issues.length === 0) {
      io.stdout.write(`ok ${file}\n`);
    } else {
      exitCode = 1;
      for (const issue of issues) io.stderr.write(`${formatIssue(issue, file)}\n`);
    }
  }
  return exitCode;
}

interface FileResult {
  readonly issues: readonly ConfigIssue[];
  readonly warnings: readonly ConfigIssue[];
}

function validateFile(file: string, io: ValidateIo): FileResult {
  let text: string;
  try {
    text = io.readFile(file);
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    return { issues: [{ path: '', message: `cannot read file${typeof code === 'string' ? ` (${code})` : ''}` }], warnings: [] };
  }
  try {
    const config = loadConnectorConfig(text, { file, env: io.env, readFile: io.readFile });
    const decoder = createRegistry().createDecoder(config.decode);
    return { issues: [], warnings: keyWarnings(config.decode.types, decoder) };
  } catch (error) {
    if (isConfigIssues(error)) return { issues: error.issues, warnings: [] };
    return { issues: [{ path: '', message: isModelbridgeError(error) ? error.message : `unexpected error: ${String(error)}` }], warnings: [] };
  }
}

/**
 * One warning per expected event type that no key rule covers: its events would be keyed by the message
 * key where the producer sets one, else by their own id, so nothing keeps them in order.
 */
function keyWarnings(types: readonly string[] | undefined, decoder: Decoder): ConfigIssue[] {
  if (types === undefined || decoder.keyRule === undefined) return [];
  const warnings: ConfigIssue[] = [];
  types.forEach((type, index) => {
    if (decoder.keyRule!(type) !== undefined) return;
    warnings.push({
      path: `decode.types[${index}]`,
      message: `no key rule for ${type}: its events are keyed by the message key, else by their own event id (no per-object order, counted in modelbridge_events_keyed_by_id_total); set decode.keyPath`,
    });
  });
  return warnings;
}

function isConfigIssues(error: unknown): error is { issues: readonly ConfigIssue[] } {
  return isModelbridgeError(error) && error.code === 'CONFIG_INVALID' && Array.isArray((error as { issues?: unknown }).issues);
}
