import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { isToolgateError } from '../../src/errors.js';
import { importClientConfig, type ImportOptions, type ImportResult } from '../../src/import/write.js';
import { loadPolicy } from '../../src/policy/load.js';
import { evaluate } from '../../src/policy/evaluate.js';
import { ARG_SECRETS, FIXTURES, tempDir, valuesOf } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir()));
afterEach(async () => cleanup());

const BIN = '/opt/toolgate/bin/toolgate';
const run = (file: string, more: Partial<ImportOptions> = {}): Promise<ImportResult> =>
  importClientConfig({ file, outDir: join(dir, 'out'), listen: 'stdio', force: false, nodePath: process.execPath, toolgateBin: BIN, env: {}, ...more });

/** An environment with every variable the import asked for, as the user would set it. */
const envFor = (result: ImportResult): NodeJS.ProcessEnv => Object.fromEntries(result.plan.variables.map((v) => [v.name, `value-of-${v.name}`]));

async function filesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (e) {
    return isToolgateError(e) ? e.code : String(e);
  }
  return undefined;
}

describe('importClientConfig', () => {
  it.each(Object.entries(FIXTURES))('writes a %s config that loadConfig accepts once its variables are set', async (_name, fixture) => {
    const result = await run(fixture);
    const loaded = await loadConfig(result.files.config, envFor(result));
    expect(Object.keys(loaded.upstreams)).toEqual(result.plan.servers.map((s) => s.name));
    expect(loaded.policy.files).toEqual([result.files.policy]);
    expect(loaded.receipts.key).toBe(result.files.key);
    expect(loaded.gateway.listen.transport).toBe('stdio');
  });

  it('fills ${VAR}s from the environment: the value reaches the upstream, never the file', async () => {
    const result = await run(FIXTURES.claude);
    const loaded = await loadConfig(result.files.config, envFor(result));
    const github = loaded.upstreams.github;
    expect(github?.transport === 'stdio' && github.env).toEqual({ GITHUB_PERSONAL_ACCESS_TOKEN: 'value-of-GITHUB_PERSONAL_ACCESS_TOKEN' });
    const postgres = loaded.upstreams.postgres;
    expect(postgres?.transport === 'stdio' && postgres.args[2]).toBe('postgresql://app:value-of-POSTGRES_PASSWORD@localhost:5432/shop');
  });

  it('names the unset variable when the gateway starts without it', async () => {
    const result = await run(FIXTURES.claude);
    await expect(loadConfig(result.files.config, {})).rejects.toMatchObject({ code: 'TG_ENV_UNSET' });
  });

  it.each(Object.entries(FIXTURES))('never writes a %s env value, header value or spotted credential to any file', async (_name, fixture) => {
    await run(fixture);
    const secrets = [...(await valuesOf(fixture)), ...ARG_SECRETS];
    expect(secrets.length).toBeGreaterThan(0);
    for (const file of await filesUnder(join(dir, 'out'))) {
      const text = await readFile(file, 'utf8');
      for (const secret of secrets) expect(text, `${secret} in ${file}`).not.toContain(secret);
    }
  });

  it('writes a starter policy that challenges every tool of every imported upstream and denies the rest', async () => {
    const result = await run(FIXTURES.cursor);
    const policy = await loadPolicy([result.files.policy], join(dir, 'out'));
    expect(policy.default).toBe('deny');
    const ctx = { principal: { id: 'alice', roles: [] }, session: 's', now: 0, paths: new Map(), rateCounts: new Map() };
    for (const { name } of result.plan.servers) {
      expect(evaluate(policy, { server: name, tool: 'anything', args: {} }, ctx).decision).toBe('challenge');
    }
    expect(evaluate(policy, { server: 'not-imported', tool: 'x', args: {} }, ctx).decision).toBe('deny');
    expect(await readFile(result.files.policy, 'utf8')).toContain('challenge over allow');
  });

  it('suggests an allow rule for tools the client auto-approved', async () => {
    const file = join(dir, 'cline.json');
    await writeFile(file, JSON.stringify({ mcpServers: { notes: { command: 'node', args: ['n.js'], autoApprove: ['read_note'] } } }));
    const result = await run(file);
    expect(await readFile(result.files.policy, 'utf8')).toContain('#   - { id: notes-auto-approved, effect: allow, server: notes, tools: ["read_note"] }');
  });

  it('writes a stdio client config that runs this node and bin/toolgate on the config, with the variables to fill in', async () => {
    const result = await run(FIXTURES.claude);
    const client = JSON.parse(await readFile(result.files.clientConfig, 'utf8')) as unknown;
    expect(client).toEqual({
      mcpServers: {
        toolgate: {
          command: process.execPath,
          args: [BIN, 'serve', '--config', result.files.config],
          env: Object.fromEntries(result.plan.variables.map((v) => [v.name, ''])),
        },
      },
    });
    expect((await stat(result.files.clientConfig)).mode & 0o777).toBe(0o600);
  });

  it('writes a VS Code client config that prompts for secrets and reads referenced variables from the environment', async () => {
    const result = await run(FIXTURES.vscode);
    const client = JSON.parse(await readFile(result.files.clientConfig, 'utf8')) as { inputs: unknown[]; servers: Record<string, unknown> };
    expect(client.inputs).toEqual([{ type: 'promptString', id: 'GITHUB_AUTHORIZATION', description: expect.any(String) as unknown, password: true }]);
    expect(client.servers.toolgate).toMatchObject({ type: 'stdio', env: { MY_TOKEN: '${env:MY_TOKEN}', GITHUB_AUTHORIZATION: '${input:GITHUB_AUTHORIZATION}' } });
  });

  it('with listen http, serves on 127.0.0.1:8787 and points the client at /mcp', async () => {
    const result = await run(FIXTURES.claude, { listen: 'http' });
    const loaded = await loadConfig(result.files.config, envFor(result));
    expect(loaded.gateway.listen).toMatchObject({ transport: 'http', host: '127.0.0.1', port: 8787 });
    expect(JSON.parse(await readFile(result.files.clientConfig, 'utf8'))).toEqual({
      mcpServers: { toolgate: { type: 'http', url: 'http://127.0.0.1:8787/mcp' } },
    });
  });

  it('makes a 0600 receipt key and keeps an existing one when forced', async () => {
    const first = await run(FIXTURES.claude);
    expect(first.files.keyCreated).toBe(true);
    expect((await stat(first.files.key)).mode & 0o777).toBe(0o600);
    const key = await readFile(first.files.key, 'utf8');
    const second = await run(FIXTURES.claude, { force: true });
    expect(second.files.keyCreated).toBe(false);
    expect(await readFile(first.files.key, 'utf8')).toBe(key);
  });

  it('refuses to overwrite existing files unless forced, and then writes nothing', async () => {
    const first = await run(FIXTURES.claude);
    await writeFile(first.files.policy, '# my own rules\n');
    expect(await codeOf(run(FIXTURES.cursor))).toBe('TG_USAGE');
    expect(await readFile(first.files.policy, 'utf8')).toBe('# my own rules\n');
    expect(await readFile(first.files.config, 'utf8')).toContain('github:');
    await run(FIXTURES.cursor, { force: true });
    expect(await readFile(first.files.config, 'utf8')).toContain('remote-api:');
  });

  it('writes server keys that YAML would read as numbers or booleans as strings', async () => {
    const file = join(dir, 'odd.json');
    await writeFile(file, JSON.stringify({ mcpServers: { '123': { command: 'a' }, true: { command: 'b' }, [`${'x'.repeat(40)}`]: { command: 'c' } } }));
    const result = await run(file);
    const loaded = await loadConfig(result.files.config, {});
    expect(Object.keys(loaded.upstreams)).toEqual(['123', 'true', 'x'.repeat(32)]);
    const policy = await loadPolicy(loaded.policy.files, loaded.baseDir);
    expect(policy.rules.map((r) => r.server)).toEqual(['123', 'true', 'x'.repeat(32)]);
  });

  it('fails with TG_FILE_NOT_FOUND, or TG_IMPORT_INVALID when nothing can be imported', async () => {
    expect(await codeOf(run(join(dir, 'missing.json')))).toBe('TG_FILE_NOT_FOUND');
    const file = join(dir, 'c.json');
    await writeFile(file, '{"mcpServers": {}}');
    expect(await codeOf(run(file))).toBe('TG_IMPORT_INVALID');
    await writeFile(file, '{"mcpServers": {"a": {"disabled": true, "command": "x"}}}');
    expect(await codeOf(run(file))).toBe('TG_IMPORT_INVALID');
  });
});
