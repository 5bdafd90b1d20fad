/**
 * `decode.keyPath`, compiled once at start-up: a dot path (`order.id`, `segments.E1EDK01[0].BELNR`) or a
 * JSONata expression (`$substring(TransportationOrder, 0, 10)`, `Carrier & "/" & TransportationOrder`).
 *
 * Decoding is synchronous and on the hot path, and jsonata 2.x evaluates only asynchronously, so the
 * expression is parsed by jsonata and its syntax tree is evaluated here, synchronously, for the part of
 * the language a key needs: paths with predicates and indexes, literals, `[…]` arrays, `&`, comparisons,
 * `and`/`or`, `? :`, parentheses, `$` and `$$`, and the string functions listed in {@link FUNCTIONS}. Anything else
 * is refused at start-up with a ConfigError naming it, never at run time. Results follow JSONata: a
 * path over arrays maps over them, one result is a value, none is `undefined`.
 */
import jsonata from 'jsonata';
import { ConfigError } from '../../schemas/config-error.ts';
import { ModelbridgeError } from '../../schemas/errors.ts';
import { compileFieldPath, readFieldPath, type FieldPath } from './field-path.ts';

/** A compiled key expression. */
export interface KeyExpression {
  readonly source: string;
  /** The value for `root` (the event's data): a JSON value, an array of them, or `undefined`. */
  read(root: unknown): unknown;
}

type Node = { readonly type: string; readonly value?: unknown; readonly [key: string]: unknown };
type Evaluate = (input: unknown, root: unknown) => unknown;

/** A plain path: names that start with a letter or `_` (and may hold `-`), `[n]` indexes. */
const PLAIN_PATH = /^[A-Za-z_][\w-]*(?:\[\d{1,9}\])*(?:\.[A-Za-z_][\w-]*(?:\[\d{1,9}\])*)*$/;

/**
 * Compiles `source` at config path `at` (for error messages).
 * @throws ConfigError when the path or expression is malformed or uses what keys do not support.
 */
export function compileKeyExpression(source: string, at: string): KeyExpression {
  if (PLAIN_PATH.test(source)) {
    // Evaluated as the equivalent JSONata path, so a path and an expression read arrays alike; built
    // from the segments because JSONata would read `order-id` as a subtraction.
    const path = compileFieldPath(source) as FieldPath;
    const evaluate = compilePath(plainSteps(path));
    // The common case — each name an object's own property, each index into an array, ending on a
    // string or number — reads directly, allocating nothing; JSONata gives the same single value there.
    // Anything else (arrays to map over, two indexes in a row, which JSONata applies to one flattened
    // sequence) takes the evaluator.
    if (source.includes('][')) return { source, read: (root) => unwrap(evaluate(root, root)) };
    return {
      source,
      read: (root) => {
        const direct = readFieldPath(root, path);
        return typeof direct === 'string' || typeof direct === 'number' ? direct : unwrap(evaluate(root, root));
      },
    };
  }
  let ast: Node;
  try {
    ast = jsonata(source).ast() as unknown as Node;
  } catch (error) {
    throw new ConfigError([{ path: at, message: `invalid JSONata: ${(error as { message?: string }).message ?? String(error)}` }]);
  }
  let evaluate: Evaluate;
  try {
    evaluate = compile(ast);
  } catch (error) {
    throw new ConfigError([{ path: at, message: (error as Error).message }]);
  }
  return { source, read: (root) => unwrap(evaluate(root, root)) };
}

function unsupported(what: string): Error {
  return new Error(`key expressions support paths, literals, &, comparisons, and/or, ?:, and ${Object.keys(FUNCTIONS).map((f) => `$${f}`).join(', ')}; not ${what}`);
}

function compile(node: Node): Evaluate {
  switch (node.type) {
    case 'string':
    case 'number':
    case 'value': {
      const value = node.value;
      return () => value;
    }
    case 'variable':
      if (node.value === '') return (input) => input;
      if (node.value === '$') return (_input, root) => root;
      throw unsupported(`the variable $${String(node.value)}`);
    case 'path':
      if (node.group !== undefined || node.keepSingletonArray !== undefined || node.tuple !== undefined) throw unsupported('grouping or array-keeping path syntax');
      return compilePath(node.steps as Node[]);
    case 'name':
      return compilePath([node]);
    case 'block': {
      const expressions = (node.expressions as Node[]).map(compile);
      if (expressions.length !== 1) throw unsupported('a block of several expressions');
      return expressions[0]!;
    }
    case 'condition': {
      const condition = compile(node.condition as Node);
      const then = compile(node.then as Node);
      const otherwise = node.else === undefined ? () => undefined : compile(node.else as Node);
      return (input, root) => (truthy(condition(input, root)) ? then(input, root) : otherwise(input, root));
    }
    case 'binary':
      return compileBinary(String(node.value), compile(node.lhs as Node), compile(node.rhs as Node));
    case 'function':
      return compileFunction(node);
    case 'unary':
      return compileUnary(node);
    default:
      throw unsupported(`a ${node.type} expression`);
  }
}

