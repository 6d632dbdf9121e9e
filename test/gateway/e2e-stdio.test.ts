// End to end over stdio: the SDK's real Client → `toolgate serve` → real upstreams from npm and test/servers.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { McpError, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { connectStdio, type Connected } from '../helpers/gateway.js';
import { makeWorkspace, stdioUpstream, type Workspace } from '../helpers/workspace.js';

let ws: Workspace;
let gw: Connected;

beforeAll(async () => {
  ws = await makeWorkspace({
    upstreams: {
      filesystem: stdioUpstream('filesystem'),
      memory: stdioUpstream('memory'),
      everything: stdioUpstream('everything'),
      recorder: stdioUpstream('recorder'),
    },
  });
  gw = await connectStdio(ws.config);
});

afterAll(async () => {
  await gw?.close();
  await ws?.cleanup();
});

const call = (name: string, args: Record<string, unknown>) => gw.client.callTool({ name, arguments: args }) as Promise<CallToolResult>;
const text = (r: CallToolResult) => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('');
const decisionOf = (r: CallToolResult) => r._meta?.['toolgate/decision'] as { decision: string; rules: string[]; reasons: string[] };

describe('tools/list', () => {
  test('several upstreams: every tool is <upstream>__<tool>', async () => {
    const { tools } = await gw.client.listTools();
    const names = tools.map((t) => t.name);
    expect(names).toContain('filesystem__read_text_file');
    expect(names).toContain('memory__create_entities');
    expect(names).toContain('everything__echo');
    expect(names).toContain('recorder__echo');
    expect(names.every((n) => /^[A-Za-z0-9_-]{1,64}$/.test(n))).toBe(true);
  });

  test('tools the policy denies outright are not listed', async () => {
    const names = (await gw.client.listTools()).tools.map((t) => t.name);
    // server-everything's other tools match no allow rule and the default is deny.
    expect(names).not.toContain('everything__get-env');
    expect(names).not.toContain('filesystem__read_multiple_files');
  });
});

describe('allow', () => {
  test('an allowed call reaches the upstream with the receipt, and the client gets it back', async () => {
    const result = await call('recorder__echo', { text: 'hi there' });
    expect(text(result)).toBe('hi there');
    const receipt = result._meta?.['toolgate/receipt'];
    expect(typeof receipt).toBe('string');
    const received = await ws.received();
    const last = received.at(-1);
    expect(last).toMatchObject({ tool: 'echo', args: { text: 'hi there' } });
    expect(last?.receipt).toBe(receipt);
  });

  test('server-filesystem reads a file under the sandbox', async () => {
    // server-filesystem resolves relative paths against its own roots, so agents send absolute ones.
    const result = await call('filesystem__read_text_file', { path: join(ws.dir, 'sandbox/notes.txt') });
    expect(result.isError).toBeFalsy();
    expect(text(result)).toContain('hello from the sandbox');
  });

  test('server-memory stores an entity (the upstream acted)', async () => {
    const result = await call('memory__create_entities', {
      entities: [{ name: 'toolgate', entityType: 'project', observations: ['guards tool calls'] }],
    });
    expect(result.isError).toBeFalsy();
    expect(await readFile(ws.memoryFile, 'utf8')).toContain('"name":"toolgate"');
  });

  test('server-everything echoes', async () => {
    const result = await call('everything__echo', { message: 'ping' });
    expect(text(result)).toContain('ping');
  });
});

describe('deny', () => {
  test('a deny rule refuses with isError, names the rule and reason, and nothing is forwarded', async () => {
    const before = (await ws.received()).length;
    const result = await call('recorder__read_secret', { path: './sandbox/.env' });
    expect(result.isError).toBe(true);
    expect(decisionOf(result)).toEqual({ decision: 'deny', rules: ['never-dotenv'], reasons: ['dotenv files hold secrets'] });
    expect(text(result)).toContain('never-dotenv');
    expect((await ws.received()).length).toBe(before);
  });

  test.each([
    ['..', '../secret.txt'],
    ['sandbox/..', './sandbox/../secret.txt'],
    ['an absolute path outside', 'ABS'],
    ['a symlink inside pointing outside', './sandbox/escape.txt'],
    ['a sibling with the same prefix', './sandbox-evil/loot.txt'],
  ])('path trick refused before the upstream: %s', async (_name, raw) => {
    const path = raw === 'ABS' ? join(ws.dir, 'secret.txt') : raw;
    const before = (await ws.received()).length;
    const viaRecorder = await call('recorder__read_secret', { path });
    expect(viaRecorder.isError).toBe(true);
    expect(decisionOf(viaRecorder).decision).toBe('deny');
    expect((await ws.received()).length).toBe(before);
    const viaFilesystem = await call('filesystem__read_text_file', { path });
    expect(viaFilesystem.isError).toBe(true);
    expect(decisionOf(viaFilesystem).decision).toBe('deny');
    expect(text(viaFilesystem)).not.toContain('outside the sandbox');
  });

  test('an argument over an inclusive bound is denied; the bound itself is allowed', async () => {
    expect((await call('recorder__refund', { amount_usd: 100 })).isError).toBeFalsy();
    const over = await call('recorder__refund', { amount_usd: 100.01 });
    expect(over.isError).toBe(true);
    expect((await ws.received()).filter((r) => r.tool === 'refund').map((r) => r.args.amount_usd)).toEqual([100]);
  });
});

describe('challenge', () => {
  test('a write is challenged, answered as a tool error, and the file is not written', async () => {
    const target = join(ws.dir, 'sandbox/new.txt');
    const result = await call('filesystem__write_file', { path: './sandbox/new.txt', content: 'x' });
    expect(result.isError).toBe(true);
    expect(decisionOf(result)).toMatchObject({ decision: 'challenge', rules: ['writes-need-a-person'] });
    expect(text(result)).toContain('a person must approve');
    expect(existsSync(target)).toBe(false);
  });
});

describe('bad input', () => {
  test('an unknown tool is a JSON-RPC error naming the tool', async () => {
    const error = await call('recorder__nope', {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(McpError);
    expect((error as McpError).code).toBe(-32602);
    expect((error as McpError).message).toContain('recorder__nope');
  });

  test('arguments of the wrong type are refused with -32602 and never forwarded', async () => {
    const before = (await ws.received()).length;
    const error = await call('recorder__echo', { text: 42 }).catch((e: unknown) => e);
    expect((error as McpError).code).toBe(-32602);
    expect((error as McpError).data).toMatchObject({ code: 'TG_BAD_ARGS' });
    expect((await ws.received()).length).toBe(before);
  });

  test('an upstream tool error comes back as the upstream sent it', async () => {
    const result = await call('recorder__fail', {});
    expect(result.isError).toBe(true);
    expect(text(result)).toBe('it failed');
  });
});
