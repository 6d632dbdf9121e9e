// `toolgate check` and `toolgate validate` as a person runs them: through bin/toolgate, reading exit codes and lines.
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BIN } from '../helpers/gateway.js';
import { makeWorkspace, stdioUpstream, type Workspace } from '../helpers/workspace.js';

const exec = promisify(execFile);
let ws: Workspace;

beforeAll(async () => {
  ws = await makeWorkspace({ upstreams: { filesystem: stdioUpstream('filesystem'), recorder: stdioUpstream('recorder') } });
});
afterAll(async () => ws?.cleanup());

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  try {
    const r = await exec(process.execPath, [BIN, ...args], { cwd: ws.dir });
    return { code: 0, out: r.stdout, err: r.stderr };
  } catch (e) {
    const f = e as { code: number; stdout: string; stderr: string };
    return { code: f.code, out: f.stdout, err: f.stderr };
  }
}

describe('toolgate check', () => {
  test('allow exits 0 and names the rule', async () => {
    const r = await run('check', '--config', ws.config, '--tool', 'filesystem/read_text_file', '--args', '{"path":"./sandbox/notes.txt"}');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^decision: allow$/m);
    expect(r.out).toMatch(/^rules: +read-sandbox$/m);
  });

  test('deny exits 3 with the rule and its reason', async () => {
    const r = await run('check', '--config', ws.config, '--tool', 'filesystem/read_text_file', '--args', '{"path":"./sandbox/.env"}');
    expect(r.code).toBe(3);
    expect(r.out).toContain('never-dotenv');
    expect(r.out).toContain('dotenv files hold secrets');
  });

  test('challenge exits 4', async () => {
    const r = await run('check', '--config', ws.config, '--tool', 'filesystem/write_file', '--args', '{"path":"./sandbox/a","content":"x"}');
    expect(r.code).toBe(4);
    expect(r.out).toMatch(/^decision: challenge$/m);
  });

  test('--principal and --roles change who is asking; --json prints the decision', async () => {
    const policy = `version: 1\nrules:\n  - id: admins\n    effect: allow\n    tools: ["*"]\n    when:\n      principal.roles: { includes: admin }\n`;
    await writeFile(join(ws.dir, 'policies/test.yaml'), policy);
    const denied = await run('check', '--config', ws.config, '--tool', 'recorder/echo', '--principal', 'bob', '--roles', 'dev');
    expect(denied.code).toBe(3);
    const allowed = await run('check', '--config', ws.config, '--tool', 'recorder/echo', '--principal', 'bob', '--roles', 'dev,admin', '--json');
    expect(allowed.code).toBe(0);
    expect(JSON.parse(allowed.out)).toMatchObject({ decision: 'allow', rules: ['admins'] });
  });

  test.each([
    ['bad JSON arguments', ['--tool', 'recorder/echo', '--args', '{nope'], /--args is not valid JSON/],
    ['arguments that are not an object', ['--tool', 'recorder/echo', '--args', '[1]'], /--args must be a JSON object/],
    ['a tool without a server', ['--tool', 'echo'], /--tool must be SERVER\/TOOL/],
    ['an unknown flag', ['--tool', 'recorder/echo', '--bogus'], /unknown option '--bogus'/],
  ])('%s: one line on stderr, exit 2, no stack trace', async (_name, args, message) => {
    const r = await run('check', '--config', ws.config, ...args);
    expect(r.code).toBe(2);
    const lines = r.err.trim().split('\n').filter((l) => !l.startsWith('(run with --help'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  test('a missing config file is one line and exit 2', async () => {
    const r = await run('check', '--config', join(ws.dir, 'nope.yaml'), '--tool', 'a/b');
    expect(r.code).toBe(2);
    expect(r.err.trim()).toBe(`toolgate: cannot read config ${join(ws.dir, 'nope.yaml')}: no such file`);
  });
});

describe('toolgate validate', () => {
  test('a good config: exit 0 and a summary', async () => {
    await writeFile(join(ws.dir, 'policies/test.yaml'), 'version: 1\nrules:\n  - id: a\n    effect: allow\n    server: recorder\n    tools: [echo]\n');
    const r = await run('validate', '--config', ws.config);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^ok: .* 2 upstreams, 1 policy files, 1 rules/);
  });

  test('every policy error is named with file, line and field', async () => {
    await writeFile(join(ws.dir, 'policies/test.yaml'), 'version: 1\nrules:\n  - id: a\n    effect: maybe\n    tools: [echo]\n    wen: {}\n');
    const r = await run('validate', '--config', ws.config);
    expect(r.code).toBe(2);
    const lines = r.err.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/policies\/test\.yaml:4: rules\[0\]\.effect: /);
    expect(lines[1]).toMatch(/policies\/test\.yaml:6: rules\[0\]\.wen: unknown key/);
  });

  test('a policy naming a server that is not an upstream gets a warning', async () => {
    await writeFile(join(ws.dir, 'policies/test.yaml'), 'version: 1\nrules:\n  - id: a\n    effect: allow\n    server: nowhere\n');
    const r = await run('validate', '--config', ws.config);
    expect(r.code).toBe(0);
    expect(r.err).toContain('policy names server "nowhere"');
  });
});

describe('--help', () => {
  test.each([['serve'], ['check'], ['validate'], ['policy', 'test'], ['keys', 'generate'], ['keys', 'rotate'], ['receipt', 'verify'], ['logs'], ['logs', 'verify'], ['approvals', 'list'], ['approvals', 'approve'], ['approvals', 'deny'], ['pins', 'list'], ['pins', 'accept']])(
    'toolgate %s --help exits 0 with usage',
    async (...command) => {
      const r = await run(...command, '--help');
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/^Usage: toolgate /m);
    },
  );
});
