// Issue 8: upstream failures do not take the gateway down. An upstream killed mid-call, one that
// never answers, one that answers garbage, one that fails to start: each time the other upstream
// keeps serving, the failed calls get a clear error logged as upstream-unavailable, and the failed
// upstream is restarted (or reconnected) with backoff, its tools back with a list_changed.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult, McpError } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { eventually, gatewayStdio, observingClient, type Observed } from '../helpers/clients.js';
import { ROOT, makeWorkspace, stdioUpstream, type Workspace } from '../helpers/workspace.js';

const FLAKY = join(ROOT, 'test/servers/flaky.mjs');
const ALLOW_ALL = `version: 1
default: deny
rules:
  - id: all
    effect: allow
    tools: ["*"]
`;

const flakyBlock = (extraEnv = ''): string =>
  `    transport: stdio\n    command: ${JSON.stringify(process.execPath)}\n    args: ["${FLAKY}"]\n    env: { FLAKY_LOG: ./flaky.log${extraEnv} }\n    timeout: 2s\n`;

interface Running {
  readonly ws: Workspace;
  readonly client: Client;
  readonly seen: Observed;
  stderr(): string;
}

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

async function start(upstreams: Record<string, string>): Promise<Running> {
  const ws = await makeWorkspace({ upstreams, policy: ALLOW_ALL });
  cleanups.push(() => ws.cleanup());
  const { client, seen } = observingClient({});
  const gw = gatewayStdio(ws.config);
  await client.connect(gw.transport);
  cleanups.push(() => client.close());
  return { ws, client, seen, stderr: gw.stderr };
}

const call = (client: Client, name: string, args: Record<string, unknown> = {}, signal?: AbortSignal) =>
  client.callTool({ name, arguments: args }, undefined, { ...(signal ? { signal } : {}), timeout: 30_000 }) as Promise<CallToolResult>;
const errorOf = (p: Promise<unknown>): Promise<McpError> => p.then(() => expect.fail('expected an error'), (e: unknown) => e as McpError);
const text = (r: CallToolResult) => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('');

async function flakyLog(ws: Workspace): Promise<string[]> {
  return (await readFile(join(ws.dir, 'flaky.log'), 'utf8').catch(() => '')).split('\n').filter(Boolean);
}
const pids = async (ws: Workspace): Promise<number[]> => (await flakyLog(ws)).filter((l) => l.startsWith('started ')).map((l) => Number(l.slice(8)));

