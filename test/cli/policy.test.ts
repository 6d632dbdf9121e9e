import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { register } from '../../src/cli/policy.js';
import { describeFailure, type CliIO } from '../../src/cli/run.js';
import { tempDir } from '../policy/helpers.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const POLICY = `version: 1
rules:
  - id: read-sandbox
    effect: allow
    server: fs
    tools: [read_text_file]
    when:
      args.path: { under: ./sandbox }
  - id: writes-need-a-person
    effect: challenge
    server: fs
    tools: [write_file]
    reason: writes change files on disk
  - id: support-refunds
    effect: allow
    server: pay
    tools: [refund]
    when:
      principal.roles: { includes: support }
`;

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
  await mkdir(path.join(dir, 'policies'));
  await mkdir(path.join(dir, 'tests'));
  await writeFile(path.join(dir, 'policies/p.yaml'), POLICY);
});
afterEach(async () => cleanup());

// Runs `toolgate policy test ...` in process the way cli/main.ts does: output, exit code, error line.
async function policyTest(...files: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIO = { out: (t) => void (out += t.endsWith('\n') ? t : `${t}\n`), err: (t) => void (err += `${t}\n`), isTTY: false };
  const program = new Command('toolgate');
  register(program, io);
  const quiet = (cmd: Command): void => {
    cmd.exitOverride().configureOutput({ writeOut: (s) => void (out += s), writeErr: (s) => void (err += s) });
    for (const sub of cmd.commands) quiet(sub);
  };
  quiet(program);
  try {
    await program.parseAsync(['policy', 'test', ...files], { from: 'user' });
    return { code: 0, out, err };
  } catch (e) {
    if (e instanceof CommanderError) return { code: e.exitCode === 0 ? 0 : 2, out, err };
    const { exitCode, line } = describeFailure(e);
    return { code: exitCode, out, err: line ? `${err}${line}\n` : err };
  }
}
async function caseFile(name: string, text: string): Promise<string> {
  const file = path.join(dir, 'tests', name);
  await writeFile(file, text);
  return file;
}
const lastLine = (out: string) => out.trimEnd().split('\n').at(-1);

describe('toolgate policy test', () => {
  it('passes the bundled example cases', async () => {
    const run = await policyTest(path.join(ROOT, 'examples/policies/filesystem.tests.yaml'));
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/^\d+ passed, 0 failed\n$/);
  });

  it('exits 0 and prints the count when every case passes', async () => {
    const file = await caseFile(
      'ok.tests.yaml',
      `policy: ../policies/p.yaml
cases:
  - name: reads inside the sandbox
    tool: fs/read_text_file
    args: { path: ./sandbox/notes.txt }
    expect: allow
    rules: [read-sandbox]
  - name: support can refund
    tool: pay/refund
    principal: { id: sam, roles: [support] }
    expect: allow
  - name: the default principal has no roles
    tool: pay/refund
    expect: deny
`,
    );
    const run = await policyTest(file);
    expect(run).toEqual({ code: 0, out: '3 passed, 0 failed\n', err: '' });
  });

  it('prints a diff for each failing case and exits 1', async () => {
    const file = await caseFile(
      'bad.tests.yaml',
      `policy: ../policies/p.yaml
cases:
  - name: passes
    tool: fs/write_file
    args: { path: ./sandbox/x }
    expect: challenge
  - name: traversal expected to pass
    tool: fs/read_text_file
    args: { path: ./sandbox/../etc }
    expect: allow
    rules: [read-sandbox]
  - name: wrong rules only
    tool: fs/write_file
    args: { path: x }
    expect: challenge
    rules: [read-sandbox]
