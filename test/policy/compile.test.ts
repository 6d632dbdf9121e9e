import { describe, expect, it } from 'vitest';
import { parseYamlWith } from '../../src/yaml.js';
import { compilePolicy, crossFileIssues, policyHash, type ParsedPolicyFile } from '../../src/policy/compile.js';
import { policyFileSchema } from '../../src/policy/schema.js';
import { compileText } from './helpers.js';

function parsed(text: string, file = 'p.yaml'): ParsedPolicyFile {
  const { value, located } = parseYamlWith(text, file, policyFileSchema, 'TG_POLICY_INVALID');
  return { file, value, lineOf: located.lineOf };
}

describe('policy hash', () => {
  it('is the same when keys are reordered', () => {
    const a = parsed('version: 1\ndefault: deny\nrules:\n  - { id: r, effect: allow, server: fs, tools: [a] }\n');
    const b = parsed('rules:\n  - { tools: [a], server: fs, effect: allow, id: r }\ndefault: deny\nversion: 1\n');
    expect(policyHash([a])).toBe(policyHash([b]));
    expect(policyHash([a])).toMatch(/^[0-9a-f]{64}$/);
  });
  it('changes when a rule changes', () => {
    const a = parsed('version: 1\nrules:\n  - { id: r, effect: allow, tools: [a] }\n');
    const b = parsed('version: 1\nrules:\n  - { id: r, effect: allow, tools: [b] }\n');
    expect(policyHash([a])).not.toBe(policyHash([b]));
  });
  it('is the compiled policy hash', () => {
    const p = parsed('version: 1\n');
    expect(compilePolicy([p], { baseDir: '/b' }).hash).toBe(policyHash([p]));
  });
});

describe('rule index', () => {
  const policy = compileText(`
version: 1
rules:
  - { id: any-server-exact, effect: allow, tools: [read] }
  - { id: fs-glob, effect: allow, server: fs, tools: ["re*"] }
  - { id: fs-exact, effect: deny, server: fs, tools: [read, write] }
  - { id: other-server, effect: deny, server: db, tools: [read] }
  - { id: everything, effect: challenge }
`);
  it('finds exact, glob and any-server rules for a tool, in file order', () => {
    expect(policy.candidates('fs', 'read').map((r) => r.id)).toEqual(['any-server-exact', 'fs-glob', 'fs-exact', 'everything']);
  });
  it('leaves out rules for other servers and tools', () => {
    expect(policy.candidates('fs', 'write').map((r) => r.id)).toEqual(['fs-exact', 'everything']);
    expect(policy.candidates('web', 'fetch').map((r) => r.id)).toEqual(['everything']);
  });
  it('memoises the candidates per server and tool', () => {
    expect(policy.candidates('fs', 'read')).toBe(policy.candidates('fs', 'read'));
  });
  it('lists a rule once even when several of its tools match', () => {
    const p = compileText('version: 1\nrules:\n  - { id: a, effect: allow, tools: [x, "x*", "*"] }\n');
    expect(p.candidates('s', 'x').map((r) => r.id)).toEqual(['a']);
  });
  it('knows which argument paths need resolving for a tool', () => {
    const p = compileText(`
version: 1
rules:
  - id: a
    effect: allow
    tools: [read]
    when:
      args.path: { under: ./s }
      args.n: { max: 1 }
  - id: b
    effect: deny
    when:
      args.dest.path: { glob: "**/.git/**" }
`);
    expect(p.pathArgs('fs', 'read')).toEqual(['args.path', 'args.dest.path']);
    expect(p.pathArgs('fs', 'write')).toEqual(['args.dest.path']);
  });
});

describe('across files', () => {
  it('a rule id used in two files is an error naming both', () => {
    const one = parsed('version: 1\nrules:\n  - { id: a, effect: allow }\n', 'one.yaml');
    const two = parsed('version: 1\nrules:\n  - { id: b, effect: allow }\n  - { id: a, effect: deny }\n', 'two.yaml');
    expect(crossFileIssues([one, two])).toEqual([
      { file: 'two.yaml', line: 4, field: 'rules[1].id', message: 'duplicate rule id a (also in one.yaml)' },
    ]);
    expect(() => compilePolicy([one, two], { baseDir: '/b' })).toThrow(expect.objectContaining({ code: 'TG_POLICY_INVALID' }));
  });
  it('files that state different defaults are an error', () => {
    const one = parsed('version: 1\ndefault: allow\n', 'one.yaml');
    const two = parsed('version: 1\ndefault: deny\n', 'two.yaml');
    expect(crossFileIssues([one, two])).toEqual([
      { file: 'two.yaml', line: 2, field: 'default', message: 'default deny disagrees with default allow in one.yaml' },
    ]);
  });
  it('the stated default holds when other files say nothing', () => {
    const one = parsed('version: 1\n', 'one.yaml');
    const two = parsed('version: 1\ndefault: challenge\n', 'two.yaml');
    expect(compilePolicy([one, two], { baseDir: '/b' }).default).toBe('challenge');
  });
  it('rules keep file order across files', () => {
    const one = parsed('version: 1\nrules:\n  - { id: z, effect: allow }\n', 'one.yaml');
    const two = parsed('version: 1\nrules:\n  - { id: a, effect: allow }\n', 'two.yaml');
    const p = compilePolicy([one, two], { baseDir: '/b' });
    expect(p.rules.map((r) => [r.id, r.file, r.order])).toEqual([
      ['z', 'one.yaml', 0],
      ['a', 'two.yaml', 1],
    ]);
    expect(p.files).toEqual(['one.yaml', 'two.yaml']);
  });
});
