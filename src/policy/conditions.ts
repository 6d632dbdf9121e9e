/** One small matcher per condition kind, built once at compile; each says holds, fails or wrong-type. */
import path from 'node:path';
import picomatch from 'picomatch';
import type { CompiledOperator, ConditionOutcome } from './types.js';
import type { ConditionSpec } from './schema.js';

/** What operators need from compile: where relative paths start, resolved `under` roots. */
export interface OperatorEnv {
  /** Absolute folder that relative `under` and `glob` patterns are taken against. */
  readonly baseDir: string;
  /** `under` value as written → its resolved absolute root (symlinks followed). */
  readonly roots: ReadonlyMap<string, string>;
  /** Deny and challenge rules: a `glob` also holds on the raw argument string. */
  readonly failClosed: boolean;
}

const HOLDS: ConditionOutcome = 'holds';
const FAILS: ConditionOutcome = 'fails';
const WRONG: ConditionOutcome = 'wrong-type';

/**
 * The operators of one condition object, in a fixed order; `present` is handled by the caller.
 * `onPaths`: the key is an argument, so `glob` matches the resolved path; else the plain string.
 */
export function buildOperators(spec: ConditionSpec, env: OperatorEnv, onPaths: boolean): CompiledOperator[] {
  const ops: CompiledOperator[] = [];
  if (spec.under !== undefined) ops.push(underOp(spec.under, env));
  if (spec.glob !== undefined) ops.push(onPaths ? globOp(spec.glob, env) : textGlobOp(spec.glob));
  if (spec.equals !== undefined) ops.push(equalsOp(spec.equals));
  if (spec.in !== undefined) ops.push(inOp(spec.in));
  if (spec.regex !== undefined) ops.push(regexOp(spec.regex));
  if (spec.maxLength !== undefined) ops.push(maxLengthOp(spec.maxLength));
  if (spec.min !== undefined) ops.push(boundOp('min', spec.min));
  if (spec.max !== undefined) ops.push(boundOp('max', spec.max));
  if (spec.includes !== undefined) ops.push(includesOp(spec.includes));
  return ops;
}

/** True when `candidate` is `root` itself or inside it (never a sibling sharing a prefix). */
export function isUnder(candidate: string, root: string): boolean {
  if (candidate === root) return true;
  const prefix = root.endsWith(path.sep) ? root : root + path.sep;
  return candidate.startsWith(prefix);
}

/** The absolute root an `under` value names, lexically, when the loader did not resolve it. */
export function lexicalRoot(under: string, baseDir: string): string {
  return path.resolve(baseDir, under);
}

// `under`: the resolved argument must be the root or inside it. Unresolvable → wrong type.
function underOp(under: string, env: OperatorEnv): CompiledOperator {
  const root = env.roots.get(under) ?? lexicalRoot(under, env.baseDir);
  return {
    op: 'under',
    expects: 'a resolvable path',
    test: ({ value, resolved }) => {
      if (typeof value !== 'string' || typeof resolved !== 'string') return WRONG;
      return isUnder(resolved, root) ? HOLDS : FAILS;
    },
  };
}

/** A glob pattern made absolute: `/…` and `**…` stay; anything else is taken against baseDir. */
export function absolutePattern(pattern: string, baseDir: string): string {
  if (pattern.startsWith('/') || pattern.startsWith('**')) return pattern;
  const base = baseDir.replace(/[\\*?[\]{}()!+@|]/g, (c) => `\\${c}`);
  const rest = pattern.startsWith('./') ? pattern.slice(2) : pattern;
  return base.endsWith('/') ? base + rest : `${base}/${rest}`;
}

