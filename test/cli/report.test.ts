// `toolgate report`: the file written, the one-line summary, exit codes and one-line errors.
import { execFile } from 'node:child_process';
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { register } from '../../src/cli/report.js';
import { openDecisionLog, type CheckpointSigner } from '../../src/log/decisions.js';
import { BIN } from '../helpers/gateway.js';
import { runCli } from '../receipts/cli-harness.js';
import { editLines, entry, makeSigner, tempDir, writeLogConfig } from '../log/helpers.js';
import { writeSampleLog } from '../report/helpers.js';

const exec = promisify(execFile);
let dir: string;
let cleanup: () => Promise<void>;
let signer: CheckpointSigner;
let config: string;
let logPath: string;
let out: string;

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir('tg-cli-report-'));
  const made = await makeSigner();
  signer = made.signer;
  await mkdir(join(dir, 'keys'));
  await writeFile(join(dir, 'keys', 'jwks.json'), JSON.stringify(made.jwks));
  config = await writeConfig(true);
  logPath = join(dir, 'logs', 'decisions.jsonl');
  out = join(dir, 'out.html');
});
afterEach(async () => cleanup());

const writeConfig = (withKey: boolean, name = 'toolgate.yaml'): Promise<string> => writeLogConfig(dir, withKey, name);

const report = (...argv: string[]): ReturnType<typeof runCli> => runCli(register, ['report', ...argv]);
// The sample log is written for 2025-01-01; the period runs from then to now.
const SAMPLE = ['--since', '2025-01-01T00:00:00Z'];

