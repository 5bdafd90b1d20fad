/**
 * Request and response mappings, compiled once when the configuration is loaded (so `run` and
 * `validate` refuse a bad expression alike, with every one listed). A value is either a plain field path
 * (`data.customer.name`, `outputs.LABEL[0]`) — evaluated synchronously by a compiled walker, the fast
 * path — or any JSONata expression (`$uppercase(data.text)`, `data.items[price > 10].sku`), evaluated by
 * jsonata. A missing value or an expression error is a non-retryable MAPPING_FAILED for that event.
 */
import jsonata from 'jsonata';
import { ConfigError } from './config-error.ts';
import type { ConfigIssue } from './config-error.ts';
import type { InferenceConfig } from './connector-config.ts';
import { ModelbridgeError } from './errors.ts';

type Segment = string | number;

const SEGMENT = /([^.[\]]+)|\[(\d+)\]/g;
/** Identifiers joined by dots, with numeric indexes: what the fast walker evaluates. */
const PLAIN_PATH = /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*|\[\d+\])*$/;

/** A compiled path: returns the value, or undefined when any step is missing. */
export interface CompiledPath {
  readonly source: string;
  get(root: unknown): unknown;
}

export function compilePath(path: string): CompiledPath {
  const segments: Segment[] = [];
  for (const match of path.matchAll(SEGMENT)) {
    segments.push(match[2] === undefined ? match[1]! : Number(match[2]));
  }
  if (segments.length === 0) throw new Error(`empty mapping path ${JSON.stringify(path)}`);
  return {
    source: path,
    get(root) {
      let current: unknown = root;
      for (let i = 0; i < segments.length; i++) {
        if (current === null || typeof current !== 'object') return undefined;
        const segment = segments[i]!;
        if (typeof segment === 'string' && Array.isArray(current)) {
          // JSONata semantics: a field step over an array maps over its elements.
          current = mapOver(current, segment);
          if (current === undefined) return undefined;
          continue;
        }
        // Own properties only: a path must never reach Object.prototype.
        if (!Object.hasOwn(current, segment)) return undefined;
        current = (current as Record<Segment, unknown>)[segment];
      }
      return current;
    },
  };
}

/** The field of every element (arrays flattened one level); a single result is unwrapped, none is undefined. */
function mapOver(items: readonly unknown[], field: string): unknown {
  const out: unknown[] = [];
  for (const item of items) {
    if (item === null || typeof item !== 'object' || !Object.hasOwn(item, field)) continue;
    const value = (item as Record<string, unknown>)[field];
    if (Array.isArray(value)) out.push(...(value as unknown[]));
    else if (value !== undefined) out.push(value);
  }
  if (out.length === 0) return undefined;
  return out.length === 1 ? out[0] : out;
}

/** True when `expression` is a plain path (evaluated without jsonata). */
export function isPlainPath(expression: string): boolean {
  return PLAIN_PATH.test(expression);
}

/** A compiled record mapping: output name → path or JSONata expression. */
export interface CompiledMapping {
  /** True when some value is a JSONata expression: use `applyAsync`. */
  readonly async: boolean;
  /** Plain paths only (throws if `async`). */
  apply(root: unknown, what: string): Record<string, unknown>;
  applyAsync(root: unknown, what: string): Promise<Record<string, unknown>>;
}

/** Thrown at start-up for an expression that does not compile; carries the field name. */
export class MappingCompileError extends Error {
  readonly field: string;
  constructor(field: string, expression: string, cause: unknown) {
    super(`${field}: invalid expression ${JSON.stringify(expression)}: ${(cause as { message?: string }).message ?? String(cause)}`, { cause });
    this.field = field;
  }
}

type Entry =
  | { readonly name: string; readonly kind: 'path'; readonly path: CompiledPath }
  | { readonly name: string; readonly kind: 'jsonata'; readonly source: string; readonly expression: jsonata.Expression };

