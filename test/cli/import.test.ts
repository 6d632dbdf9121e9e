import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { decodeJwt } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { register } from '../../src/cli/import.js';
import { BIN, connectHttp, startHttpGateway } from '../helpers/gateway.js';
import { SERVERS } from '../helpers/workspace.js';
import { ARG_SECRETS, FIXTURES, tempDir, valuesOf } from '../import/helpers.js';
import { runCli } from '../receipts/cli-harness.js';

const exec = promisify(execFile);
let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir()));
afterEach(async () => cleanup());

const importCli = (...argv: string[]): ReturnType<typeof runCli> => runCli(register, ['import', 'claude-desktop', ...argv]);

describe('toolgate import claude-desktop', () => {
  it('prints the upstreams, the skipped ones with reasons, renames, the variables by name, the files and the next commands', async () => {
    const out = join(dir, 'out');
    const run = await importCli(FIXTURES.claude, '--out', out);
    expect(run.code).toBe(0);
    expect(run.err).toBe('');
    expect(run.out).toContain(`imported 5 upstreams from ${FIXTURES.claude}:`);
    expect(run.out).toMatch(/brave-search +stdio +npx -y @modelcontextprotocol\/server-brave-search +\(renamed from "brave search"\)/);
    expect(run.out).toMatch(/\n {2}broken +has neither command nor url\n {2}old +disabled in the client config\n/);
    expect(run.out).toMatch(/\n {2}GITHUB_PERSONAL_ACCESS_TOKEN +env GITHUB_PERSONAL_ACCESS_TOKEN of upstream github\n/);
    expect(run.out).toContain(`  put their values in the "env" of ${join(out, 'client-config.json')}\n`);
    expect(run.out).toContain(`  ${join(out, 'toolgate.yaml')}  (checked: 5 upstreams, stdio listener)`);
    expect(run.out).toContain(`toolgate validate --config ${join(out, 'toolgate.yaml')}`);
  });

  it.each(Object.entries(FIXTURES))('never prints a %s secret on stdout or stderr', async (_name, fixture) => {
    const secrets = [...(await valuesOf(fixture)), ...ARG_SECRETS];
    for (const argv of [['--out', join(dir, 'a')], ['--out', join(dir, 'b'), '--json'], ['--out', join(dir, 'a')]]) {
      const run = await importCli(fixture, ...argv);
      for (const secret of secrets) expect(`${run.out}${run.err}`).not.toContain(secret);
    }
  });

  it('prints JSON with --json', async () => {
    const run = await importCli(FIXTURES.cursor, '--out', join(dir, 'out'), '--json');
    const summary = JSON.parse(run.out) as { upstreams: { name: string; from: string }[]; skipped: unknown[]; variables: { name: string }[] };
    expect(summary.upstreams.map((u) => u.name)).toEqual(['linear', 'remote-api', 'local-tools', 'other-tools']);
    expect(summary.skipped).toHaveLength(2);
    expect(summary.variables.map((v) => v.name)).toContain('REMOTE_API_AUTHORIZATION');
  });

  it('refuses to overwrite with one line and exit 2, and overwrites with --force', async () => {
    const out = join(dir, 'out');
    await importCli(FIXTURES.claude, '--out', out);
    const again = await importCli(FIXTURES.claude, '--out', out);
    expect(again.code).toBe(2);
    expect(again.err).toMatch(/^toolgate: refusing to overwrite .*toolgate\.yaml.*: use --force, or choose another --out\n$/);
    expect((await importCli(FIXTURES.claude, '--out', out, '--force')).code).toBe(0);
  });

  it('says which file is missing, where JSON breaks, and when there is nothing to import: one line each, exit 2', async () => {
    const missing = await importCli(join(dir, 'nope.json'));
    expect(missing).toMatchObject({ code: 2, err: `toolgate: cannot read ${join(dir, 'nope.json')}: no such file\n` });

    const bad = join(dir, 'bad.json');
    await writeFile(bad, '{\n  "mcpServers": {\n    "a": { "command": "x" }\n    "b": {}\n  }\n}\n');
    const broken = await importCli(bad, '--out', join(dir, 'out'));
    expect(broken.code).toBe(2);
    expect(broken.err).toBe(`toolgate: ${bad}:4:5: invalid JSON: Expected ',' or '}' after property value\n`);

    await writeFile(bad, '{"globalShortcut": "Ctrl+Space"}');
    expect((await importCli(bad, '--out', join(dir, 'out'))).err).toBe(`toolgate: ${bad}: no "mcpServers" (or VS Code "servers") object to import\n`);
  });

  it('refuses an unknown --listen', async () => {
    const run = await importCli(FIXTURES.claude, '--listen', 'tcp');
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/^toolgate: option '--listen <transport>' argument 'tcp' is invalid/);
  });

  it('has --help naming the files it writes', async () => {
    const run = await importCli('--help');
    expect(run.code).toBe(0);
    expect(run.out).toContain('--listen <transport>');
    expect(run.out).toContain('DIR/client-config.json');
  });
});

