import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Command, CommanderError } from 'commander';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { checkDenied, consumeGrant, requestApproval, type ApprovalRequest } from '../../src/approvals/store.js';
import { register } from '../../src/cli/approvals.js';
import { describeFailure, type CliIO } from '../../src/cli/run.js';
import { openSqliteState } from '../../src/state/sqlite.js';
import type { StateStore } from '../../src/state/store.js';

const T0 = 1_750_000_000_000;
const MIN = 60_000;

let dir: string;
let config: string;
let gateway: StateStore; // stands for a running `toolgate serve`: its own connection, open throughout

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tg-cli-approvals-'));
  config = join(dir, 'toolgate.yaml');
  await writeFile(
    config,
    [
      'gateway: { name: demo-gateway }',
      'upstreams:',
      '  filesystem: { transport: stdio, command: node, args: [fs.mjs] }',
      'policy: { files: [policies/p.yaml] }',
      'log: { path: logs/decisions.jsonl }',
      'state: { path: state/toolgate.db }',
      '',
    ].join('\n'),
  );
  gateway = await openSqliteState(join(dir, 'state', 'toolgate.db'));
});
afterEach(async () => {
  await gateway.close();
  await rm(dir, { recursive: true, force: true });
});

const call = (overrides: Partial<ApprovalRequest> = {}): ApprovalRequest => ({
  principal: 'alice',
  session: 'session-1',
  server: 'filesystem',
  tool: 'write_file',
  args_sha256: '1a2b3c4d'.repeat(8),
  args_preview: '{"path":"notes.txt","content":"hello"}',
  reason: 'writes change files on disk',
  rules: ['writes-need-a-person'],
  ...overrides,
});

// Runs `toolgate approvals …` in process, as cli/main.ts would: output, exit code, one error line.
async function approvals(argv: string[], opts: { tty?: boolean; now?: number } = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIO = {
    out: (t) => void (out += t.endsWith('\n') ? t : `${t}\n`),
    err: (t) => void (err += t.endsWith('\n') ? t : `${t}\n`),
    isTTY: opts.tty ?? false,
  };
  const program = new Command('toolgate');
  register(program, io, () => opts.now ?? T0);
  const quiet = (cmd: Command): void => {
    cmd.exitOverride().configureOutput({
      writeOut: (s) => void (out += s),
      writeErr: (s) => void (err += s),
      outputError: (s, write) => write(`toolgate: ${s.replace(/^error: /, '')}`),
    });
    cmd.commands.forEach(quiet);
  };
  quiet(program);
  try {
    await program.parseAsync(['approvals', ...argv, ...(argv.includes('--help') ? [] : ['--config', config])], { from: 'user' });
    return { code: 0, out, err };
  } catch (e) {
    if (e instanceof CommanderError) return { code: e.exitCode === 0 ? 0 : 2, out, err };
    const { exitCode, line } = describeFailure(e);
    return { code: exitCode, out, err: `${err}${line}\n` };
  }
}