/** The outcome line of the last decision for `tool`. */
// Outcome lines follow their decision within a few milliseconds (they share the next write).
async function outcomeOf(ws: Workspace, tool: string): Promise<string | undefined> {
  const lines = (await readFile(ws.logFile, 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  const decision = lines.filter((l) => l.type === 'decision' && l.tool === tool).at(-1);
  return lines.find((l) => l.type === 'outcome' && l.id === decision?.id)?.outcome as string | undefined;
}

const toolNames = async (client: Client) => (await client.listTools()).tools.map((t) => t.name);
const toolsChanged = (seen: Observed) => seen.changed.filter((c) => c === 'tools').length;

/** Waits until flaky's tools are listed again and answer; returns how many times it has started. */
async function recovered(r: Running, startsBefore: number): Promise<void> {
  expect(await eventually(async () => (await pids(r.ws)).length > startsBefore)).toBe(true);
  expect(await eventually(async () => (await toolNames(r.client)).includes('flaky__echo'))).toBe(true);
  expect(text(await call(r.client, 'flaky__echo', { text: 'back again' }))).toBe('back again');
}

describe('an upstream killed mid-call', () => {
  test('the call fails with TG_UPSTREAM_UNAVAILABLE (logged upstream-unavailable), the other upstream serves, the killed one is restarted and its tools reappear with list_changed', async () => {
    const r = await start({ flaky: flakyBlock(), recorder: stdioUpstream('recorder') });
    const [pid] = await pids(r.ws);
    const changedBefore = toolsChanged(r.seen);
    const pending = errorOf(call(r.client, 'flaky__hang'));
    expect(await eventually(async () => (await flakyLog(r.ws)).includes('call hang'))).toBe(true);
    process.kill(pid as number, 'SIGKILL');
    const error = await pending;
    expect(error.code).toBe(-32603);
    expect(error.data).toMatchObject({ code: 'TG_UPSTREAM_UNAVAILABLE' });
    expect(await eventually(async () => (await outcomeOf(r.ws, 'hang')) === 'upstream-unavailable')).toBe(true);
    expect(text(await call(r.client, 'recorder__echo', { text: 'still serving' }))).toBe('still serving');
    await recovered(r, 1);
    // Down (tools hidden) and up again (tools back): both announced.
    expect(await eventually(() => toolsChanged(r.seen) >= changedBefore + 2)).toBe(true);
    expect(r.stderr()).toMatch(/upstream flaky is unavailable: the connection closed; retrying in/);
  });
});

describe('an upstream that never answers', () => {
  test('a slow call hits the configured timeout and is cancelled upstream; an upstream that still answers pings stays up', async () => {
    const r = await start({ flaky: flakyBlock(), recorder: stdioUpstream('recorder') });
    const error = await errorOf(call(r.client, 'flaky__hang'));
    expect(error.code).toBe(-32603);
    expect(error.data).toMatchObject({ code: 'TG_UPSTREAM_TIMEOUT' });
    expect(error.message).toContain('2000 ms');
    expect(await eventually(async () => (await flakyLog(r.ws)).includes('cancelled hang'))).toBe(true);
    expect(await eventually(async () => (await outcomeOf(r.ws, 'hang')) === 'upstream-unavailable')).toBe(true);
    expect(text(await call(r.client, 'flaky__echo', { text: 'same process' }))).toBe('same process');
    expect(await pids(r.ws)).toHaveLength(1);
  });

  test('a client cancel is passed upstream as notifications/cancelled', async () => {
    const r = await start({ flaky: flakyBlock(), recorder: stdioUpstream('recorder') });
    const abort = new AbortController();
    const pending = call(r.client, 'flaky__hang', {}, abort.signal).catch((e: unknown) => e);
    expect(await eventually(async () => (await flakyLog(r.ws)).includes('call hang'))).toBe(true);
    abort.abort('changed my mind');
    await pending;
    expect(await eventually(async () => (await flakyLog(r.ws)).includes('cancelled hang'))).toBe(true);
  });

  test('an upstream that stops answering altogether is found out by a ping, restarted, and serves again; the other upstream serves throughout', async () => {
    const r = await start({ flaky: flakyBlock(), recorder: stdioUpstream('recorder') });
    const error = await errorOf(call(r.client, 'flaky__mute'));
    expect(error.data).toMatchObject({ code: 'TG_UPSTREAM_TIMEOUT' });
    expect(text(await call(r.client, 'recorder__echo', { text: 'unaffected' }))).toBe('unaffected');
    await recovered(r, 1);
    expect(r.stderr()).toMatch(/did not answer a ping/);
  });
});

describe('an upstream that answers garbage', () => {
  test('a malformed result is TG_UPSTREAM_INVALID; a stray non-JSON line makes the gateway ping it; it answers, so it stays', async () => {
    const r = await start({ flaky: flakyBlock(), recorder: stdioUpstream('recorder') });
    const error = await errorOf(call(r.client, 'flaky__garbage'));
    expect(error.code).toBe(-32603);
    expect(error.data).toMatchObject({ code: 'TG_UPSTREAM_INVALID' });
    expect(await eventually(async () => (await outcomeOf(r.ws, 'garbage')) === 'error')).toBe(true);
    expect(text(await call(r.client, 'flaky__echo', { text: 'fine' }))).toBe('fine');
    expect(await pids(r.ws)).toHaveLength(1);
  });

  test('an upstream that only babbles is restarted; the other upstream serves throughout', async () => {
    const r = await start({ flaky: flakyBlock(), recorder: stdioUpstream('recorder') });
    await errorOf(call(r.client, 'flaky__babble'));
    expect(text(await call(r.client, 'recorder__echo', { text: 'unaffected' }))).toBe('unaffected');
    await recovered(r, 1);
  });
});

describe('an upstream that fails to start', () => {
  test('is retried with backoff; meanwhile its calls get TG_UPSTREAM_UNAVAILABLE; when it comes up its tools appear with list_changed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tg-down-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const downFile = join(dir, 'down');
    await writeFile(downFile, 'down\n');
    const r = await start({ flaky: flakyBlock(`, FLAKY_DOWN_FILE: ${JSON.stringify(downFile)}`), recorder: stdioUpstream('recorder') });
    expect(r.stderr()).toMatch(/upstream flaky failed to start: .*retrying in 500 ms/);
    expect(await toolNames(r.client)).not.toContain('flaky__echo');
    const error = await errorOf(call(r.client, 'flaky__echo', { text: 'x' }));
    expect(error.data).toMatchObject({ code: 'TG_UPSTREAM_UNAVAILABLE' });
    expect(await eventually(async () => (await outcomeOf(r.ws, 'echo')) === 'upstream-unavailable')).toBe(true);
    expect(text(await call(r.client, 'recorder__echo', { text: 'serving' }))).toBe('serving');
    const changedBefore = toolsChanged(r.seen);
    await rm(downFile);
    await recovered(r, 0);
    expect(toolsChanged(r.seen)).toBeGreaterThan(changedBefore);
  });
});

describe('an HTTP upstream that goes away', () => {
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) c.kill();
  });
  const serve = (port: number, logFile: string): Promise<number> => {
    const child = spawn(process.execPath, [FLAKY, 'http', String(port)], { env: { ...process.env, FLAKY_LOG: logFile }, stdio: ['ignore', 'pipe', 'ignore'] });
    children.push(child);
    return new Promise((resolve) => child.stdout?.once('data', (c: Buffer) => resolve(Number(c.toString().trim()))));
  };

  test('is reconnected when it comes back on the same URL; meanwhile its calls fail clearly and the other upstream serves', async () => {
    const ws = await makeWorkspace({ upstreams: {}, policy: ALLOW_ALL });
    cleanups.push(() => ws.cleanup());
    const port = await serve(0, join(ws.dir, 'http.log'));
    const r = await start({ remote: `    transport: http\n    url: http://127.0.0.1:${port}/mcp\n    timeout: 2s\n`, recorder: stdioUpstream('recorder') });
    expect(text(await call(r.client, 'remote__echo', { text: 'over http' }))).toBe('over http');
    const first = children.at(-1) as ChildProcess;
    const gone = new Promise((resolve) => first.once('exit', resolve));
    first.kill('SIGKILL');
    await gone;
    const error = await errorOf(call(r.client, 'remote__echo', { text: 'anyone?' }));
    expect(error.data).toMatchObject({ code: 'TG_UPSTREAM_UNAVAILABLE' });
    expect(text(await call(r.client, 'recorder__echo', { text: 'serving' }))).toBe('serving');
    // Found out by the failed call's ping: its tools go, then come back once it is up again.
    expect(await eventually(async () => !(await toolNames(r.client)).includes('remote__echo'))).toBe(true);
    await serve(port, join(ws.dir, 'http.log'));
    expect(await eventually(async () => (await toolNames(r.client)).includes('remote__echo'))).toBe(true);
    expect(text(await call(r.client, 'remote__echo', { text: 'reconnected' }))).toBe('reconnected');
  });
});