describe('toolgate import claude-desktop, end to end', () => {
  const SECRET = 'e2e-not-for-files-31337';
  const callEcho = (client: Client): Promise<CallToolResult> => client.callTool({ name: 'echo', arguments: { text: 'hi' } }) as Promise<CallToolResult>;
  const decisionOf = (r: CallToolResult): { decision?: string; approval?: string } => (r._meta?.['toolgate/decision'] ?? {}) as { decision?: string; approval?: string };

  async function importRecorder(listen: 'stdio' | 'http'): Promise<{ out: string; env: Record<string, string>; received: () => Promise<string> }> {
    const input = join(dir, 'claude_desktop_config.json');
    const receivedFile = join(dir, 'received.jsonl');
    await writeFile(
      input,
      JSON.stringify({ mcpServers: { recorder: { command: process.execPath, args: [SERVERS.recorder, 'stdio'], env: { RECORDER_FILE: receivedFile, RECORDER_TOKEN: SECRET } } } }),
    );
    const out = join(dir, 'toolgate');
    const { stdout, stderr } = await exec(process.execPath, [BIN, 'import', 'claude-desktop', input, '--out', out, '--listen', listen]);
    expect(`${stdout}${stderr}`).not.toContain(SECRET);
    // What the person does next: set the variables to the values their client config had.
    const env = { RECORDER_FILE: receivedFile, RECORDER_TOKEN: SECRET };
    return { out, env, received: () => readFile(receivedFile, 'utf8').catch(() => '') };
  }

  it('the stdio client config starts the gateway, whose starter policy challenges the call until a person approves', async () => {
    const { out, env, received } = await importRecorder('stdio');
    const client = JSON.parse(await readFile(join(out, 'client-config.json'), 'utf8')) as {
      mcpServers: { toolgate: { command: string; args: string[]; env: Record<string, string> } };
    };
    const entry = client.mcpServers.toolgate;
    expect(entry.args).toEqual([BIN, 'serve', '--config', join(out, 'toolgate.yaml')]);
    expect(Object.keys(entry.env).sort()).toEqual(['RECORDER_FILE', 'RECORDER_TOKEN']);

    const validated = await exec(process.execPath, [BIN, 'validate', '--config', join(out, 'toolgate.yaml')], { env: { ...process.env, ...env } });
    expect(validated.stdout).toMatch(/^ok: /);

    const transport = new StdioClientTransport({ command: entry.command, args: entry.args, env: { ...entry.env, ...env }, stderr: 'pipe' });
    const mcp = new Client({ name: 'e2e', version: '1.0.0' });
    await mcp.connect(transport);
    try {
      expect((await mcp.listTools()).tools.map((t) => t.name)).toContain('echo');
      const first = await callEcho(mcp);
      expect(first.isError).toBe(true);
      expect(decisionOf(first)).toMatchObject({ decision: 'challenge' });
      expect(await received()).toBe('');

      const id = decisionOf(first).approval as string;
      await exec(process.execPath, [BIN, 'approvals', 'approve', id, '--config', join(out, 'toolgate.yaml')], { env: { ...process.env, ...env } });
      const second = await callEcho(mcp);
      expect(second.isError).toBeFalsy();
      expect(decodeJwt(second._meta?.['toolgate/receipt'] as string)).toMatchObject({ iss: 'toolgate', aud: 'recorder', tool: 'echo', approval: id });
      expect(await received()).toContain('"tool":"echo"');
    } finally {
      await mcp.close();
    }
    const written = await Promise.all(['toolgate.yaml', 'policies/imported.yaml', 'client-config.json'].map((f) => readFile(join(out, f), 'utf8')));
    for (const text of written) expect(text).not.toContain(SECRET);
  });

  it('with --listen http the gateway serves Streamable HTTP and challenges the call', async () => {
    const { out, env, received } = await importRecorder('http');
    const gateway = await startHttpGateway(join(out, 'toolgate.yaml'), env);
    try {
      const mcp = await connectHttp(gateway.url);
      const result = await callEcho(mcp);
      expect(result.isError).toBe(true);
      expect(decisionOf(result)).toMatchObject({ decision: 'challenge' });
      expect(await received()).toBe('');
      await mcp.close();
    } finally {
      await gateway.stop();
    }
    expect(`${gateway.stdout()}${gateway.stderr()}`).not.toContain(SECRET);
  });
});