describe('toolgate approvals list', () => {
  test('prints JSON lines when not on a terminal, with the binding, preview, reason and times but no session', async () => {
    const { id } = await requestApproval(gateway, call(), T0);
    const run = await approvals(['list'], { now: T0 + 90_000 });
    expect(run.code).toBe(0);
    const lines = run.out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toEqual([
      {
        id,
        principal: 'alice',
        server: 'filesystem',
        tool: 'write_file',
        args_sha256: call().args_sha256,
        args_preview: call().args_preview,
        reason: 'writes change files on disk',
        rules: ['writes-need-a-person'],
        created_at: new Date(T0).toISOString(),
        expires_at: new Date(T0 + 10 * MIN).toISOString(),
        age_s: 90,
        expires_in_s: 510,
      },
    ]);
    expect(run.out).not.toContain('session-1');
  });

  test('prints a table on a terminal: id, principal, server/tool, digest and preview, age, time left', async () => {
    const { id } = await requestApproval(gateway, call(), T0);
    const run = await approvals(['list'], { tty: true, now: T0 + 3 * MIN });
    expect(run.code).toBe(0);
    const [header, row, hint] = run.out.trim().split('\n');
    expect(header).toMatch(/^ID\s+PRINCIPAL\s+SERVER\/TOOL\s+ARGS\s+AGE\s+EXPIRES IN$/);
    expect(row).toMatch(new RegExp(`^${id}\\s+alice\\s+filesystem/write_file\\s+1a2b3c4d \\{"path":"notes.txt","content":"hello"\\}\\s+3m\\s+7m$`));
    expect(hint).toContain('toolgate approvals approve ID');
  });

  test('--json gives JSON lines on a terminal too', async () => {
    await requestApproval(gateway, call(), T0);
    const run = await approvals(['list', '--json'], { tty: true });
    expect(JSON.parse(run.out.trim())).toMatchObject({ principal: 'alice' });
  });

  test('says so on a terminal when nothing is pending, and prints nothing otherwise', async () => {
    expect((await approvals(['list'], { tty: true })).out).toBe('no pending approvals\n');
    expect((await approvals(['list'])).out).toBe('');
  });

  test('expired approvals are not listed', async () => {
    await requestApproval(gateway, call(), T0);
    expect((await approvals(['list'], { now: T0 + 10 * MIN })).out).toBe('');
  });
});

