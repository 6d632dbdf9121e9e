import { describe, expect, it } from 'vitest';
import { YamlInvalidError, formatIssue, parseYamlWith } from '../../src/yaml.js';
import { durationMs, policyFileSchema } from '../../src/policy/schema.js';

// Every issue for a policy text, as `file:line: field: message` lines.
function issuesOf(text: string): string[] {
  try {
    parseYamlWith(text, 'p.yaml', policyFileSchema, 'TG_POLICY_INVALID');
  } catch (e) {
    if (e instanceof YamlInvalidError) {
      expect(e.code).toBe('TG_POLICY_INVALID');
      return [...e.issues].sort((a, b) => a.line - b.line).map(formatIssue);
    }
    throw e;
  }
  return [];
}

describe('policy file schema', () => {
  it('accepts the PRODUCT.md example and fills defaults', () => {
    const text = `version: 1
default: deny
rules:
  - id: read-sandbox
    effect: allow
    server: filesystem
    tools: [read_text_file, list_directory, "search_*"]
    when:
      args.path: { under: ./sandbox }
  - id: writes-need-a-person
    effect: challenge
    server: filesystem
    tools: [write_file, edit_file]
    reason: writes change files on disk
  - id: never-dotenv
    effect: deny
    tools: ["*"]
    when:
      args.path: { glob: "**/.env*" }
  - id: refunds-capped
    effect: allow
    server: payments
    tools: [create_refund]
    when:
      principal.roles: { includes: support }
      args.amount_usd: { max: 100 }
      rate: { max: 10, per: 1h, by: principal }
`;
    const { value } = parseYamlWith(text, 'p.yaml', policyFileSchema, 'TG_POLICY_INVALID');
    expect(value.rules).toHaveLength(4);
    expect(value.rules[3]?.when?.rate).toEqual({ max: 10, per: '1h', by: 'principal' });
  });
  it('tools default to every tool and rate.by to principal', () => {
    const { value } = parseYamlWith(
      'version: 1\nrules:\n  - id: a\n    effect: allow\n    when:\n      rate: { max: 1, per: 30s }\n',
      'p.yaml',
      policyFileSchema,
      'TG_POLICY_INVALID',
    );
    expect(value.rules[0]?.tools).toEqual(['*']);
    expect(value.rules[0]?.when?.rate?.by).toBe('principal');
  });
  it('an unknown key names file, line and field', () => {
    expect(issuesOf('version: 1\nrules:\n  - id: a\n    effect: allow\n    tool: [x]\n')).toEqual([
      'p.yaml:5: rules[0].tool: unknown key',
    ]);
  });
  it('an unknown when key is refused', () => {
    const issues = issuesOf('version: 1\nrules:\n  - id: a\n    effect: allow\n    when:\n      arg.path: { equals: x }\n');
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(/^p\.yaml:6: rules\[0\]\.when\.arg\.path: unknown key/);
  });
  it('an unknown operator is refused', () => {
    expect(issuesOf('version: 1\nrules:\n  - id: a\n    effect: allow\n    when:\n      args.p:\n        startsWith: x\n')).toEqual([
      'p.yaml:7: rules[0].when.args.p.startsWith: unknown key',
    ]);
  });
  it('a bad effect names its line', () => {
    const issues = issuesOf('version: 1\nrules:\n  - id: a\n    effect: permit\n');
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(/^p\.yaml:4: rules\[0\]\.effect: /);
  });
  it('a bad regex names its line', () => {
    expect(issuesOf('version: 1\nrules:\n  - id: a\n    effect: deny\n    when:\n      args.q: { regex: "([a-z" }\n')).toEqual([
      'p.yaml:6: rules[0].when.args.q.regex: not a valid regular expression',
    ]);
  });
  it('a duplicate rule id names the second one', () => {
    expect(issuesOf('version: 1\nrules:\n  - id: a\n    effect: deny\n  - id: a\n    effect: allow\n')).toEqual([
      'p.yaml:5: rules[1].id: duplicate rule id a',
    ]);
  });
  it('every issue in a file is reported, not just the first', () => {
    const issues = issuesOf('version: 2\nextra: 1\nrules:\n  - id: a\n    effect: nope\n');
    expect(issues.map((i) => i.split(':')[1])).toEqual(expect.arrayContaining(['1', '2', '5']));
    expect(issues).toHaveLength(3);
  });
  it('refuses conditions that cannot mean anything', () => {
    const issues = issuesOf(`version: 1
rules:
  - id: a
    effect: allow
    when:
      args.a: {}
      args.b: { present: false, equals: x }
      args.c: { min: 5, max: 1 }
      principal.id: { under: ./x }
      principal.roles: { equals: admin }
      args.d: { under: "~/secrets" }
      rate: { max: 0, per: 1w }
`);
    expect(issues).toEqual([
      'p.yaml:6: rules[0].when.args.a: a condition needs at least one operator',
      'p.yaml:7: rules[0].when.args.b.present: present: false cannot be combined with other operators',
      'p.yaml:8: rules[0].when.args.c.min: min is greater than max',
      'p.yaml:9: rules[0].when.principal.id.under: under applies to argument paths only',
      'p.yaml:10: rules[0].when.principal.roles.equals: principal.roles takes includes or present',
      'p.yaml:11: rules[0].when.args.d.under: expected a plain path (no ~, no URI)',
      expect.stringMatching(/^p\.yaml:12: rules\[0\]\.when\.rate\.max: /),
      'p.yaml:12: rules[0].when.rate.per: expected a duration like 30s, 15m, 1h or 1d',
    ]);
  });
});

describe('durations', () => {
  it('reads each unit', () => {
    expect(durationMs('500ms')).toBe(500);
    expect(durationMs('30s')).toBe(30_000);
    expect(durationMs('15m')).toBe(900_000);
    expect(durationMs('1h')).toBe(3_600_000);
    expect(durationMs('1d')).toBe(86_400_000);
    expect(durationMs('0s')).toBeUndefined();
    expect(durationMs('1.5h')).toBeUndefined();
  });
});
