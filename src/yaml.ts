/**
 * YAML text → typed value through a zod schema, with every problem reported as
 * `file:line: field: message`. Shared by the config and policy loaders.
 */
import { LineCounter, isMap, isPair, isScalar, parseDocument, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { ToolgateError, type ErrorCode } from './errors.js';

/** One problem in a YAML file, located. */
export interface YamlIssue {
  readonly file: string;
  readonly line: number;
  /** Dotted path of the field (`upstreams.fs.command`), or '' for the document. */
  readonly field: string;
  readonly message: string;
}

/** Formats an issue as one line: `file:line: field: message`. */
export function formatIssue(issue: YamlIssue): string {
  return `${issue.file}:${issue.line}: ${issue.field ? `${issue.field}: ` : ''}${issue.message}`;
}

/** Thrown with every issue found; its message lists them one per line. */
export class YamlInvalidError extends ToolgateError {
  readonly issues: readonly YamlIssue[];
  constructor(code: ErrorCode, issues: readonly YamlIssue[]) {
    const first = issues[0];
    super(code, issues.map(formatIssue).join('\n'), {
      details: first ? { file: first.file, line: first.line, field: first.field } : {},
    });
    this.issues = issues;
  }
}

/** A parsed document that can locate a field path, kept for later errors. */
export interface LocatedYaml {
  readonly file: string;
  readonly value: unknown;
  lineOf(path: readonly PropertyKey[]): number;
}

/** Parses YAML text; syntax errors become `YamlInvalidError` with lines. */
export function parseYaml(text: string, file: string, code: ErrorCode): LocatedYaml {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new YamlInvalidError(
      code,
      doc.errors.map((err) => ({
        file,
        line: lineCounter.linePos(err.pos[0]).line,
        field: '',
        message: err.message.split('\n')[0] ?? 'invalid YAML',
      })),
    );
  }
  return {
    file,
    value: doc.toJS({ maxAliasCount: 100 }) as unknown,
    lineOf: (path) => lineCounter.linePos(offsetOf(doc, path)).line,
  };
}

/** Parses YAML text and then the value with `schema`, reporting every issue with its line. */
export function parseYamlWith<S extends z.ZodType>(
  text: string,
  file: string,
  schema: S,
  code: ErrorCode,
): { value: z.infer<S>; located: LocatedYaml } {
  const located = parseYaml(text, file, code);
  return { value: checkWith(located, located.value, schema, code), located };
}

/** Checks `value` (from `located`, perhaps transformed) with `schema`; issues carry lines. */
export function checkWith<S extends z.ZodType>(located: LocatedYaml, value: unknown, schema: S, code: ErrorCode): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new YamlInvalidError(code, zodIssues(located, result.error.issues));
}

/** Zod issues → located YAML issues (unknown keys each get their own line). */
export function zodIssues(located: LocatedYaml, zodIssueList: readonly z.core.$ZodIssue[]): YamlIssue[] {
  const issues: YamlIssue[] = [];
  for (const issue of zodIssueList) {
    const path = issue.path as PropertyKey[];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const full = [...path, key];
        issues.push({ file: located.file, line: located.lineOf(full), field: dotted(full), message: 'unknown key' });
      }
      continue;
    }
    issues.push({ file: located.file, line: located.lineOf(path), field: dotted(path), message: issue.message });
  }
  return issues;
}

/** `['a', 0, 'b']` → `a[0].b`. */
export function dotted(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}

// The deepest node on `path` that exists; for a key, the key's own position.
function offsetOf(doc: Document, path: readonly PropertyKey[]): number {
  let node: unknown = doc.contents;
  let offset = (doc.contents as Node | null)?.range?.[0] ?? 0;
  for (const part of path) {
    if (!node || typeof node !== 'object' || !('items' in node)) break;
    const items = (node as { items: unknown[] }).items;
    let next: unknown;
    if (isMap(node)) {
      const pair = items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(part));
      if (!pair || !isPair(pair)) break;
      offset = (pair.key as Node).range?.[0] ?? offset;
      next = pair.value;
    } else if (typeof part === 'number') {
      next = items[part];
      offset = (next as Node | undefined)?.range?.[0] ?? offset;
    } else {
      break;
    }
    node = next;
  }
  return offset;
}