// `glob`: on the resolved absolute path (dot files included). For deny/challenge rules the raw
// string (as written, and normalised) is tried too, so a path that fails to resolve still denies.
function globOp(pattern: string, env: OperatorEnv): CompiledOperator {
  const options = { dot: true };
  const onResolved = picomatch(absolutePattern(pattern, env.baseDir), options);
  const onRaw = picomatch(pattern, options);
  return {
    op: 'glob',
    expects: 'a resolvable path',
    test: ({ value, resolved }) => {
      if (typeof value !== 'string') return WRONG;
      if (env.failClosed && (onRaw(value) || onRaw(path.normalize(value)))) return HOLDS;
      if (typeof resolved !== 'string') return WRONG;
      return onResolved(resolved) ? HOLDS : FAILS;
    },
  };
}

// `glob` on a plain string (`principal.id: { glob: "bot-*" }`).
function textGlobOp(pattern: string): CompiledOperator {
  const match = picomatch(pattern, { dot: true });
  return {
    op: 'glob',
    expects: 'a string',
    test: ({ value }) => {
      if (typeof value !== 'string') return WRONG;
      return match(value) ? HOLDS : FAILS;
    },
  };
}

function equalsOp(expected: string | number | boolean): CompiledOperator {
  const type = typeof expected;
  return {
    op: 'equals',
    expects: `a ${type}`,
    test: ({ value }) => {
      if (typeof value !== type) return WRONG;
      return value === expected ? HOLDS : FAILS;
    },
  };
}

function inOp(list: readonly (string | number | boolean)[]): CompiledOperator {
  const members = new Set<unknown>(list);
  const types = new Set<string>(list.map((v) => typeof v));
  return {
    op: 'in',
    expects: `a ${[...types].join(' or ')}`,
    test: ({ value }) => {
      if (!types.has(typeof value)) return WRONG;
      return members.has(value) ? HOLDS : FAILS;
    },
  };
}

function regexOp(source: string): CompiledOperator {
  const re = new RegExp(source, 'u');
  return {
    op: 'regex',
    expects: 'a string',
    test: ({ value }) => {
      if (typeof value !== 'string') return WRONG;
      return re.test(value) ? HOLDS : FAILS;
    },
  };
}

// Length in Unicode code points, as JSON Schema counts it; inclusive.
function maxLengthOp(limit: number): CompiledOperator {
  return {
    op: 'maxLength',
    expects: 'a string',
    test: ({ value }) => {
      if (typeof value !== 'string') return WRONG;
      if (value.length <= limit) return HOLDS;
      // UTF-16 length over the limit may still be within it in code points.
      if (value.length > limit * 2) return FAILS;
      let n = 0;
      for (const _ of value) if (++n > limit) return FAILS;
      return HOLDS;
    },
  };
}

// Inclusive numeric bounds; only finite numbers (JSON has no others), never numeric strings.
function boundOp(op: 'min' | 'max', bound: number): CompiledOperator {
  return {
    op,
    expects: 'a number',
    test: ({ value }) => {
      if (typeof value !== 'number' || !Number.isFinite(value)) return WRONG;
      const ok = op === 'min' ? value >= bound : value <= bound;
      return ok ? HOLDS : FAILS;
    },
  };
}

function includesOp(member: string): CompiledOperator {
  return {
    op: 'includes',
    expects: 'a list',
    test: ({ value }) => {
      if (!Array.isArray(value)) return WRONG;
      return value.includes(member) ? HOLDS : FAILS;
    },
  };
}

/** Reads `args` at a dotted path (own properties only; numeric segments index lists). */
export function lookupArg(args: Readonly<Record<string, unknown>>, segments: readonly string[]): unknown {
  let cur: unknown = args;
  for (const seg of segments) {
    if (cur === null || typeof cur !== 'object') return undefined;
    if (Array.isArray(cur)) {
      if (!/^(0|[1-9][0-9]*)$/.test(seg)) return undefined;
      cur = cur[Number(seg)];
    } else {
      if (!Object.hasOwn(cur, seg)) return undefined;
      cur = (cur as Record<string, unknown>)[seg];
    }
  }
  return cur;
}
