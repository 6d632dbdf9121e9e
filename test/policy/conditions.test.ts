import { describe, expect, it } from 'vitest';
import { absolutePattern, buildOperators, isUnder, lookupArg } from '../../src/policy/conditions.js';
import type { ConditionSpec } from '../../src/policy/schema.js';
import type { ConditionOutcome } from '../../src/policy/types.js';

const env = { baseDir: '/base', roots: new Map<string, string>(), failClosed: false };

// One operator's outcome for a value (and, for paths, a resolved value).
function outcome(spec: ConditionSpec, value: unknown, resolved?: string | null, onPaths = true): ConditionOutcome {
  const [op] = buildOperators(spec, env, onPaths);
  if (!op) throw new Error('no operator');
  return op.test({ value, resolved });
}

describe('numeric bounds', () => {
  it('max is inclusive', () => {
    expect(outcome({ max: 100 }, 100)).toBe('holds');
    expect(outcome({ max: 100 }, 100.01)).toBe('fails');
  });
  it('min is inclusive', () => {
    expect(outcome({ min: 1 }, 1)).toBe('holds');
    expect(outcome({ min: 1 }, 0.99)).toBe('fails');
  });
  it('a numeric string is the wrong type, not a number', () => {
    expect(outcome({ max: 100 }, '50')).toBe('wrong-type');
    expect(outcome({ min: 0 }, null)).toBe('wrong-type');
  });
});

describe('strings', () => {
  it('maxLength is inclusive and counts code points', () => {
    expect(outcome({ maxLength: 3 }, 'abc')).toBe('holds');
    expect(outcome({ maxLength: 3 }, 'abcd')).toBe('fails');
    expect(outcome({ maxLength: 2 }, '😀😀')).toBe('holds');
    expect(outcome({ maxLength: 1 }, '😀😀')).toBe('fails');
    expect(outcome({ maxLength: 0 }, '')).toBe('holds');
  });
  it('maxLength on a non-string is the wrong type', () => {
    expect(outcome({ maxLength: 3 }, ['a'])).toBe('wrong-type');
  });
  it('equals compares value and type', () => {
    expect(outcome({ equals: 'prod' }, 'prod')).toBe('holds');
    expect(outcome({ equals: 'prod' }, 'Prod')).toBe('fails');
    expect(outcome({ equals: 1 }, '1')).toBe('wrong-type');
    expect(outcome({ equals: true }, true)).toBe('holds');
  });
  it('in holds for a member, fails for another value of the same type', () => {
    expect(outcome({ in: ['eu', 'us'] }, 'eu')).toBe('holds');
    expect(outcome({ in: ['eu', 'us'] }, 'cn')).toBe('fails');
    expect(outcome({ in: ['eu', 'us'] }, 1)).toBe('wrong-type');
  });
  it('regex is unanchored unless anchored, and Unicode-aware', () => {
    expect(outcome({ regex: '^[a-z]+$' }, 'abc')).toBe('holds');
    expect(outcome({ regex: '^[a-z]+$' }, 'ab1')).toBe('fails');
    expect(outcome({ regex: 'b' }, 'abc')).toBe('holds');
    expect(outcome({ regex: '^.$' }, '😀')).toBe('holds');
    expect(outcome({ regex: 'x' }, 5)).toBe('wrong-type');
  });
});

describe('lists', () => {
  it('includes holds when the list has the member', () => {
    expect(outcome({ includes: 'support' }, ['dev', 'support'])).toBe('holds');
    expect(outcome({ includes: 'support' }, ['dev'])).toBe('fails');
    expect(outcome({ includes: 'support' }, 'support')).toBe('wrong-type');
  });
});

