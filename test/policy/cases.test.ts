import { describe, expect, it } from 'vitest';
import { parseYamlWith } from '../../src/yaml.js';
import { caseCall, caseFileSchema, checkCase, type PolicyCase } from '../../src/policy/cases.js';
import type { Decision } from '../../src/policy/types.js';

const decision = (d: Partial<Decision>): Decision => ({
  decision: 'allow',
  rules: [],
  reasons: [],
  matched: [],
  policy: 'h',
  charge: [],
  ...d,
});
const aCase = (c: Partial<PolicyCase>): PolicyCase => ({ name: 'n', tool: 's/t', args: {}, expect: 'allow', ...c });

describe('checkCase', () => {
  it('passes on the same decision when no rules are given', () => {
    expect(checkCase(aCase({}), decision({ rules: ['x'] })).pass).toBe(true);
  });
  it('fails on another decision', () => {
    expect(checkCase(aCase({ expect: 'deny' }), decision({})).pass).toBe(false);
  });
  it('compares rule ids as a set', () => {
    expect(checkCase(aCase({ rules: ['b', 'a'] }), decision({ rules: ['a', 'b'] })).pass).toBe(true);
    expect(checkCase(aCase({ rules: ['a'] }), decision({ rules: ['a', 'b'] })).pass).toBe(false);
    expect(checkCase(aCase({ rules: [] }), decision({ rules: ['a'] })).pass).toBe(false);
  });
});

describe('case files', () => {
  it('splits SERVER/TOOL at the first slash', () => {
    expect(caseCall(aCase({ tool: 'fs/a/b', args: { x: 1 } }))).toEqual({ server: 'fs', tool: 'a/b', args: { x: 1 } });
  });
  it('needs exactly one of policy or config', () => {
    const parse = (text: string) => () => parseYamlWith(text, 'c.yaml', caseFileSchema, 'TG_POLICY_TEST_INVALID');
    const cases = 'cases:\n  - { name: a, tool: s/t, expect: allow }\n';
    expect(parse(`policy: p.yaml\n${cases}`)).not.toThrow();
    expect(parse(`policy: [a.yaml, b.yaml]\n${cases}`)).not.toThrow();
    expect(parse(`config: toolgate.yaml\n${cases}`)).not.toThrow();
    expect(parse(cases)).toThrow(expect.objectContaining({ code: 'TG_POLICY_TEST_INVALID' }));
    expect(parse(`policy: p.yaml\nconfig: c.yaml\n${cases}`)).toThrow(expect.objectContaining({ code: 'TG_POLICY_TEST_INVALID' }));
  });
});
