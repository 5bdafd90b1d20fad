/**
 * Field-path mappings (`data.customer.name`, `outputs.LABEL[0]`), compiled once at start-up.
 * A missing value is a non-retryable MAPPING_FAILED for that event.
 */
import { ModelbridgeError } from '../../connectors/errors.ts';

type Segment = string | number;

const SEGMENT = /([^.[\]]+)|\[(\d+)\]/g;

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
        // Own properties only: a path must never reach Object.prototype.
        if (!Object.hasOwn(current, segment)) return undefined;
        current = (current as Record<Segment, unknown>)[segment];
      }
      return current;
    },
  };
}

/** A compiled record mapping: output name → path. */
export interface CompiledMapping {
  apply(root: unknown, what: string): Record<string, unknown>;
}

export function compileMapping(spec: Readonly<Record<string, string>>): CompiledMapping {
  const entries = Object.entries(spec).map(([name, path]) => [name, compilePath(path)] as const);
  return {
    apply(root, what) {
      const out: Record<string, unknown> = {};
      for (let i = 0; i < entries.length; i++) {
        const [name, path] = entries[i]!;
        const value = path.get(root);
        if (value === undefined) {
          throw new ModelbridgeError('MAPPING_FAILED', `${what} mapping: ${name} ← ${path.source}: no value at that path`);
        }
        out[name] = value;
      }
      return out;
    },
  };
}
