/** Pure: parsed policy files → a frozen CompiledPolicy with matchers built, rules indexed, hash taken. */
import picomatch from 'picomatch';
import { YamlInvalidError, type YamlIssue } from '../yaml.js';
import { buildOperators } from './conditions.js';
import { canonicalSha256 } from '../canonical.js';
import { durationMs, type ConditionSpec, type PolicyFile, type RuleSpec } from './schema.js';
import type { CompiledCondition, CompiledPolicy, CompiledRate, CompiledRule, Effect } from './types.js';

/** One policy file after `parseYamlWith`, with a way to locate fields for later errors. */
export interface ParsedPolicyFile {
  /** The file as errors name it. */
  readonly file: string;
  /** Its absolute path, for `CompiledPolicy.files`; `file` when not given. */
  readonly path?: string;
  readonly value: PolicyFile;
  /** Line of a field path in the file; 1 when not given. */
  readonly lineOf?: (path: readonly PropertyKey[]) => number;
}

/** What compile needs beyond the files. */
export interface CompileOptions {
  /** Absolute folder relative paths are taken against (the config file's folder). */
  readonly baseDir: string;
  /** `under` value as written → resolved root (realpath); missing ones are resolved lexically. */
  readonly roots?: ReadonlyMap<string, string>;
}

// Bounds the per-(server, tool) memo; tool names come from upstream catalogues, but be safe.
const MEMO_LIMIT = 4096;

/** Every `under` value in the files, for the loader to resolve before compile. */
export function underValues(files: readonly ParsedPolicyFile[]): string[] {
  const out = new Set<string>();
  for (const f of files) {
    for (const rule of f.value.rules) {
      for (const [key, spec] of Object.entries(rule.when ?? {})) {
        if (key !== 'rate' && (spec as ConditionSpec).under !== undefined) out.add((spec as ConditionSpec).under as string);
      }
    }
  }
  return [...out];
}

/** Problems only visible across files: a rule id used twice, files naming different defaults. */
export function crossFileIssues(files: readonly ParsedPolicyFile[]): YamlIssue[] {
  const issues: YamlIssue[] = [];
  const firstId = new Map<string, { file: string; index: number }>();
  let firstDefault: { effect: Effect; file: string } | undefined;
  files.forEach((f, index) => {
    const lineOf = f.lineOf ?? (() => 1);
    if (f.value.default !== undefined) {
      if (firstDefault && firstDefault.effect !== f.value.default) {
        issues.push({
          file: f.file,
          line: lineOf(['default']),
          field: 'default',
          message: `default ${f.value.default} disagrees with default ${firstDefault.effect} in ${firstDefault.file}`,
        });
      } else if (!firstDefault) {
        firstDefault = { effect: f.value.default, file: f.file };
      }
    }
    f.value.rules.forEach((rule, i) => {
      const other = firstId.get(rule.id);
      // Duplicates inside one file are the schema's to report.
      if (other !== undefined && other.index !== index) {
        issues.push({
          file: f.file,
          line: lineOf(['rules', i, 'id']),
          field: `rules[${i}].id`,
          message: `duplicate rule id ${rule.id} (also in ${other.file})`,
        });
      } else if (other === undefined) {
        firstId.set(rule.id, { file: f.file, index });
      }
    });
  });
  return issues;
}

/** Hex SHA-256 of the RFC 8785 canonical JSON of the parsed files, in load order. */
export function policyHash(files: readonly ParsedPolicyFile[]): string {
  return canonicalSha256(files.map((f) => f.value));
}

/**
 * Compiles parsed files into a frozen policy. Pure (no I/O).
 * Throws YamlInvalidError `TG_POLICY_INVALID` for problems across files (duplicate id, defaults).
 */
