import { describe, expect, it } from 'vitest';
import { evaluate } from '../../src/policy/evaluate.js';
import { compileText, ctxOf, decide } from './helpers.js';

const MIXED = `
version: 1
rules:
  - id: allow-all-fs
    effect: allow
    server: fs
  - id: challenge-writes
    effect: challenge
    server: fs
    tools: [write_file]
    reason: writes change files on disk
  - id: deny-etc
    effect: deny
    tools: ["*"]
    when:
      args.path: { glob: "/etc/**" }
`;

describe('combining', () => {
  const policy = compileText(MIXED);
  it('deny wins over challenge and allow', () => {
    const d = decide(policy, 'fs/write_file', { path: '/etc/passwd' }, { paths: new Map([['args.path', '/etc/passwd']]) });
    expect(d.decision).toBe('deny');
    expect(d.rules).toEqual(['deny-etc']);
    expect(d.reasons).toEqual(['rule deny-etc denied']);
    expect(d.matched.map((m) => m.id)).toEqual(['allow-all-fs', 'challenge-writes', 'deny-etc']);
  });
  it('challenge wins over allow and carries the rule reason', () => {
    const d = decide(policy, 'fs/write_file', { path: '/tmp/x' }, { paths: new Map([['args.path', '/tmp/x']]) });
    expect(d.decision).toBe('challenge');
    expect(d.rules).toEqual(['challenge-writes']);
    expect(d.reasons).toEqual(['writes change files on disk']);
  });
  it('allow names its rule with a generated reason', () => {
    const d = decide(policy, 'fs/read_file', { path: '/tmp/x' }, { paths: new Map([['args.path', '/tmp/x']]) });
    expect(d).toMatchObject({ decision: 'allow', rules: ['allow-all-fs'], reasons: ['rule allow-all-fs allowed'] });
  });
  it('several rules with the winning effect are all named, in file order', () => {
    const p = compileText(`
version: 1
rules:
  - { id: b, effect: deny, tools: [t] }
  - { id: a, effect: deny, tools: ["t*"], reason: no t }
`);
    const d = decide(p, 's/t');
    expect(d.rules).toEqual(['b', 'a']);
    expect(d.reasons).toEqual(['rule b denied', 'no t']);
  });
  it('carries the policy hash', () => {
    expect(decide(policy, 'fs/read_file').policy).toBe(policy.hash);
  });
});

describe('default', () => {
  it('no match means deny when the file says nothing', () => {
    const d = decide(compileText('version: 1\nrules: []\n'), 'fs/read_file');
    expect(d).toMatchObject({ decision: 'deny', rules: [], reasons: ['no rule matched; default deny'], matched: [] });
  });
  it('no match means the stated default', () => {
    expect(decide(compileText('version: 1\ndefault: challenge\n'), 'x/y')).toMatchObject({
      decision: 'challenge',
      reasons: ['no rule matched; default challenge'],
    });
    expect(decide(compileText('version: 1\ndefault: allow\n'), 'x/y').decision).toBe('allow');
  });
  it('a rule for another server does not match', () => {
    const p = compileText('version: 1\nrules:\n  - { id: a, effect: allow, server: fs }\n');
    expect(decide(p, 'other/read_file').decision).toBe('deny');
  });
});

describe('absent and wrong-type arguments', () => {
  const policy = compileText(`
version: 1
rules:
  - id: small-refunds
    effect: allow
    tools: [refund]
    when:
      args.amount: { max: 100 }
  - id: never-dotenv
    effect: deny
    tools: ["*"]
    when:
      args.path: { glob: "**/.env*" }
  - id: odd-region
    effect: challenge
    tools: [refund]
    when:
      args.region: { in: [mars] }
`);
  it('an absent argument never satisfies an allow rule', () => {
    expect(decide(policy, 'pay/refund', {}).decision).toBe('deny');
    expect(decide(policy, 'pay/refund', {}).rules).toEqual([]);
  });
  it('a wrong-type argument never satisfies an allow rule', () => {
    expect(decide(policy, 'pay/refund', { amount: '50' }).decision).toBe('deny');
    expect(decide(policy, 'pay/refund', { amount: [50] }).decision).toBe('deny');
    expect(decide(policy, 'pay/refund', { amount: 50 }).decision).toBe('allow');
  });
  it('an absent argument does not make a deny rule hold', () => {
    const d = decide(policy, 'pay/refund', { amount: 5 });
    expect(d.decision).toBe('allow');
    expect(d.matched.map((m) => m.id)).toEqual(['small-refunds']);
  });
  it('a wrong-type argument makes a deny rule hold and says why, without the value', () => {
    const d = decide(policy, 'pay/refund', { amount: 5, path: 12345 });
    expect(d.decision).toBe('deny');
    expect(d.rules).toEqual(['never-dotenv']);
    expect(d.reasons[0]).toContain('args.path');
    expect(d.reasons[0]).toContain('failing closed');
    expect(d.reasons.join(' ')).not.toContain('12345');
  });
  it('an array where a path is expected makes a deny rule hold', () => {
    expect(decide(policy, 'fs/read', { path: ['a', '.env'] }).decision).toBe('deny');
  });
  it('a wrong-type argument makes a challenge rule hold', () => {
    expect(decide(policy, 'pay/refund', { amount: 5, region: 7 }).decision).toBe('challenge');
  });
  it('an unresolved path string makes a deny glob hold only when the raw string matches', () => {
    // The edge did not resolve args.path: the raw string is tried, then the rule fails closed.
    expect(decide(policy, 'fs/read', { path: 'a/.env.local' }).decision).toBe('deny');
    const d = decide(policy, 'fs/read', { path: 'notes.txt' });
    expect(d.rules).toEqual(['never-dotenv']);
    expect(d.reasons[0]).toContain('was not resolved');
  });
});