`,
    );
    const run = await policyTest(file);
    expect(run.code).toBe(1);
    expect(run.err).toBe('');
    const blocks = run.out.trimEnd().split('\n\n');
    expect(blocks).toHaveLength(3);
    expect(blocks[0]?.split('\n')).toEqual([
      expect.stringMatching(/^FAIL traversal expected to pass \(.*bad\.tests\.yaml:7\)$/),
      '    call      fs/read_text_file {"path":"./sandbox/../etc"}',
      '  - expected  allow [read-sandbox]',
      '  + actual    deny []',
      '    reason    no rule matched; default deny',
    ]);
    expect(blocks[1]?.split('\n')).toEqual([
      expect.stringMatching(/^FAIL wrong rules only \(.*bad\.tests\.yaml:12\)$/),
      '    call      fs/write_file {"path":"x"}',
      '  - expected  challenge [read-sandbox]',
      '  + actual    challenge [writes-need-a-person]',
      '    reason    writes change files on disk',
    ]);
    expect(blocks[2]).toBe('1 passed, 2 failed');
  });

  it('adds up several case files, and a policy may be a list of files', async () => {
    await writeFile(path.join(dir, 'policies/extra.yaml'), 'version: 1\nrules:\n  - { id: ping, effect: allow, server: net, tools: [ping] }\n');
    const a = await caseFile('a.tests.yaml', 'policy: [../policies/p.yaml, ../policies/extra.yaml]\ncases:\n  - { name: ping, tool: net/ping, expect: allow, rules: [ping] }\n');
    const b = await caseFile('b.tests.yaml', 'policy: ../policies/p.yaml\ncases:\n  - { name: no ping here, tool: net/ping, expect: allow }\n');
    const run = await policyTest(a, b);
    expect(run.code).toBe(1);
    expect(lastLine(run.out)).toBe('1 passed, 1 failed');
  });

  it('loads the policy through a toolgate.yaml with config:', async () => {
    await writeFile(
      path.join(dir, 'toolgate.yaml'),
      'gateway: { name: g }\nupstreams:\n  fs: { transport: stdio, command: node }\npolicy: { files: [policies/p.yaml] }\nlog: { path: logs/decisions.jsonl }\n',
    );
    const file = await caseFile(
      'cfg.tests.yaml',
      'config: ../toolgate.yaml\ncases:\n  - { name: sandbox is next to the config, tool: fs/read_text_file, args: { path: sandbox/a }, expect: allow }\n',
    );
    const run = await policyTest(file);
    expect(run.err).toBe('');
    expect(run).toMatchObject({ code: 0, out: '1 passed, 0 failed\n' });
  });

  it('a bad case file is one line naming file, line and field, exit 2', async () => {
    const file = await caseFile('broken.tests.yaml', 'policy: ../policies/p.yaml\ncases:\n  - name: a\n    tool: fs/read_text_file\n    expect: perhaps\n');
    const run = await policyTest(file);
    expect(run.code).toBe(2);
    expect(run.out).toBe('');
    expect(run.err).toMatch(/^toolgate: .*broken\.tests\.yaml:5: cases\[0\]\.expect: .*\n$/);
  });

  it('an unknown key in a case is refused', async () => {
    const file = await caseFile('typo.tests.yaml', 'policy: ../policies/p.yaml\ncases:\n  - { name: a, tool: fs/x, expect: deny, expected_rules: [] }\n');
    const run = await policyTest(file);
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/typo\.tests\.yaml:3: cases\[0\]\.expected_rules: unknown key/);
  });

  it('a missing case file or policy file exits 2 with one line', async () => {
    const missing = await policyTest(path.join(dir, 'nope.tests.yaml'));
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/^toolgate: cannot read case file .*nope\.tests\.yaml: no such file\n$/);
    const file = await caseFile('np.tests.yaml', 'policy: ../policies/none.yaml\ncases:\n  - { name: a, tool: s/t, expect: deny }\n');
    const run = await policyTest(file);
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/^toolgate: .*none\.yaml:1: file not found\n$/);
  });

  it('a bad policy exits 2 naming its line', async () => {
    await writeFile(path.join(dir, 'policies/bad.yaml'), 'version: 1\nrules:\n  - { id: a, effect: allow, when: { args.q: { regex: "(" } } }\n');
    const file = await caseFile('bp.tests.yaml', 'policy: ../policies/bad.yaml\ncases:\n  - { name: a, tool: s/t, expect: deny }\n');
    const run = await policyTest(file);
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/bad\.yaml:3: rules\[0\]\.when\.args\.q\.regex: not a valid regular expression/);
  });

  it('--help describes the command', async () => {
    const run = await policyTest('--help');
    expect(run.code).toBe(0);
    expect(run.out).toContain('Run policy test cases written in YAML');
  });
});