export function compileMapping(spec: Readonly<Record<string, string>>): CompiledMapping {
  const entries: Entry[] = Object.entries(spec).map(([name, source]) => {
    if (isPlainPath(source)) return { name, kind: 'path', path: compilePath(source) };
    try {
      return { name, kind: 'jsonata', source, expression: jsonata(source) };
    } catch (error) {
      throw new MappingCompileError(name, source, error);
    }
  });
  const isAsync = entries.some((entry) => entry.kind === 'jsonata');

  function missing(what: string, name: string, source: string): ModelbridgeError {
    return new ModelbridgeError('MAPPING_FAILED', `${what} mapping: ${name} ← ${source}: no value`);
  }

  return {
    async: isAsync,
    apply(root, what) {
      const out: Record<string, unknown> = {};
      for (let i = 0; i < entries.length; i++) {
        const entry = entries[i]!;
        if (entry.kind !== 'path') throw new Error('mapping has JSONata expressions: use applyAsync');
        const value = entry.path.get(root);
        if (value === undefined) throw missing(what, entry.name, entry.path.source);
        out[entry.name] = value;
      }
      return out;
    },
    async applyAsync(root, what) {
      const out: Record<string, unknown> = {};
      for (const entry of entries) {
        let value: unknown;
        if (entry.kind === 'path') {
          value = entry.path.get(root);
          if (value === undefined) throw missing(what, entry.name, entry.path.source);
        } else {
          try {
            value = await entry.expression.evaluate(root);
          } catch (error) {
            const message = (error as { message?: string }).message ?? String(error);
            throw new ModelbridgeError('MAPPING_FAILED', `${what} mapping: ${entry.name} ← ${entry.source}: ${message}`, { cause: error });
          }
          if (value === undefined) throw missing(what, entry.name, entry.source);
          // jsonata marks sequences with extra properties; give the pipeline a plain array.
          if (Array.isArray(value)) value = Array.from(value);
        }
        out[entry.name] = value;
      }
      return out;
    },
  };
}

/** The request and response mappings of one backend. */
export interface RouteMappings {
  readonly request: CompiledMapping;
  readonly response: CompiledMapping;
}

/** Every backend's mappings; fallback and shadow inherit the primary's where they give none. */
export interface CompiledMappings {
  readonly primary: RouteMappings;
  readonly fallback?: RouteMappings | undefined;
  readonly shadow?: RouteMappings | undefined;
}

/**
 * Compiles the mappings of `inference` (primary, fallback, shadow, with the inheritance resolved).
 *
 * @throws ConfigError with one issue per expression that does not compile, at its dotted path.
 */
export function compileMappings(inference: InferenceConfig): CompiledMappings {
  const issues: ConfigIssue[] = [];
  const compile = (path: string, spec: Readonly<Record<string, string>>): CompiledMapping | undefined => {
    let ok = true;
    for (const [field, expression] of Object.entries(spec)) {
      try {
        compileMapping({ [field]: expression });
      } catch (error) {
        ok = false;
        const message = error instanceof MappingCompileError ? ((error.cause as { message?: string } | undefined)?.message ?? error.message) : String(error);
        issues.push({ path: `${path}.${field}`, message: `invalid expression: ${message}` });
      }
    }
    return ok ? compileMapping(spec) : undefined;
  };
  const route = (
    path: string,
    request: Readonly<Record<string, string>> | undefined,
    response: Readonly<Record<string, string>> | undefined,
    inherited?: RouteMappings,
  ): RouteMappings | undefined => {
    const compiledRequest = request === undefined ? inherited?.request : compile(`${path}.request.inputs`, request);
    const compiledResponse = response === undefined ? inherited?.response : compile(`${path}.response`, response);
    return compiledRequest && compiledResponse ? { request: compiledRequest, response: compiledResponse } : undefined;
  };
  const primary = route('inference', inference.request.inputs, inference.response);
  const { fallback: fallbackConfig, shadow: shadowConfig } = inference;
  const fallback = fallbackConfig && route('inference.fallback', fallbackConfig.request?.inputs, fallbackConfig.response, primary);
  const shadow = shadowConfig && route('inference.shadow', shadowConfig.request?.inputs, shadowConfig.response, primary);
  if (issues.length > 0 || primary === undefined) throw new ConfigError(issues);
  return { primary, fallback, shadow };
}
