/**
 * Dot paths into a JSON payload (`order.id`, `items[0].sku`, `a.b[2][0]`), compiled once at start-up.
 */

/** A compiled path: property names and array indexes. */
export type FieldPath = readonly (string | number)[];

/** Compiles a dot path; returns an error message instead when it is malformed. */
export function compileFieldPath(path: string): FieldPath | string {
  const segments: (string | number)[] = [];
  for (const part of path.split('.')) {
    const bracket = part.indexOf('[');
    const name = bracket === -1 ? part : part.slice(0, bracket);
    if (name === '' && (bracket !== 0 || segments.length > 0)) return `empty segment in path "${path}"`;
    if (name.includes(']')) return `unexpected "]" in path "${path}"`;
    if (name !== '') segments.push(name);
    let rest = bracket === -1 ? '' : part.slice(bracket);
    while (rest !== '') {
      const close = rest.indexOf(']');
      const digits = close === -1 ? '' : rest.slice(1, close);
      if (!rest.startsWith('[') || digits === '' || !isDigits(digits)) return `bad index in path "${path}" (use e.g. items[0])`;
      segments.push(Number(digits));
      rest = rest.slice(close + 1);
    }
  }
  return segments;
}

function isDigits(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 48 || code > 57) return false;
  }
  return text.length <= 9;
}

/** The value at a compiled path, or `undefined`. Own properties only: `constructor` or `__proto__` never resolve. */
export function readFieldPath(root: unknown, path: FieldPath): unknown {
  let current = root;
  for (const segment of path) {
    if (typeof segment === 'number') {
      if (!Array.isArray(current)) return undefined;
      current = current[segment];
    } else {
      if (typeof current !== 'object' || current === null || Array.isArray(current) || !Object.hasOwn(current, segment)) {
        return undefined;
      }
      current = (current as Record<string, unknown>)[segment];
    }
  }
  return current;
}
