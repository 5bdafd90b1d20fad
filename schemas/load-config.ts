/**
 * Connector configuration loading: YAML text → interpolated → validated → deeply frozen
 * {@link ConnectorConfig}. Every problem is collected into one {@link ConfigError}.
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import { LineCounter, parseAllDocuments } from 'yaml';
import type { z } from 'zod';
import { ConfigError, type ConfigIssue } from './config-error.ts';
import { connectorConfigSchema, type ConnectorConfig } from './connector-config.ts';
import { compileMappings } from './mapping.ts';
import type { CompiledMappings } from './mapping.ts';

/** A connector configuration as loaded: validated, frozen, and its mappings compiled. */
export type CompiledConnectorConfig = ConnectorConfig & { readonly mappings: CompiledMappings };

export interface LoadConfigOptions {
  /** File the text came from: prefixes error lines and anchors relative `${file:…}` paths. */
  file?: string | undefined;
  /** Environment for `${NAME}` interpolation (pass `process.env` from `main.ts`). */
  env: Readonly<Record<string, string | undefined>>;
  /** Reads a file for `${file:/path}` interpolation; throws when it cannot. */
  readFile: (path: string) => string;
}

/**
 * Parses, interpolates and validates one connector configuration, and compiles its mappings (the
 * fallback's and shadow's inheriting the primary's), so that `run` and `validate` refuse the same files
 * with the same lines.
 *
 * Interpolation applies to every string value (never to keys), in one pass (substituted text is not
 * scanned again): `${NAME}` (environment), `${NAME:-default}` (default when unset or empty),
 * `${file:/path}` (file content, one trailing newline trimmed), `$${` for a literal `${`.
 * Substitution always yields a string, so numbers and booleans cannot come from the environment;
 * durations can (`timeout: ${TIMEOUT:-2s}`).
 *
 * @throws ConfigError listing every problem; substituted values never appear in its messages.
 */
export function loadConnectorConfig(text: string, options: LoadConfigOptions): CompiledConnectorConfig {
  const config = loadConfigWith(connectorConfigSchema, text, options, 'connector configuration');
  let mappings: CompiledMappings;
  try {
    mappings = compileMappings(config.inference);
  } catch (error) {
    throw error instanceof ConfigError ? new ConfigError(error.issues, { file: options.file }) : error;
  }
  return Object.freeze({ ...config, mappings });
}

/**
 * The same loading (YAML, interpolation, validation, every issue in one {@link ConfigError}, deep
 * freeze) for another schema, such as the control API's configuration.
 */
export function loadConfigWith<S extends z.ZodType>(schema: S, text: string, options: LoadConfigOptions, what = 'configuration'): z.output<S> {
  const parsed = parseYaml(text, what);
  if ('issues' in parsed) throw new ConfigError(parsed.issues, { file: options.file });

  const interpolation = createInterpolation(options);
  const interpolated = interpolateTree(parsed.value, [], interpolation);
  const issues = [...interpolation.issues];

  const result = schema.safeParse(interpolated);
  if (!result.success) {
    const failedPaths = new Set(interpolation.issues.map((issue) => issue.path));
    for (const issue of zodIssues(result.error, interpolated)) {
      // An unresolved `${…}` already has its issue; the schema complaining about the raw text is noise.
      if (failedPaths.has(issue.path)) continue;
      issues.push(redact(issue, interpolation.substituted.get(issue.path)));
    }
  }
  if (issues.length > 0 || !result.success) throw new ConfigError(issues, { file: options.file });
  return deepFreeze(result.data as z.output<S>);
}

function parseYaml(text: string, what: string): { value: unknown } | { issues: ConfigIssue[] } {
  const lineCounter = new LineCounter();
  // prettyErrors would quote the offending source line, which may hold a secret.
  const documents = parseAllDocuments(text, { lineCounter, prettyErrors: false });
  const empty = { issues: [{ path: '', message: `empty file: expected a ${what}` }] };
  if (!Array.isArray(documents) || documents.length === 0) return empty;
  const issues: ConfigIssue[] = [];
  for (const document of documents) {
    for (const error of document.errors) {
      const { line, col } = lineCounter.linePos(error.pos[0]);
      issues.push({ path: '', message: `YAML syntax error at line ${line}, column ${col}: ${error.message}` });
    }
  }
  if (documents.length > 1) {
    const { line } = lineCounter.linePos(documents[1]!.range[0]);
    issues.push({ path: '', message: `one connector per file: found ${documents.length} YAML documents (the second starts at line ${line})` });
  }
  if (issues.length > 0) return { issues };
  try {
    const value: unknown = documents[0]!.toJS({ maxAliasCount: 100 });
    return value === null || value === undefined ? empty : { value };
  } catch (error) {
    // Alias bombs and similar: the message names the limit, never the content.
    return { issues: [{ path: '', message: `YAML error: ${error instanceof Error ? error.message : String(error)}` }] };
  }
}

interface Interpolation {
  readonly options: LoadConfigOptions;
  readonly issues: ConfigIssue[];
  /** Dotted path → the substituted (possibly secret) fragments, to keep them out of messages. */
  readonly substituted: Map<string, string[]>;
}

function createInterpolation(options: LoadConfigOptions): Interpolation {
  return { options, issues: [], substituted: new Map() };
}

