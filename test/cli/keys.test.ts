import { execFile } from 'node:child_process';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { register } from '../../src/cli/keys.js';
import { tempDir } from '../receipts/helpers.js';
import { runCli } from '../receipts/cli-harness.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir()));
afterEach(async () => cleanup());

const keys = (...argv: string[]): ReturnType<typeof runCli> => runCli(register, ['keys', ...argv]);
const kidOf = async (path: string): Promise<string> => (JSON.parse(await readFile(path, 'utf8')) as { kid: string }).kid;

async function writeConfig(withKey: boolean): Promise<string> {
  const file = join(dir, 'toolgate.yaml');
  await writeFile(
    file,
    [
      'gateway: { name: demo-gateway }',
      'upstreams:',
      '  echo: { transport: stdio, command: node, args: [echo.mjs] }',
      'policy: { files: [policies/p.yaml] }',
      'log: { path: logs/decisions.jsonl }',
      `receipts: { ${withKey ? 'key: keys/gateway.key.json, ' : ''}ttl: 120s }`,
      '',
    ].join('\n'),
  );
  return file;
}

describe('toolgate keys generate', () => {
  it('writes a 0600 private key and a public JWKS and prints the kid', async () => {
    const out = join(dir, 'keys');
    const run = await keys('generate', '--out', out);
    expect(run.code).toBe(0);
    expect((await stat(join(out, 'gateway.key.json'))).mode & 0o777).toBe(0o600);
    const jwks = JSON.parse(await readFile(join(out, 'jwks.json'), 'utf8')) as { keys: Record<string, unknown>[] };
    expect(jwks.keys[0]).not.toHaveProperty('d');
    expect(run.out).toContain(`kid ${await kidOf(join(out, 'gateway.key.json'))}`);
  });

  it('takes --alg ES256', async () => {
    const run = await keys('generate', '--out', dir, '--alg', 'ES256', '--json');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.out)).toMatchObject({ alg: 'ES256' });
  });

  it('refuses an unknown --alg with one line and exit 2', async () => {
    const run = await keys('generate', '--out', dir, '--alg', 'HS256');
    expect(run.code).toBe(2);
    expect(run.err.trim().split('\n')).toHaveLength(1);
    expect(run.err).toMatch(/^toolgate: .*HS256/);
  });

  it('refuses to overwrite an existing key with one line and exit 2', async () => {
    await keys('generate', '--out', dir);
    const run = await keys('generate', '--out', dir);
    expect(run.code).toBe(2);
    expect(run.err).toBe(`toolgate: ${join(dir, 'gateway.key.json')} already exists; use \`toolgate keys rotate\` to replace it\n`);
  });
});

describe('toolgate keys rotate', () => {
  it('replaces the key named in the config and keeps the old public key', async () => {
    const config = await writeConfig(true);
    await keys('generate', '--out', join(dir, 'keys'));
    const keyPath = join(dir, 'keys', 'gateway.key.json');
    const before = await kidOf(keyPath);
    const run = await keys('rotate', '--config', config);
    expect(run.code).toBe(0);
    const after = await kidOf(keyPath);
    expect(after).not.toBe(before);
    expect((await stat(keyPath)).mode & 0o777).toBe(0o600);
    const jwks = JSON.parse(await readFile(join(dir, 'keys', 'jwks.json'), 'utf8')) as { keys: { kid: string }[] };
    expect(jwks.keys.map((k) => k.kid)).toEqual([after, before]);
    expect(run.out).toContain(`new active key ${after}`);
  });

  it('refuses a config without receipts.key, in one line', async () => {
    const config = await writeConfig(false);
    const run = await keys('rotate', '--config', config);
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/^toolgate: .*sets no receipts\.key to rotate.*\n$/);
  });

  it('refuses a missing key file with TG_KEY_INVALID naming it', async () => {
    const config = await writeConfig(true);
    const run = await keys('rotate', '--config', config);
    expect(run.code).toBe(2);
    expect(run.err).toBe(`toolgate: key file ${join(dir, 'keys', 'gateway.key.json')} cannot be read: no such file\n`);
  });
});

describe('bin/toolgate keys (built CLI, as npm test builds it first)', () => {
  const bin = join(process.cwd(), 'bin', 'toolgate');
  const spawnCli = (...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((done) => {
      execFile(process.execPath, [bin, ...argv], (error, stdout, stderr) => {
        done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
      });
    });

  it('generate exits 0 and leaves the private key at mode 0600; a second run exits 2 with one stderr line', async () => {
    const out = join(dir, 'keys');
    const first = await spawnCli('keys', 'generate', '--out', out);
    expect(first.code).toBe(0);
    expect((await stat(join(out, 'gateway.key.json'))).mode & 0o777).toBe(0o600);
    const second = await spawnCli('keys', 'generate', '--out', out);
    expect(second.code).toBe(2);
    expect(second.stderr).toBe(`toolgate: ${join(out, 'gateway.key.json')} already exists; use \`toolgate keys rotate\` to replace it\n`);
  });
});