describe('toolgate report', () => {
  test('writes the HTML file (mode 0640) and prints one summary line', async () => {
    await writeSampleLog(logPath, signer);
    const run = await report('--config', config, '--out', out, ...SAMPLE);
    expect(run.code).toBe(0);
    expect(run.err).toBe('');
    expect(run.out).toMatch(
      /^wrote .*out\.html: 9 decisions \(3 allow, 2 challenge, 4 deny\) from 2025-01-01 00:00 to \d{4}-\d\d-\d\d \d\d:\d\d UTC; chain intact, closed cleanly, checkpoint signatures checked\n$/,
    );
    const html = await readFile(out, 'utf8');
    expect(html).toContain('Content-Security-Policy');
    expect(html).toContain('<section class="chain ok">');
    expect(html).toContain(`checked against ${join(dir, 'keys', 'jwks.json')}`);
    expect((await stat(out)).mode & 0o777).toBe(0o640);
  });

  test('--since defaults to 7d: older decisions are left out', async () => {
    const log = await openDecisionLog({ path: logPath, redact: [], checkpoint: { every: 5, intervalMs: 60_000 }, signer });
    await log.append(entry(1, { time: new Date(Date.now() - 8 * 86_400_000).toISOString() }));
    await log.append(entry(2, { time: new Date(Date.now() - 60_000).toISOString() }));
    await log.append(entry(3, { time: new Date(Date.now() - 6 * 86_400_000).toISOString(), decision: 'deny', receipt: null }));
    await log.close();
    const run = await report('--config', config, '--out', out);
    expect(run.code).toBe(0);
    expect(run.out).toContain(': 2 decisions (1 allow, 0 challenge, 1 deny) from ');
    expect(await readFile(out, 'utf8')).toContain('(since 7d)');
  });

  test('replaces an existing report whole and leaves no temporary file', async () => {
    await writeSampleLog(logPath, signer);
    await writeFile(out, 'old report');
    expect((await report('--config', config, '--out', out, ...SAMPLE)).code).toBe(0);
    expect(await readFile(out, 'utf8')).toMatch(/^<!doctype html>/);
    expect((await readdir(dir)).filter((f) => f.includes('.tmp'))).toEqual([]);
  });

  test('a tampered log: the report is written, the summary names the line, exit 1', async () => {
    await writeSampleLog(logPath, signer);
    await editLines(logPath, (lines) => lines.map((l, i) => (i === 3 ? l.replace('"allow"', '"deny"') : l)));
    const run = await report('--config', config, '--out', out, ...SAMPLE);
    expect(run.code).toBe(1);
    expect(run.out.trim().split('\n')).toHaveLength(1);
    expect(run.out).toMatch(/; chain BROKEN at line 4 \(edited\): see the report\n$/);
    expect(await readFile(out, 'utf8')).toContain('Decision log chain: broken at line 4 (edited)');
  });

  test('checkpoints signed by another key: exit 1, broken at line 1', async () => {
    await writeSampleLog(logPath, signer);
    const other = await makeSigner('other');
    await writeFile(join(dir, 'other.json'), JSON.stringify(other.jwks));
    const run = await report('--config', config, '--out', out, '--jwks', join(dir, 'other.json'), ...SAMPLE);
    expect(run.code).toBe(1);
    expect(run.out).toMatch(/chain BROKEN at line 1 \(bad-checkpoint-signature\)/);
  });

  test('without receipts.key: a report that says signatures were not checked, exit 0', async () => {
    await writeSampleLog(logPath, signer);
    const bare = await writeConfig(false, 'bare.yaml');
    const run = await report('--config', bare, '--out', out, ...SAMPLE);
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/chain intact, closed cleanly, checkpoint signatures NOT checked\n$/);
    expect(await readFile(out, 'utf8')).toContain('Checkpoint signatures: NOT checked: no receipts.key in the config');
  });

  test('bad --since: one line, exit 2, nothing written', async () => {
    await writeSampleLog(logPath, signer);
    for (const since of ['5x', '2999-01-01', '0d']) {
      const run = await report('--config', config, '--out', out, '--since', since);
      expect(run.code, since).toBe(2);
      expect(run.err.trim().split('\n')).toHaveLength(1);
      expect(run.err).toMatch(/^toolgate: --since (expects a duration such as 30m, 1h or 7d, or an ISO date|must reach into the past), not "/);
    }
    await expect(stat(out)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  test('a missing config, log, --jwks file or output folder: one line, exit 2', async () => {
    expect(await report('--config', join(dir, 'nope.yaml'), '--out', out)).toMatchObject({
      code: 2,
      err: expect.stringMatching(/^toolgate: cannot read config .*nope\.yaml: no such file\n$/),
    });
    expect(await report('--config', config, '--out', out)).toMatchObject({
      code: 2,
      err: expect.stringMatching(/^toolgate: no decision log at .*decisions\.jsonl\n$/),
    });
    await writeSampleLog(logPath, signer);
    expect(await report('--config', config, '--out', out, '--jwks', join(dir, 'none.json'))).toMatchObject({
      code: 2,
      err: expect.stringMatching(/^toolgate: no JWKS at .*none\.json\n$/),
    });
    expect(await report('--config', config, '--out', join(dir, 'no', 'such', 'r.html'))).toMatchObject({
      code: 2,
      err: expect.stringMatching(/^toolgate: cannot write .*r\.html: its folder does not exist\n$/),
    });
  });

  test('--out naming a folder: one line, exit 1', async () => {
    await writeSampleLog(logPath, signer);
    const run = await report('--config', config, '--out', dir);
    expect(run.code).toBe(1);
    expect(run.err).toMatch(/^toolgate: cannot write .*: E[A-Z]+\n$/);
  });

  test('--help describes the command and every option with its default', async () => {
    const run = await report('--help');
    expect(run.code).toBe(0);
    const help = run.out.replace(/\s+/g, ' ');
    expect(help).toContain('self-contained HTML report');
    expect(help).toMatch(/--config <file> [^-]*\(default: "toolgate\.yaml"\)/);
    expect(help).toMatch(/--since <duration> [^-]*\(default: "7d"\)/);
    expect(help).toMatch(/--out <file> [^-]*\(default: "report\.html"\)/);
    expect(help).toContain('--jwks <file>');
  });

  test('an unknown flag: one line, exit 2', async () => {
    const run = await report('--bogus');
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/^toolgate: unknown option '--bogus'/);
  });
});

describe('bin/toolgate report (built CLI, as npm test builds it first)', () => {
  test('with no flags: reads ./toolgate.yaml, writes ./report.html', async () => {
    await writeSampleLog(logPath, signer);
    const { stdout, stderr } = await exec(process.execPath, [BIN, 'report', '--since', '3000d'], { cwd: dir });
    expect(stderr).toBe('');
    expect(stdout).toMatch(/^wrote report\.html: 10 decisions /);
    expect(await readFile(join(dir, 'report.html'), 'utf8')).toMatch(/^<!doctype html>/);
  });
});