function interpolateTree(value: unknown, path: (string | number)[], ctx: Interpolation): unknown {
  if (typeof value === 'string') return interpolateString(value, path.join('.'), ctx);
  if (Array.isArray(value)) return value.map((item, index) => interpolateTree(item, [...path, index], ctx));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = interpolateTree(item, [...path, key], ctx);
    return out;
  }
  return value;
}

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function interpolateString(value: string, path: string, ctx: Interpolation): string {
  if (!value.includes('$')) return value;
  let out = '';
  let index = 0;
  let failed = false;
  while (index < value.length) {
    const dollar = value.indexOf('$', index);
    if (dollar === -1) {
      out += value.slice(index);
      break;
    }
    out += value.slice(index, dollar);
    if (value.startsWith('$${', dollar)) {
      out += '${';
      index = dollar + 3;
      continue;
    }
    if (value[dollar + 1] !== '{') {
      out += '$';
      index = dollar + 1;
      continue;
    }
    const close = value.indexOf('}', dollar + 2);
    if (close === -1) {
      ctx.issues.push({ path, message: 'unterminated "${" (write "$${" for a literal "${")' });
      return value;
    }
    const resolved = resolveReference(value.slice(dollar + 2, close), path, ctx);
    if (resolved === undefined) failed = true;
    else out += resolved;
    index = close + 1;
  }
  return failed ? value : out;
}

function resolveReference(reference: string, path: string, ctx: Interpolation): string | undefined {
  if (reference.startsWith('file:')) return readReferencedFile(reference.slice(5), path, ctx);
  const separator = reference.indexOf(':-');
  const name = separator === -1 ? reference : reference.slice(0, separator);
  if (!VARIABLE_NAME.test(name)) {
    ctx.issues.push({ path, message: `invalid reference "\${${reference}}" (use \${NAME}, \${NAME:-default} or \${file:/path})` });
    return undefined;
  }
  const value = ctx.options.env[name];
  if (separator !== -1 && (value === undefined || value === '')) return reference.slice(separator + 2);
  if (value === undefined) {
    ctx.issues.push({ path, message: `environment variable ${name} is not set` });
    return undefined;
  }
  remember(ctx, path, value);
  return value;
}

function readReferencedFile(file: string, path: string, ctx: Interpolation): string | undefined {
  if (file === '') {
    ctx.issues.push({ path, message: 'empty path in "${file:}"' });
    return undefined;
  }
  const base = ctx.options.file;
  const resolved = isAbsolute(file) || base === undefined ? file : resolve(dirname(base), file);
  let content: string;
  try {
    content = ctx.options.readFile(resolved);
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    ctx.issues.push({ path, message: `cannot read file ${file}${typeof code === 'string' ? ` (${code})` : ''}` });
    return undefined;
  }
  const trimmed = content.endsWith('\r\n') ? content.slice(0, -2) : content.endsWith('\n') ? content.slice(0, -1) : content;
  remember(ctx, path, trimmed);
  return trimmed;
}

function remember(ctx: Interpolation, path: string, fragment: string): void {
  if (fragment === '') return;
  const list = ctx.substituted.get(path);
  if (list) list.push(fragment);
  else ctx.substituted.set(path, [fragment]);
}

function redact(issue: ConfigIssue, fragments: string[] | undefined): ConfigIssue {
  if (!fragments) return issue;
  let message = issue.message;
  for (const fragment of fragments) message = message.split(fragment).join('***');
  return { path: issue.path, message };
}

function zodIssues(error: z.ZodError, input: unknown): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const issue of error.issues) {
    const path = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) issues.push({ path: path === '' ? key : `${path}.${key}`, message: 'unknown key' });
    } else if (issue.code === 'invalid_type' && valueAt(input, issue.path) === undefined) {
      issues.push({ path, message: `required (expected ${issue.expected})` });
    } else {
      issues.push({ path, message: issue.message.replace(/^Invalid input: /, '') });
    }
  }
  return issues;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let current = root;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const item of Object.values(value)) deepFreeze(item);
    Object.freeze(value);
  }
  return value;
}

const SECRET_KEY = /pass(word|phrase)?|secret|token|api[-_]?key|credential|^key$/i;
const URL_USERINFO = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#@]*)@/i;
const SECRET_QUERY = /([?&][^=&#]*(?:key|token|secret|password|signature|sig)[^=&#]*=)[^&#]*/gi;

/**
 * A deeply frozen copy of a config for display (logs, `/connectors`, `validate --print`): values of
 * secret-looking keys, every header value and URL credentials (userinfo password, secret query
 * parameters) become `***`.
 */
export function maskSecrets(config: ConnectorConfig): ConnectorConfig {
  return deepFreeze(maskValue(config, '') as ConnectorConfig);
}

function maskValue(value: unknown, key: string): unknown {
  if (typeof value === 'string') return SECRET_KEY.test(key) ? '***' : maskUrl(value);
  if (Array.isArray(value)) return value.map((item) => maskValue(item, key));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [name, item] of Object.entries(value)) {
      out[name] = key === 'headers' ? '***' : maskValue(item, name);
    }
    return out;
  }
  return value;
}

function maskUrl(value: string): string {
  if (!value.includes('://')) return value;
  const masked = value.replace(URL_USERINFO, (_match, scheme: string, userinfo: string) => {
    const colon = userinfo.indexOf(':');
    return `${scheme}${colon === -1 ? '***' : `${userinfo.slice(0, colon)}:***`}@`;
  });
  return masked.replace(SECRET_QUERY, '$1***');
}