/** `[a, b]` (an array of the values, flattened one level as JSONata does) and `-n`. */
function compileUnary(node: Node): Evaluate {
  if (node.value === '[') {
    const items = (node.expressions as Node[]).map(compile);
    return (input, root) => items.flatMap((item) => flatten(unwrap(item(input, root))));
  }
  if (node.value === '-') {
    const operand = compile(node.expression as Node);
    return (input, root) => {
      const value = unwrap(operand(input, root));
      return typeof value === 'number' ? -value : undefined;
    };
  }
  throw unsupported(`the operator ${String(node.value)}`);
}

/** `a.b[0]` as JSONata path steps: names, each index a filter stage on the name before it. */
function plainSteps(path: FieldPath): Node[] {
  const steps: { type: string; value: unknown; stages: Node[] }[] = [];
  for (const segment of path) {
    if (typeof segment === 'number') steps.at(-1)!.stages.push({ type: 'filter', expr: { type: 'number', value: segment } });
    else steps.push({ type: 'name', value: segment, stages: [] });
  }
  return steps;
}

function compilePath(steps: readonly Node[]): Evaluate {
  const compiled = steps.map((step, index) => {
    if (step.type === 'variable' && index === 0) {
      const start = compile(step);
      return { start, name: undefined, filters: [] as Evaluate[] };
    }
    if (step.type !== 'name') throw unsupported(`a ${step.type} step in a path`);
    if (step.predicate !== undefined || step.group !== undefined || step.focus !== undefined || step.index !== undefined || step.tuple !== undefined) throw unsupported('this path step');
    const filters = ((step.stages as Node[] | undefined) ?? []).map((stage) => {
      if (stage.type !== 'filter') throw unsupported(`a ${stage.type} stage`);
      return compile(stage.expr as Node);
    });
    return { start: undefined, name: String(step.value), filters };
  });
  return (input, root) => {
    let sequence: unknown[] = [input];
    for (const step of compiled) {
      const next: unknown[] = [];
      for (const item of sequence) {
        const values = step.start ? flatten(step.start(item, root)) : field(item, step.name!);
        next.push(...step.filters.reduce((kept, filter) => applyFilter(kept, filter, root), values));
      }
      sequence = next;
    }
    return sequence;
  };
}

/** An own property of an object, mapped over arrays; arrays in results are flattened one level. */
function field(item: unknown, name: string): unknown[] {
  if (Array.isArray(item)) return item.flatMap((element) => field(element, name));
  if (typeof item !== 'object' || item === null || !Object.hasOwn(item, name)) return [];
  return flatten((item as Record<string, unknown>)[name]);
}

function flatten(value: unknown): unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

function applyFilter(values: unknown[], filter: Evaluate, root: unknown): unknown[] {
  const kept: unknown[] = [];
  for (let i = 0; i < values.length; i++) {
    const result = unwrap(filter(values[i], root));
    if (typeof result === 'number') {
      const index = Math.floor(result < 0 ? values.length + result : result);
      if (index === i) kept.push(values[i]);
    } else if (truthy(result)) {
      kept.push(values[i]);
    }
  }
  return kept;
}

function unwrap(value: unknown): unknown {
  if (!Array.isArray(value)) return value;
  if (value.length === 0) return undefined;
  return value.length === 1 ? value[0] : value;
}

function truthy(value: unknown): boolean {
  const single = unwrap(value);
  if (Array.isArray(single)) return single.some(truthy);
  return single !== undefined && single !== null && single !== false && single !== 0 && single !== '';
}

/** JSONata's `$string` for the values a key meets. */
function text(value: unknown): string | undefined {
  const single = unwrap(value);
  if (single === undefined) return undefined;
  return typeof single === 'string' ? single : JSON.stringify(single);
}

