/**
 * The one error for an invalid connector configuration: every problem found, each at its dotted path.
 * It is a {@link ModelbridgeError} with code `CONFIG_INVALID`, so callers that classify by property
 * (`isModelbridgeError`, `findModelbridgeError`) recognise it without knowing this class.
 */
import { ModelbridgeError } from './errors.ts';

/** One problem in a configuration. `path` is dotted (`inference.retry.attempts`); `''` is the whole file. */
export interface ConfigIssue {
  readonly path: string;
  readonly message: string;
}

export class ConfigError extends ModelbridgeError {
  readonly issues: readonly ConfigIssue[];
  /** The file the configuration came from, when known; prefixed to every formatted line. */
  readonly file: string | undefined;

  constructor(issues: readonly ConfigIssue[], options: { file?: string | undefined; cause?: unknown } = {}) {
    super('CONFIG_INVALID', summarise(issues, options.file), { cause: options.cause });
    this.issues = Object.freeze(issues.map((issue) => Object.freeze({ ...issue })));
    this.file = options.file;
  }

  /** One `file: path: message` line per issue (file and path left out when unknown or empty). */
  format(): string {
    return this.issues.map((issue) => formatIssue(issue, this.file)).join('\n');
  }
}

/** `file: path: message`, leaving out an unknown file or an empty path. */
export function formatIssue(issue: ConfigIssue, file?: string): string {
  const where = issue.path === '' ? '' : `${issue.path}: `;
  return `${file === undefined ? '' : `${file}: `}${where}${issue.message}`;
}

function summarise(issues: readonly ConfigIssue[], file: string | undefined): string {
  const head = `invalid connector configuration${file === undefined ? '' : ` ${file}`}`;
  return `${head} (${issues.length} ${issues.length === 1 ? 'problem' : 'problems'}):\n${issues.map((i) => `  ${formatIssue(i)}`).join('\n')}`;
}