export function compilePolicy(files: readonly ParsedPolicyFile[], options: CompileOptions): CompiledPolicy {
  const issues = crossFileIssues(files);
  if (issues.length > 0) throw new YamlInvalidError('TG_POLICY_INVALID', issues);
  const roots = options.roots ?? new Map<string, string>();
  const rules: CompiledRule[] = [];
  for (const f of files) {
    for (const spec of f.value.rules) rules.push(compileRule(spec, rules.length, f.file, options.baseDir, roots));
  }
  const index = buildIndex(rules);
  const candidateMemo = new Map<string, readonly CompiledRule[]>();
  const pathMemo = new Map<string, readonly string[]>();

  const candidates = (server: string, tool: string): readonly CompiledRule[] => {
    const key = `${server}\u0000${tool}`;
    let found = candidateMemo.get(key);
    if (found === undefined) {
      found = Object.freeze(index.lookup(server, tool));
      if (candidateMemo.size >= MEMO_LIMIT) candidateMemo.clear();
      candidateMemo.set(key, found);
    }
    return found;
  };
  const pathArgs = (server: string, tool: string): readonly string[] => {
    const key = `${server}\u0000${tool}`;
    let found = pathMemo.get(key);
    if (found === undefined) {
      const keys = new Set<string>();
      for (const rule of candidates(server, tool)) for (const c of rule.conditions) if (c.isPath) keys.add(c.key);
      found = Object.freeze([...keys]);
      if (pathMemo.size >= MEMO_LIMIT) pathMemo.clear();
      pathMemo.set(key, found);
    }
    return found;
  };

  return Object.freeze({
    hash: policyHash(files),
    files: Object.freeze(files.map((f) => f.path ?? f.file)),
    default: files.find((f) => f.value.default !== undefined)?.value.default ?? 'deny',
    baseDir: options.baseDir,
    rules: Object.freeze(rules),
    candidates,
    pathArgs,
  });
}

function compileRule(
  spec: RuleSpec,
  order: number,
  file: string,
  baseDir: string,
  roots: ReadonlyMap<string, string>,
): CompiledRule {
  const env = { baseDir, roots, failClosed: spec.effect !== 'allow' };
  const conditions: CompiledCondition[] = [];
  let rate: CompiledRate | undefined;
  for (const [key, value] of Object.entries(spec.when ?? {})) {
    if (key === 'rate') {
      const r = value as NonNullable<NonNullable<RuleSpec['when']>['rate']>;
      rate = Object.freeze({ max: r.max, per: r.per, windowMs: durationMs(r.per) ?? 0, by: r.by });
      continue;
    }
    const c = value as ConditionSpec;
    const onArgs = key.startsWith('args.');
    conditions.push(
      Object.freeze({
        key,
        source: onArgs ? 'args' : (key as 'principal.id' | 'principal.roles'),
        path: Object.freeze(onArgs ? key.slice('args.'.length).split('.') : []),
        isPath: onArgs && (c.under !== undefined || c.glob !== undefined),
        ...(c.present === undefined ? {} : { present: c.present }),
        operators: Object.freeze(buildOperators(c, env, onArgs)),
      }),
    );
  }
  return Object.freeze({
    id: spec.id,
    effect: spec.effect,
    order,
    file,
    ...(spec.server === undefined ? {} : { server: spec.server }),
    tools: Object.freeze([...spec.tools]),
    ...(spec.reason === undefined ? {} : { reason: spec.reason }),
    conditions: Object.freeze(conditions),
    ...(rate === undefined ? {} : { rate }),
    argFree: rate === undefined && conditions.every((c) => c.source !== 'args'),
  });
}

// Rules by server ('' = any server) and exact tool name; glob tools kept apart, tried per lookup.
function buildIndex(rules: readonly CompiledRule[]): { lookup(server: string, tool: string): CompiledRule[] } {
  const ANY = '';
  const exact = new Map<string, Map<string, CompiledRule[]>>();
  const globs = new Map<string, { match: (tool: string) => boolean; rule: CompiledRule }[]>();
  for (const rule of rules) {
    const server = rule.server ?? ANY;
    for (const tool of rule.tools) {
      if (picomatch.scan(tool).isGlob) {
        const list = globs.get(server) ?? [];
        list.push({ match: picomatch(tool, { dot: true }), rule });
        globs.set(server, list);
      } else {
        const byTool = exact.get(server) ?? new Map<string, CompiledRule[]>();
        const list = byTool.get(tool) ?? [];
        list.push(rule);
        byTool.set(tool, list);
        exact.set(server, byTool);
      }
    }
  }
  return {
    lookup(server, tool) {
      const found = new Set<CompiledRule>();
      for (const s of server === ANY ? [ANY] : [server, ANY]) {
        for (const rule of exact.get(s)?.get(tool) ?? []) found.add(rule);
        for (const g of globs.get(s) ?? []) if (g.match(tool)) found.add(g.rule);
      }
      return [...found].sort((a, b) => a.order - b.order);
    },
  };
}