describe('principal and presence conditions', () => {
  const policy = compileText(`
version: 1
rules:
  - id: support-only
    effect: allow
    tools: [refund]
    when:
      principal.roles: { includes: support }
  - id: admins
    effect: allow
    tools: [drop]
    when:
      principal.id: { in: [root, admin] }
  - id: needs-reason
    effect: deny
    tools: [drop]
    when:
      args.reason: { present: false }
  - id: dry-run-ok
    effect: allow
    tools: [deploy]
    when:
      args.dry_run: { present: true, equals: true }
`);
  it('includes on roles', () => {
    expect(decide(policy, 's/refund', {}, { principal: { id: 'bob', roles: ['support'] } }).decision).toBe('allow');
    expect(decide(policy, 's/refund', {}, { principal: { id: 'bob', roles: [] } }).decision).toBe('deny');
  });
  it('in on principal.id', () => {
    expect(decide(policy, 's/drop', { reason: 'x' }, { principal: { id: 'admin', roles: [] } }).decision).toBe('allow');
    expect(decide(policy, 's/drop', { reason: 'x' }, { principal: { id: 'eve', roles: [] } }).decision).toBe('deny');
  });
  it('present: false holds when the argument is absent', () => {
    const d = decide(policy, 's/drop', {}, { principal: { id: 'admin', roles: [] } });
    expect(d).toMatchObject({ decision: 'deny', rules: ['needs-reason'] });
  });
  it('present: true with equals needs both', () => {
    expect(decide(policy, 's/deploy', { dry_run: true }).decision).toBe('allow');
    expect(decide(policy, 's/deploy', { dry_run: false }).decision).toBe('deny');
    expect(decide(policy, 's/deploy', {}).decision).toBe('deny');
  });
});

describe('several operators in one condition', () => {
  const policy = compileText(`
version: 1
rules:
  - id: band
    effect: allow
    tools: [t]
    when:
      args.n: { min: 10, max: 20 }
      args.s: { regex: "^[a-z]+$", maxLength: 4 }
`);
  it('all operators must hold', () => {
    expect(decide(policy, 's/t', { n: 10, s: 'abcd' }).decision).toBe('allow');
    expect(decide(policy, 's/t', { n: 20, s: 'a' }).decision).toBe('allow');
    expect(decide(policy, 's/t', { n: 21, s: 'a' }).decision).toBe('deny');
    expect(decide(policy, 's/t', { n: 15, s: 'abcde' }).decision).toBe('deny');
    expect(decide(policy, 's/t', { n: 15, s: 'ab1' }).decision).toBe('deny');
  });
  it('nested argument paths are read', () => {
    const p = compileText(`
version: 1
rules:
  - id: nested
    effect: allow
    tools: [t]
    when:
      args.options.mode: { equals: read }
`);
    expect(decide(p, 's/t', { options: { mode: 'read' } }).decision).toBe('allow');
    expect(decide(p, 's/t', { options: 'read' }).decision).toBe('deny');
  });
});

describe('purity', () => {
  it('does not mutate the call or the context, and gives the same answer twice', () => {
    const policy = compileText(MIXED);
    const args = Object.freeze({ path: Object.freeze('/tmp/x') });
    const call = Object.freeze({ server: 'fs', tool: 'write_file', args });
    const ctx = Object.freeze(ctxOf({ paths: new Map([['args.path', '/tmp/x']]) }));
    const first = evaluate(policy, call, ctx);
    const second = evaluate(policy, call, ctx);
    expect(second).toEqual(first);
    expect(ctx.paths.size).toBe(1);
    expect(ctx.rateCounts.size).toBe(0);
  });
  it('the compiled policy is frozen', () => {
    const policy = compileText(MIXED);
    expect(Object.isFrozen(policy)).toBe(true);
    expect(Object.isFrozen(policy.rules)).toBe(true);
    expect(Object.isFrozen(policy.rules[0])).toBe(true);
  });
});