function compileBinary(op: string, lhs: Evaluate, rhs: Evaluate): Evaluate {
  switch (op) {
    case '&':
      return (input, root) => (text(lhs(input, root)) ?? '') + (text(rhs(input, root)) ?? '');
    case 'and':
      return (input, root) => truthy(lhs(input, root)) && truthy(rhs(input, root));
    case 'or':
      return (input, root) => truthy(lhs(input, root)) || truthy(rhs(input, root));
    case '=':
    case '!=':
    case '<':
    case '<=':
    case '>':
    case '>=':
      return (input, root) => compare(op, unwrap(lhs(input, root)), unwrap(rhs(input, root)));
    default:
      throw unsupported(`the operator ${op}`);
  }
}

function compare(op: string, a: unknown, b: unknown): boolean {
  if (a === undefined || b === undefined) return false;
  if (op === '=') return a === b;
  if (op === '!=') return a !== b;
  if (typeof a !== typeof b || (typeof a !== 'number' && typeof a !== 'string')) return false;
  const x = a as number | string;
  const y = b as number | string;
  return op === '<' ? x < y : op === '<=' ? x <= y : op === '>' ? x > y : x >= y;
}

type KeyFunction = (args: unknown[]) => unknown;

/** The functions a key expression may call, with JSONata's semantics for defined arguments. */
const FUNCTIONS: Readonly<Record<string, KeyFunction>> = {
  string: ([value]) => text(value),
  trim: ([value]) => text(value)?.replace(/\s+/g, ' ').trim(),
  uppercase: ([value]) => text(value)?.toUpperCase(),
  lowercase: ([value]) => text(value)?.toLowerCase(),
  substring: ([value, start, length]) => {
    const chars = text(value) === undefined ? undefined : Array.from(text(value)!);
    if (chars === undefined || typeof start !== 'number') return undefined;
    const from = start < 0 ? Math.max(0, chars.length + start) : start;
    return chars.slice(from, typeof length === 'number' ? from + Math.max(0, length) : undefined).join('');
  },
  substringBefore: ([value, chars]) => {
    const s = text(value);
    const c = text(chars);
    if (s === undefined || c === undefined) return s;
    const at = s.indexOf(c);
    return at === -1 ? s : s.slice(0, at);
  },
  substringAfter: ([value, chars]) => {
    const s = text(value);
    const c = text(chars);
    if (s === undefined || c === undefined) return s;
    const at = s.indexOf(c);
    return at === -1 ? s : s.slice(at + c.length);
  },
  join: ([values, separator]) => {
    const list = values === undefined ? undefined : flatten(unwrap(values));
    return list === undefined ? undefined : list.map((v) => text(v) ?? '').join(text(separator) ?? '');
  },
  exists: ([value]) => unwrap(value) !== undefined,
};

function compileFunction(node: Node): Evaluate {
  const procedure = node.procedure as Node;
  const fn = procedure.type === 'variable' ? FUNCTIONS[String(procedure.value)] : undefined;
  if (fn === undefined) throw unsupported(`the function $${String(procedure.value)}`);
  const args = (node.arguments as Node[]).map(compile);
  // `$join` takes the whole sequence; the others take one value.
  const whole = procedure.value === 'join';
  return (input, root) => fn(args.map((arg, i) => (whole && i === 0 ? arg(input, root) : unwrap(arg(input, root)))));
}

const MAX_KEY_LENGTH = 1024;

/**
 * The partition key at a configured `keyPath`: a non-empty string (trimmed: IDoc values are padded) or a
 * finite number. Anything else, including several values, makes the event INVALID_EVENT: a configured
 * key rule that does not hold is a bad event, not a reason to order by something else.
 */
export function configuredKey(expression: KeyExpression, data: unknown): string {
  const value = expression.read(data);
  const key = typeof value === 'string' ? value.trim() : typeof value === 'number' && Number.isFinite(value) ? String(value) : undefined;
  if (key === undefined || key === '') {
    const found = Array.isArray(value) ? `${value.length} values` : value === null ? 'null' : value === undefined ? 'nothing' : `a ${typeof value}`;
    throw new ModelbridgeError('INVALID_EVENT', `keyPath "${expression.source.slice(0, 200)}" must give one non-empty string or number, found ${found}`);
  }
  if (key.length > MAX_KEY_LENGTH) throw new ModelbridgeError('INVALID_EVENT', `keyPath "${expression.source.slice(0, 200)}" gives a key longer than ${MAX_KEY_LENGTH} characters`);
  return key;
}

/** `compileKeyExpression` for an optional `decode.keyPath`. */
export function compileKeyPath(source: string | undefined): KeyExpression | undefined {
  return source === undefined ? undefined : compileKeyExpression(source, 'decode.keyPath');
}
