/** The policy loader (the edge that reads files): YAML → schema → roots resolved → compile. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ToolgateError, isToolgateError } from '../errors.js';
import { YamlInvalidError, parseYamlWith, type YamlIssue } from '../yaml.js';
import { compilePolicy, crossFileIssues, underValues, type ParsedPolicyFile } from './compile.js';
import { resolvePath } from './paths.js';
import { policyFileSchema } from './schema.js';
import type { CompiledPolicy } from './types.js';

const CODE = 'TG_POLICY_INVALID';

/**
 * Reads, checks and compiles policy files. `files` are taken against `baseDir` when relative
 * (`compiled.files` holds them absolute, for watching); errors name them relative to the working
 * folder when inside it. `under` roots are resolved against `baseDir` (the config file's
 * folder) with symlinks followed. Throws YamlInvalidError `TG_POLICY_INVALID` listing every
 * problem in every file (file:line: field: message), unreadable files included.
 */
export async function loadPolicy(files: readonly string[], baseDir: string): Promise<CompiledPolicy> {
  const { parsed, issues } = await parseAll(files, baseDir);
  if (issues.length > 0) throw new YamlInvalidError(CODE, sortIssues(issues));
  const roots = new Map<string, string>();
  for (const under of underValues(parsed)) {
    const root = await resolvePath(under, baseDir);
    // The schema refused `~`, URIs and NUL bytes; what is left is a symlink loop or no access.
    if (root === null) {
      throw new ToolgateError(CODE, `under: ${JSON.stringify(under)} cannot be resolved (symlink loop or no access)`, {
        details: { field: 'under' },
      });
    }
    roots.set(under, root);
  }
  return compilePolicy(parsed, { baseDir: path.resolve(baseDir), roots });
}

/** Every problem in the policy files, for `toolgate validate`; empty when they load. */
export async function validatePolicy(files: readonly string[], baseDir: string): Promise<YamlIssue[]> {
  try {
    await loadPolicy(files, baseDir);
    return [];
  } catch (e) {
    if (e instanceof YamlInvalidError) return [...e.issues];
    if (isToolgateError(e)) {
      return [{ file: String(e.details.file ?? files[0] ?? ''), line: Number(e.details.line ?? 1), field: String(e.details.field ?? ''), message: e.message }];
    }
    throw e;
  }
}

async function parseAll(
  files: readonly string[],
  baseDir: string,
): Promise<{ parsed: ParsedPolicyFile[]; issues: YamlIssue[] }> {
  const parsed: ParsedPolicyFile[] = [];
  const issues: YamlIssue[] = [];
  for (const file of files) {
    const absolute = path.resolve(baseDir, file);
    const shown = displayPath(absolute);
    let text: string;
    try {
      text = await fs.readFile(absolute, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      issues.push({ file: shown, line: 1, field: '', message: code === 'ENOENT' ? 'file not found' : `cannot read (${code ?? 'error'})` });
      continue;
    }
    try {
      const { value, located } = parseYamlWith(text, shown, policyFileSchema, CODE);
      parsed.push({ file: shown, path: absolute, value, lineOf: located.lineOf });
    } catch (e) {
      if (!(e instanceof YamlInvalidError)) throw e;
      issues.push(...e.issues);
    }
  }
  issues.push(...crossFileIssues(parsed));
  return { parsed, issues };
}

/** A path as errors show it: relative to the working folder when inside it, else absolute. */
export function displayPath(absolute: string): string {
  const rel = path.relative(process.cwd(), absolute);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : absolute;
}

function sortIssues(issues: YamlIssue[]): YamlIssue[] {
  const order = new Map<string, number>();
  for (const i of issues) if (!order.has(i.file)) order.set(i.file, order.size);
  return [...issues].sort((a, b) => (order.get(a.file) ?? 0) - (order.get(b.file) ?? 0) || a.line - b.line);
}