describe('toolgate approvals approve / deny', () => {
  test('approve (once by default): the running gateway lets the same call through once', async () => {
    const { id } = await requestApproval(gateway, call(), T0);
    const run = await approvals(['approve', id], { now: T0 + MIN });
    expect(run.code).toBe(0);
    expect(run.out).toBe(`approved ${id} once: alice calling filesystem/write_file with args 1a2b3c4d ${call().args_preview}; valid for 10m\n`);
    expect(await consumeGrant(gateway, call({ session: 'another' }), T0 + 2 * MIN)).toEqual({ approvalId: id });
    expect(await consumeGrant(gateway, call(), T0 + 2 * MIN)).toBeNull();
    expect(await gateway.approvals.get(id)).toMatchObject({ status: 'approved', resolved_by: expect.stringMatching(/^cli:/) });
  });

  test('approve --for session covers only the session that asked', async () => {
    const { id } = await requestApproval(gateway, call(), T0);
    const run = await approvals(['approve', id, '--for', 'session']);
    expect(run.out).toContain(`approved ${id} for this session:`);
    expect(await consumeGrant(gateway, call(), T0 + MIN)).toEqual({ approvalId: id });
    expect(await consumeGrant(gateway, call(), T0 + 2 * MIN)).toEqual({ approvalId: id });
    expect(await consumeGrant(gateway, call({ session: 'session-2' }), T0 + MIN)).toBeNull();
  });

  test('approve --for 2h covers identical calls from any session for two hours', async () => {
    const { id } = await requestApproval(gateway, call(), T0);
    const run = await approvals(['approve', id, '--for', '2h']);
    expect(run.out).toContain(`approved ${id} for 2h:`);
    expect(run.out).toContain('valid for 2h');
    expect(await consumeGrant(gateway, call({ session: 'x' }), T0 + 2 * 60 * MIN - 1)).toEqual({ approvalId: id });
    expect(await consumeGrant(gateway, call({ session: 'x' }), T0 + 2 * 60 * MIN)).toBeNull();
    expect(await consumeGrant(gateway, call({ principal: 'mallory' }), T0 + MIN)).toBeNull();
  });

  test('ids are accepted in capitals and with spaces around them', async () => {
    const { id } = await requestApproval(gateway, call(), T0);
    expect((await approvals(['approve', ` ${id.toUpperCase()} `])).code).toBe(0);
  });

  test('deny: the running gateway refuses the retried call as denied by a person', async () => {
    const { id } = await requestApproval(gateway, call(), T0);
    const run = await approvals(['deny', id], { now: T0 + MIN });
    expect(run.code).toBe(0);
    expect(run.out).toBe(`denied ${id}: alice calling filesystem/write_file with args 1a2b3c4d ${call().args_preview}; retries are refused for 9m\n`);
    expect(await checkDenied(gateway, call(), T0 + 2 * MIN)).toEqual({ approvalId: id });
    expect(await consumeGrant(gateway, call(), T0 + 2 * MIN)).toBeNull();
  });

  test('an unknown id is one line and exit 1', async () => {
    const run = await approvals(['approve', 'apr_aaaaaaaaaa']);
    expect(run.code).toBe(1);
    expect(run.err).toBe('toolgate: no approval apr_aaaaaaaaaa\n');
    expect((await approvals(['deny', 'apr_aaaaaaaaaa'])).code).toBe(1);
  });

  test('an expired id is one line saying so, and exit 1', async () => {
    const { id } = await requestApproval(gateway, call(), T0);
    const run = await approvals(['approve', id], { now: T0 + 10 * MIN });
    expect(run.code).toBe(1);
    expect(run.err).toBe(`toolgate: approval ${id} has expired; make the call again for a new one\n`);
  });

  test('an id already resolved is one line, and exit 1', async () => {
    const { id } = await requestApproval(gateway, call(), T0);
    await approvals(['deny', id]);
    const run = await approvals(['approve', id]);
    expect(run.code).toBe(1);
    expect(run.err).toBe(`toolgate: approval ${id} was already denied\n`);
  });

  test('a bad --for is one line and exit 2, and resolves nothing', async () => {
    const { id } = await requestApproval(gateway, call(), T0);
    const run = await approvals(['approve', id, '--for', 'forever']);
    expect(run.code).toBe(2);
    expect(run.err).toBe('toolgate: --for must be once, session or a duration of at least 1s such as 30m, 8h or 7d\n');
    expect((await gateway.approvals.get(id))?.status).toBe('pending');
  });

  test('a missing config is one line and exit 2', async () => {
    await rm(config);
    const run = await approvals(['list']);
    expect(run.code).toBe(2);
    expect(run.err.trim().split('\n')).toHaveLength(1);
    expect(run.err).toMatch(/^toolgate: cannot read config /);
  });

  test('a missing id is a usage error', async () => {
    const run = await approvals(['approve']);
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/^toolgate: missing required argument 'id'/);
  });

  test('--help describes --for', async () => {
    const run = await approvals(['approve', '--help']);
    expect(run.code).toBe(0);
    expect(run.out).toContain('--for <scope>');
    expect(run.out).toContain('once, session, or a duration');
  });
});

describe('toolgate approvals in its own process', () => {
  const exec = promisify(execFile);
  const register = fileURLToPath(new URL('../state/support/register-ts.mjs', import.meta.url));
  const cli = fileURLToPath(new URL('../approvals/support/cli-child.ts', import.meta.url));
  const toolgate = (...argv: string[]) => exec(process.execPath, ['--import', register, cli, ...argv]);

  test('the CLI process and the open gateway connection see each other’s writes', async () => {
    const now = Date.now();
    const { id } = await requestApproval(gateway, call(), now);
    const listed = await toolgate('approvals', 'list', '--config', config);
    expect(JSON.parse(listed.stdout.trim())).toMatchObject({ id });
    const approved = await toolgate('approvals', 'approve', id, '--config', config);
    expect(approved.stdout).toContain(`approved ${id} once`);
    expect(await consumeGrant(gateway, call(), Date.now())).toEqual({ approvalId: id });
    const again = await toolgate('approvals', 'approve', id, '--config', config).catch((e: { code: number; stderr: string }) => e);
    expect(again).toMatchObject({ code: 1, stderr: `toolgate: approval ${id} was already approved\n` });
  });
});
