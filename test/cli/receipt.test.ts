import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Command } from 'commander';
import { register } from '../../src/cli/receipt.js';
import type { CliIO } from '../../src/cli/run.js';
import { argsSha256 } from '../../src/receipts/digest.js';
import { input, makeKey, tempDir, type TestKey } from '../receipts/helpers.js';
import { runCli } from '../receipts/cli-harness.js';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
const ARGS = { path: './notes.txt', n: 1 };

let dir: string;
let cleanup: () => Promise<void>;
let key: TestKey;
let jwksPath: string;
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
  key = await makeKey();
  jwksPath = join(dir, 'jwks.json');
  await writeFile(jwksPath, JSON.stringify(key.signer.jwks()));
});
afterEach(async () => cleanup());

const verify = (...argv: string[]): ReturnType<typeof runCli> =>
  runCli((program: Command, io: CliIO) => register(program, io, () => NOW), ['receipt', 'verify', ...argv]);
const token = async (signedAt = NOW): Promise<string> => (await key.signer.sign(input({ approval: 'ap-7' }, argsSha256(ARGS)), signedAt)).token;

describe('toolgate receipt verify', () => {
  it('prints the claims readably and exits 0 for a valid receipt with matching args', async () => {
    const run = await verify(await token(), '--jwks', jwksPath, '--args', '{"n":1,"path":"./notes.txt"}');
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/^receipt valid\n/);
    expect(run.out).toContain('principal  alice');
    expect(run.out).toContain('tool       read_text_file');
    expect(run.out).toContain('approval   ap-7');
    expect(run.out).toContain('(matches --args)');
    expect(run.out).toContain('expires    2026-01-01T12:02:00Z (in 120 s)');
    expect(run.out).toContain(`key        ${key.kid} (EdDSA)`);
  });

  it('says when the arguments were not checked', async () => {
    const run = await verify(await token(), '--jwks', jwksPath);
    expect(run.code).toBe(0);
    expect(run.out).toContain('not checked: no --args');
  });

  it('prints JSON with --json', async () => {
    const run = await verify(await token(), '--jwks', jwksPath, '--json');
    expect(JSON.parse(run.out)).toMatchObject({ valid: true, header: { kid: key.kid }, claims: { sub: 'alice' } });
  });

  it.each([
    ['other arguments', ['--args', '{"n":2,"path":"./notes.txt"}'], 'toolgate: receipt refused: args-mismatch (issued for other arguments)'],
    ['another audience', ['--audience', 'payments'], 'toolgate: receipt refused: wrong-audience (issued for another upstream)'],
    ['another tool', ['--tool', 'write_file'], 'toolgate: receipt refused: wrong-tool (issued for another tool)'],
  ])('refuses a receipt for %s with one line and exit 1', async (_what, flags, line) => {
    const run = await verify(await token(), '--jwks', jwksPath, ...flags);
    expect(run.code).toBe(1);
    expect(run.out).toBe('');
    expect(run.err).toBe(`${line}\n`);
  });

  it('refuses an expired receipt', async () => {
    const run = await verify(await token(NOW - 3_600_000), '--jwks', jwksPath);
    expect(run.code).toBe(1);
    expect(run.err).toBe('toolgate: receipt refused: expired\n');
  });

  it('refuses a receipt signed by a key not in the JWKS', async () => {
    const other = await makeKey();
    const run = await verify((await other.signer.sign(input(), NOW)).token, '--jwks', jwksPath);
    expect(run.code).toBe(1);
    expect(run.err).toBe('toolgate: receipt refused: unknown-kid (signed with a key not in the JWKS)\n');
  });

  it('refuses a tampered receipt', async () => {
    const [h, p, s = ''] = (await token()).split('.');
    const run = await verify(`${h}.${p}.${(s[0] === 'A' ? 'B' : 'A') + s.slice(1)}`, '--jwks', jwksPath);
    expect(run.err).toBe('toolgate: receipt refused: bad-signature (signature does not verify)\n');
  });

  it('reports bad input in one line with exit 2: missing JWKS file, bad --args, no --jwks', async () => {
    const missing = await verify(await token(), '--jwks', join(dir, 'none.json'));
    expect(missing).toMatchObject({ code: 2, err: `toolgate: cannot read JWKS file ${join(dir, 'none.json')}: no such file\n` });
    const badArgs = await verify(await token(), '--jwks', jwksPath, '--args', '[1]');
    expect(badArgs).toMatchObject({ code: 2, err: 'toolgate: --args must be a JSON object\n' });
    const noJwks = await verify(await token());
    expect(noJwks.code).toBe(2);
    expect(noJwks.err.trim().split('\n')).toHaveLength(1);
  });
});

describe('bin/toolgate receipt verify (built CLI, as npm test builds it first)', () => {
  const bin = join(process.cwd(), 'bin', 'toolgate');
  const spawnCli = (...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((done) => {
      execFile(process.execPath, [bin, ...argv], (error, stdout, stderr) => {
        done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
      });
    });

  it('exits 0 for a fresh receipt and 1 with one stderr line, no stack, for other arguments', async () => {
    const fresh = (await key.signer.sign(input({}, argsSha256(ARGS)))).token;
    const ok = await spawnCli('receipt', 'verify', fresh, '--jwks', jwksPath, '--args', JSON.stringify(ARGS));
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^receipt valid\n/);
    const bad = await spawnCli('receipt', 'verify', fresh, '--jwks', jwksPath, '--args', '{"path":"./notes.txt","n":3}');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('toolgate: receipt refused: args-mismatch (issued for other arguments)\n');
  });
});