describe('paths', () => {
  it('under holds for the root itself and inside it', () => {
    expect(outcome({ under: './sandbox' }, 'x', '/base/sandbox')).toBe('holds');
    expect(outcome({ under: './sandbox' }, 'x', '/base/sandbox/a/b.txt')).toBe('holds');
  });
  it('under fails for a sibling sharing the prefix', () => {
    expect(outcome({ under: './sandbox' }, 'x', '/base/sandbox-evil/a')).toBe('fails');
    expect(outcome({ under: './sandbox' }, 'x', '/base/sandboxx')).toBe('fails');
  });
  it('under uses the resolved root the loader gave', () => {
    const roots = new Map([['./sandbox', '/real/sandbox']]);
    const [op] = buildOperators({ under: './sandbox' }, { ...env, roots }, true);
    expect(op?.test({ value: 'x', resolved: '/real/sandbox/a' })).toBe('holds');
    expect(op?.test({ value: 'x', resolved: '/base/sandbox/a' })).toBe('fails');
  });
  it('under on an unresolvable or non-string value is the wrong type', () => {
    expect(outcome({ under: '.' }, 'x', null)).toBe('wrong-type');
    expect(outcome({ under: '.' }, 'x', undefined)).toBe('wrong-type');
    expect(outcome({ under: '.' }, 42, null)).toBe('wrong-type');
  });
  it('glob matches the resolved path, dot files included', () => {
    expect(outcome({ glob: '**/.env*' }, 'x', '/x/y/.env.local')).toBe('holds');
    expect(outcome({ glob: '**/.env*' }, 'x', '/x/y/env')).toBe('fails');
  });
  it('a relative glob is taken against the base folder', () => {
    expect(outcome({ glob: 'secrets/**' }, 'x', '/base/secrets/a/b')).toBe('holds');
    expect(outcome({ glob: './secrets/*' }, 'x', '/base/secrets/a')).toBe('holds');
    expect(outcome({ glob: 'secrets/**' }, 'x', '/elsewhere/secrets/a')).toBe('fails');
  });
  it('glob on a raw string holds only for fail-closed rules', () => {
    const [allowOp] = buildOperators({ glob: '**/.env*' }, env, true);
    const [denyOp] = buildOperators({ glob: '**/.env*' }, { ...env, failClosed: true }, true);
    expect(allowOp?.test({ value: './.env', resolved: null })).toBe('wrong-type');
    expect(denyOp?.test({ value: './.env', resolved: null })).toBe('holds');
    expect(denyOp?.test({ value: 'a/.env', resolved: '/elsewhere/ok' })).toBe('holds');
  });
  it('glob on principal.id matches the plain string', () => {
    expect(outcome({ glob: 'bot-*' }, 'bot-7', undefined, false)).toBe('holds');
    expect(outcome({ glob: 'bot-*' }, 'alice', undefined, false)).toBe('fails');
  });
});

describe('helpers', () => {
  it('isUnder compares whole path segments', () => {
    expect(isUnder('/a/b', '/a/b')).toBe(true);
    expect(isUnder('/a/b/c', '/a/b')).toBe(true);
    expect(isUnder('/a/bc', '/a/b')).toBe(false);
    expect(isUnder('/a', '/')).toBe(true);
  });
  it('absolutePattern escapes glob characters in the base folder', () => {
    expect(absolutePattern('x/*', '/p [1]')).toBe('/p \\[1\\]/x/*');
    expect(absolutePattern('/abs/*', '/base')).toBe('/abs/*');
    expect(absolutePattern('**/.env', '/base')).toBe('**/.env');
  });
  it('lookupArg follows dotted paths through objects and list indexes, own properties only', () => {
    const args = { a: { b: [{ c: 1 }] }, n: null };
    expect(lookupArg(args, ['a', 'b', '0', 'c'])).toBe(1);
    expect(lookupArg(args, ['a', 'b', 'x'])).toBeUndefined();
    expect(lookupArg(args, ['n', 'x'])).toBeUndefined();
    expect(lookupArg(args, ['constructor'])).toBeUndefined();
    expect(lookupArg(args, ['a', '__proto__'])).toBeUndefined();
  });
});
