/** Secret paths (`args.token`, `args.auth.key`, `args.*.password`) compiled once into a redactor. */
import { ToolgateError } from '../errors.js';

/** What a redacted value becomes in the stored line. */
export const REDACTED = '[redacted]';

/** Returns a copy of `value` with every configured path replaced; the input is never changed. */
export type Redactor = <T>(value: T) => T;

interface Node {
  redact: boolean;
  readonly children: Map<string, Node>;
  wildcard: Node | undefined;
}

/**
 * Compiles redaction paths, pino's syntax: dotted keys from the log line's root (`args.token`),
 * `*` for any key or index at one level (`args.*.password`), and brackets for keys that are not
 * identifiers (`args["x-api-key"]`, `args.items[0]`). A path that is absent in a line is left
 * alone. Throws `TG_CONFIG_INVALID` (field `log.redact`) for a path it cannot parse.
 */
export function compileRedaction(paths: readonly string[]): Redactor {
  const root: Node = { redact: false, children: new Map(), wildcard: undefined };
  for (const path of paths) {
    let node = root;
    for (const segment of parsePath(path)) {
      const next: Node =
        segment === null
          ? (node.wildcard ??= { redact: false, children: new Map(), wildcard: undefined })
          : (node.children.get(segment) ?? { redact: false, children: new Map(), wildcard: undefined });
      if (segment !== null) node.children.set(segment, next);
      node = next;
    }
    node.redact = true;
  }
  if (root.children.size === 0 && root.wildcard === undefined) return (value) => value;
  return (value) => apply(value, root) as typeof value;
}

// Copy-on-write: only objects on a redacted path are copied.
function apply(value: unknown, node: Node): unknown {
  if (value === null || typeof value !== 'object') return value;
  let copy: Record<string, unknown> | unknown[] | undefined;
  const source = value as Record<string, unknown>;
  for (const key of Object.keys(source)) {
    const specific = node.children.get(key);
    const any = node.wildcard;
    if (!specific && !any) continue;
    const before = source[key];
    let after: unknown;
    if (specific?.redact || any?.redact) {
      after = REDACTED;
    } else {
      after = before;
      if (specific) after = apply(after, specific);
      if (any) after = apply(after, any);
    }
    if (after !== before) {
      copy ??= Array.isArray(value) ? [...(value as unknown[])] : { ...source };
      (copy as Record<string, unknown>)[key] = after;
    }
  }
  return copy ?? value;
}

// `args.auth["x-key"][0].*` → ['args', 'auth', 'x-key', '0', null]; null is the wildcard.
function parsePath(path: string): Array<string | null> {
  const segments: Array<string | null> = [];
  let i = 0;
  const fail = (): never => {
    throw new ToolgateError('TG_CONFIG_INVALID', `log.redact: cannot read the path "${path}"`, { details: { field: 'log.redact' } });
  };
  while (i < path.length) {
    if (path[i] === '[') {
      const close = path.indexOf(']', i);
      if (close < 0) fail();
      const inner = path.slice(i + 1, close).trim();
      if (inner === '*') segments.push(null);
      else if (/^\d+$/.test(inner)) segments.push(inner);
      else if (/^(['"]).*\1$/.test(inner) && inner.length >= 2) segments.push(inner.slice(1, -1));
      else fail();
      i = close + 1;
      if (path[i] === '.') i++;
      continue;
    }
    let j = i;
    while (j < path.length && path[j] !== '.' && path[j] !== '[') j++;
    const key = path.slice(i, j);
    if (key === '') fail();
    segments.push(key === '*' ? null : key);
    i = j < path.length && path[j] === '.' ? j + 1 : j;
    if (path[j] === '.' && i === path.length) fail();
  }
  if (segments.length === 0) fail();
  return segments;
}
