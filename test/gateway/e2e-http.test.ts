// End to end over Streamable HTTP: the SDK's real Client → `toolgate serve` (HTTP) → stdio, Streamable HTTP and legacy SSE upstreams.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { connectHttp, startHttpGateway, type HttpGateway } from '../helpers/gateway.js';
import { SERVERS, makeWorkspace, stdioUpstream, type Workspace } from '../helpers/workspace.js';

let ws: Workspace;
let gateway: HttpGateway;
let client: Client;
const children: ChildProcess[] = [];

// Starts test/servers/recorder.mjs listening on HTTP (`http`) or legacy SSE (`sse`); resolves its port.
async function startRecorder(mode: 'http' | 'sse', file: string): Promise<number> {
  const child = spawn(process.execPath, [SERVERS.recorder, mode, '0'], { env: { ...process.env, RECORDER_FILE: file }, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return new Promise((resolve) => child.stdout?.once('data', (c: Buffer) => resolve(Number(c.toString().trim()))));
}

beforeAll(async () => {
  ws = await makeWorkspace({ upstreams: {} });
  const httpPort = await startRecorder('http', join(ws.dir, 'received-http.jsonl'));
  const ssePort = await startRecorder('sse', join(ws.dir, 'received-sse.jsonl'));
  ws = await makeWorkspace({
    listen: '    transport: http\n    host: 127.0.0.1\n    port: 0',
    upstreams: {
      filesystem: stdioUpstream('filesystem'),
      recorder: stdioUpstream('recorder'),
      remote: `    transport: http\n    url: http://127.0.0.1:${httpPort}/mcp\n`,
      legacy: `    transport: http\n    url: http://127.0.0.1:${ssePort}/sse\n`,
    },
    policy: `version: 1
default: deny
rules:
  - id: read-sandbox
    effect: allow
    server: filesystem
    tools: [read_text_file]
    when:
      args.path: { under: ./sandbox }
  - id: writes-need-a-person
    effect: challenge
    server: filesystem
    tools: [write_file]
  - id: echo
    effect: allow
    tools: [echo]
`,
  });
  gateway = await startHttpGateway(ws.config);
  client = await connectHttp(gateway.url);
});

afterAll(async () => {
  await client?.close();
  await gateway?.stop();
  for (const c of children) c.kill();
  await ws?.cleanup();
});

const call = (name: string, args: Record<string, unknown>) => client.callTool({ name, arguments: args }) as Promise<CallToolResult>;
const text = (r: CallToolResult) => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('');

describe('serve over Streamable HTTP', () => {
  test('the banner names the URL, upstreams, tools, policy, key and log, and a client config', () => {
    const out = gateway.stdout();
    expect(out).toContain(gateway.url);
    expect(out).toMatch(/remote: \d+ tools: remote__echo/);
    expect(out).toContain('policies/test.yaml');
    expect(out).toMatch(/receipts: +EdDSA key \S+/);
    expect(out).toContain('logs/decisions.jsonl');
    expect(out).toContain('"mcpServers"');
  });

  test('tools from stdio, Streamable HTTP and legacy SSE upstreams are all served', async () => {
    const names = (await client.listTools()).tools.map((t) => t.name).sort();
    expect(names).toEqual(expect.arrayContaining(['filesystem__read_text_file', 'legacy__echo', 'recorder__echo', 'remote__echo']));
  });

  test('allowed calls reach Streamable HTTP and SSE upstreams with a receipt', async () => {
    for (const name of ['remote__echo', 'legacy__echo']) {
      const result = await call(name, { text: name });
      expect(text(result)).toBe(name);
      expect(typeof result._meta?.['toolgate/receipt']).toBe('string');
    }
  });

  test('a denied call is an isError result and a challenged write leaves no file', async () => {
    const denied = await call('filesystem__read_text_file', { path: '../secret.txt' });
    expect(denied.isError).toBe(true);
    const challenged = await call('filesystem__write_file', { path: './sandbox/x.txt', content: 'x' });
    expect(challenged.isError).toBe(true);
    expect(existsSync(join(ws.dir, 'sandbox/x.txt'))).toBe(false);
  });

  test('the JWKS is published at /.well-known/jwks.json', async () => {
    const res = await fetch(new URL('/.well-known/jwks.json', gateway.url));
    expect(res.status).toBe(200);
    const jwks = (await res.json()) as { keys: Array<{ kty: string; kid: string; d?: string }> };
    expect(jwks.keys[0]?.kty).toBe('OKP');
    expect(jwks.keys.every((k) => k.d === undefined)).toBe(true);
  });

  test('malformed JSON gets -32700 and the session goes on', async () => {
    const res = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: '{"jsonrpc": "2.0", "id": 1, "method": ',
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: number } }).error.code).toBe(-32700);
    expect(text(await call('recorder__echo', { text: 'still here' }))).toBe('still here');
  });

  test('a batch of 10,000 requests and 1,000-deep nested arguments do not take the gateway down', async () => {
    const init = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }),
    });
    const session = init.headers.get('mcp-session-id') as string;
    await init.body?.cancel();
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18' };
    const batch = Array.from({ length: 10_000 }, (_, i) => ({ jsonrpc: '2.0', id: i + 1, method: 'ping' }));
    const res = await fetch(gateway.url, { method: 'POST', headers, body: JSON.stringify(batch) });
    expect(res.status).toBeLessThan(500);
    await res.body?.cancel();
    const deep = `${'['.repeat(1000)}${']'.repeat(1000)}`;
    const nested = await call('recorder__echo', JSON.parse(`{"text":"deep","extra":${deep}}`) as Record<string, unknown>).catch((e: unknown) => e);
    expect(nested).toBeDefined();
    expect(text(await call('recorder__echo', { text: 'alive' }))).toBe('alive');
  });

  test('a foreign Origin is refused with 403', async () => {
    const res = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'http://evil.example', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    });
    expect(res.status).toBe(403);
  });

  test('SIGTERM shuts down cleanly', async () => {
    await client.close();
    expect(await gateway.stop('SIGTERM')).toBe(0);
  });
});
