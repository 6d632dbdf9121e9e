import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { register, runLogs } from '../../src/cli/logs.js';
import type { CliIO } from '../../src/cli/run.js';
import { openDecisionLog, type CheckpointSigner, type DecisionLog } from '../../src/log/decisions.js';
import { runCli } from '../receipts/cli-harness.js';
import { editLines, entry, makeSigner, tempDir, writeLogConfig } from '../log/helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
let signer: CheckpointSigner;
let config: string;
let logPath: string;

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir('tg-cli-logs-'));
  const made = await makeSigner();
  signer = made.signer;
  await mkdir(join(dir, 'keys'));
  await writeFile(join(dir, 'keys', 'jwks.json'), JSON.stringify(made.jwks));
  config = await writeConfig(true);
  logPath = join(dir, 'logs', 'decisions.jsonl');
});
afterEach(async () => cleanup());

const writeConfig = (withKey: boolean, name = 'toolgate.yaml'): Promise<string> => writeLogConfig(dir, withKey, name);

const logs = (...argv: string[]): ReturnType<typeof runCli> => runCli(register, ['logs', ...argv]);

async function openLog(): Promise<DecisionLog> {
  return openDecisionLog({ path: logPath, redact: ['args.token'], checkpoint: { every: 5, intervalMs: 60_000 }, signer });
}

// Six decisions: alice reads (ok), bob writes (tool-error), a deny, recent and old.
async function writeDecisions(): Promise<void> {
  const log = await openLog();
  const recent = new Date(Date.now() - 60_000).toISOString();
  await log.append(entry(1, { time: recent }));
  await log.append(entry(2, { principal: 'bob', tool: 'write_file', time: recent }));
  await log.append(entry(3, { decision: 'deny', receipt: null, rules: ['never-dotenv'], reasons: ['no .env'], time: recent }));
  await log.append(entry(4, { server: 'other', time: recent }));
  await log.append(entry(5, { args: { token: 'sekret' } }));
  await log.outcome('id-2', { outcome: 'tool-error', latency_ms: 40 });
  await log.outcome('id-1', { outcome: 'ok', latency_ms: 12 });
  await log.close();
}

const ids = (out: string): unknown[] =>
  out
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { id: string }).id);

describe('toolgate logs', () => {
  test('without a terminal prints JSON lines, each decision joined with its outcome', async () => {
    await writeDecisions();
    const run = await logs('--config', config);
    expect(run.code).toBe(0);
    const records = run.out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records.map((r) => r.id)).toEqual(['id-1', 'id-2', 'id-3', 'id-4', 'id-5']);
    expect(records[0]).toMatchObject({ type: 'decision', outcome: 'ok', latency_ms: 12 });
    expect(records[1]).toMatchObject({ outcome: 'tool-error', latency_ms: 40 });
    expect(records[2]).toMatchObject({ decision: 'deny', outcome: null });
    expect(run.out).not.toContain('sekret');
  });

  test('--decision, --tool, --principal and --since filter', async () => {
    await writeDecisions();
    expect(ids((await logs('--config', config, '--decision', 'deny')).out)).toEqual(['id-3']);
    expect(ids((await logs('--config', config, '--tool', 'write_file')).out)).toEqual(['id-2']);
    expect(ids((await logs('--config', config, '--tool', 'other/read_text_file')).out)).toEqual(['id-4']);
    expect(ids((await logs('--config', config, '--principal', 'bob')).out)).toEqual(['id-2']);
    expect(ids((await logs('--config', config, '--since', '1h')).out)).toEqual(['id-1', 'id-2', 'id-3', 'id-4']);
    expect(ids((await logs('--config', config, '--since', '1h', '--principal', 'alice', '--decision', 'allow')).out)).toEqual(['id-1', 'id-4']);
  });

  test('bad filters get one line and exit 2', async () => {
    await writeDecisions();
    for (const argv of [
      ['--decision', 'maybe'],
      ['--since', '5x'],
    ]) {
      const run = await logs('--config', config, ...argv);
      expect(run.code, argv.join(' ')).toBe(2);
      expect(run.err.trim().split('\n')).toHaveLength(1);
      expect(run.err).toMatch(/^toolgate: --(decision|since) /);
    }
  });

  test('a missing config or log gets one line and exit 2', async () => {
    const noConfig = await logs('--config', join(dir, 'nope.yaml'));
    expect(noConfig).toMatchObject({ code: 2, err: expect.stringMatching(/^toolgate: cannot read config .*nope\.yaml: no such file\n$/) });
    const noLog = await logs('--config', config);
    expect(noLog).toMatchObject({ code: 2, err: expect.stringMatching(/^toolgate: no decision log at .*decisions\.jsonl\n$/) });
  });

  test('on a terminal prints a table', async () => {
    await writeDecisions();
    let out = '';
    const io: CliIO = { out: (t) => void (out += `${t}\n`), err: () => undefined, isTTY: true };
    await runLogs({ config, decision: 'allow', principal: 'bob' }, io, new AbortController().signal);
    const [header, row, ...rest] = out.trim().split('\n');
    expect(header).toMatch(/^TIME +DECISION +PRINCIPAL +TOOL +OUTCOME +RULES +REASON$/);
    expect(row).toMatch(/^\S+Z +allow +bob +filesystem\/write_file +tool-error 40ms +read-sandbox +reads inside the sandbox$/);
    expect(rest).toEqual([]);
  });

  test('--follow prints decisions as they are logged until stopped', async () => {
    const log = await openLog();
    await log.append(entry(1));
    let out = '';
    const io: CliIO = { out: (t) => void (out += `${t}\n`), err: () => undefined, isTTY: false };
    const abort = new AbortController();
    const following = runLogs({ config, follow: true }, io, abort.signal);
    await vi.waitFor(() => expect(ids(out)).toEqual(['id-1']));
    await log.append(entry(2, { decision: 'deny', receipt: null }));
    await log.append(entry(3));
    await log.outcome('id-3', { outcome: 'ok', latency_ms: 3 });
    await vi.waitFor(() => expect(ids(out)).toEqual(['id-1', 'id-2', 'id-3', 'id-3']));
    const last = JSON.parse(out.trim().split('\n').at(-1) as string) as Record<string, unknown>;
    expect(last).toMatchObject({ type: 'outcome', id: 'id-3', outcome: 'ok' });
    abort.abort();
    await following;
    await log.close();
  });
});

describe('toolgate logs verify', () => {
  test('an intact log: exit 0 and a one-line summary', async () => {
    await writeDecisions();
    const run = await logs('verify', '--config', config);
    expect(run.code).toBe(0);
    expect(run.out.trim().split('\n')).toHaveLength(1);
    expect(run.out).toMatch(/^ok: 10 lines, 3 checkpoints, head [0-9a-f]{16}; closed cleanly; checkpoint signatures checked against .*jwks\.json\n$/);
  });

  test('--config may come before verify', async () => {
    await writeDecisions();
    expect((await runCli(register, ['logs', '--config', config, 'verify'])).code).toBe(0);
  });

  test('an edited line: exit 1 and one line naming it and why', async () => {
    await writeDecisions();
    await editLines(logPath, (lines) => lines.map((l, i) => (i === 3 ? l.replace('"deny"', '"allow"') : l)));
    const run = await logs('verify', '--config', config);
    expect(run.code).toBe(1);
    expect(run.err).toMatch(/^toolgate: .*decisions\.jsonl: line 4: edited: its content does not match its hash: it was changed after it was written\n$/);
  });

  test('a deleted line, swapped lines and a cut tail: exit 1 at the right line', async () => {
    await writeDecisions();
    const intact = join(dir, 'intact.jsonl');
    await copyFile(logPath, intact);
    const cases: Array<[(lines: string[]) => string[], RegExp]> = [
      [(l) => l.filter((_, i) => i !== 2), /line 3: deleted-or-reordered: it does not follow line 2/],
      [(l) => [l[0], l[2], l[1], ...l.slice(3)] as string[], /line 2: deleted-or-reordered: /],
      [(l) => l.slice(0, 9), /line 10: truncated: the log ends after line 9 without a closing checkpoint \(the last checkpoint is line 7; 2 lines after it are not sealed\)/],
    ];
    for (const [edit, expected] of cases) {
      await copyFile(intact, logPath);
      await editLines(logPath, edit);
      const run = await logs('verify', '--config', config);
      expect(run.code).toBe(1);
      expect(run.err.trim().split('\n')).toHaveLength(1);
      expect(run.err).toMatch(expected);
    }
  });

  test('--live accepts a log still being written', async () => {
    const log = await openLog();
    await log.append(entry(1));
    const strict = await logs('verify', '--config', config);
    expect(strict.code).toBe(1);
    const live = await logs('verify', '--config', config, '--live');
    expect(live.code).toBe(0);
    expect(live.out).toMatch(/not closed: 1 line after the last checkpoint \(line 1\) is not sealed yet/);
    await log.close();
  });

  test('without receipts.key or --jwks: passes but says signatures were not checked', async () => {
    await writeDecisions();
    const bare = await writeConfig(false, 'bare.yaml');
    const run = await logs('verify', '--config', bare);
    expect(run.code).toBe(0);
    expect(run.out).toContain('checkpoint signatures NOT checked');
  });

  test('--jwks with another key: exit 1, bad checkpoint signature at line 1', async () => {
    await writeDecisions();
    const other = await makeSigner('other');
    await writeFile(join(dir, 'other.json'), JSON.stringify(other.jwks));
    const run = await logs('verify', '--config', config, '--jwks', join(dir, 'other.json'));
    expect(run.code).toBe(1);
    expect(run.err).toMatch(/line 1: bad-checkpoint-signature: this checkpoint is not genuine: its key "test-key" is not in the JWKS\n$/);
  });

  test('a missing --jwks file, a missing log and a filter flag each get one line and exit 2', async () => {
    const noLog = await logs('verify', '--config', config);
    expect(noLog).toMatchObject({ code: 2, err: expect.stringMatching(/^toolgate: no decision log at /) });
    await writeDecisions();
    const noJwks = await logs('verify', '--config', config, '--jwks', join(dir, 'none.json'));
    expect(noJwks).toMatchObject({ code: 2, err: expect.stringMatching(/^toolgate: no JWKS at .*none\.json\n$/) });
    const stray = await logs('verify', '--config', config, '--decision', 'deny');
    expect(stray).toMatchObject({ code: 2, err: 'toolgate: --decision applies to `toolgate logs`, not `toolgate logs verify`\n' });
  });
});
