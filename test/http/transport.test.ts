// The Streamable HTTP session transport (src/http/transport.ts), behind a real node:http server with the SDK's McpServer,
// driven with raw fetch (to see the wire) and with the SDK's Client.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { z } from 'zod';
import { serveMcpHttp, type McpHttpServer } from '../helpers/mcp-http.js';

let server: McpHttpServer;
let url: string;
let gate: () => void = () => undefined;

function mcpServer(): McpServer {
  const server = new McpServer({ name: 't', version: '1' }, { capabilities: { logging: {} } });
  server.registerTool('quiet', { inputSchema: { text: z.string() } }, ({ text }) => ({ content: [{ type: 'text', text }] }));
  server.registerTool('chatty', { inputSchema: { text: z.string() } }, async ({ text }, extra) => {
    await extra.sendNotification({ method: 'notifications/message', params: { level: 'info', data: `working on ${text}` } });
    return { content: [{ type: 'text', text }] };
  });
  // Answers after `ms`, sending nothing before.
  server.registerTool('slow', { inputSchema: { ms: z.number() } }, async ({ ms }) => {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return { content: [{ type: 'text', text: `after ${ms} ms` }] };
  });
  // Says it started, then waits for the test to let it finish.
  server.registerTool('held', {}, async (extra) => {
    await extra.sendNotification({ method: 'notifications/message', params: { level: 'info', data: 'started' } });
    await new Promise<void>((resolve) => (gate = resolve));
    return { content: [{ type: 'text', text: 'finished' }] };
  });
  return server;
}

beforeAll(async () => {
  server = await serveMcpHttp(mcpServer);
  url = server.url;
});

afterAll(async () => {
  await server?.close();
});

const ACCEPT = 'application/json, text/event-stream';

/** initialize + initialized over raw HTTP; returns a poster for the session. */
async function rawSession(at = url): Promise<{ id: string; post(body: unknown, headers?: Record<string, string>): Promise<Response> }> {
  const init = await fetch(at, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: ACCEPT },
    body: JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: LATEST_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }),
  });
  expect(init.headers.get('content-type')).toBe('application/json');
  expect(((await init.json()) as { result: { serverInfo: { name: string } } }).result.serverInfo.name).toBe('t');
  const id = init.headers.get('mcp-session-id') as string;
  const post = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(at, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: ACCEPT, 'mcp-session-id': id, 'mcp-protocol-version': LATEST_PROTOCOL_VERSION, ...headers },
      body: JSON.stringify(body),
    });
  expect((await post({ jsonrpc: '2.0', method: 'notifications/initialized' })).status).toBe(202);
  return { id, post };
}

const call = (id: number | string, name: string, args: Record<string, unknown> = {}) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });

/** The SSE events of a body, read to its end. */
function events(text: string): Array<{ id?: string; data: unknown }> {
  return text
    .split('\n\n')
    .filter((block) => /^data:/m.test(block))
    .map((block) => {
      const id = /^id: (.*)$/m.exec(block)?.[1];
      const data = JSON.parse(/^data: (.*)$/m.exec(block)?.[1] as string) as unknown;
      return id === undefined ? { data } : { id, data };
    });
}

describe('HttpSessionTransport', () => {
  test('a call that sends nothing but its result is answered with one JSON body', async () => {
    const s = await rawSession();
    const res = await s.post(call(7, 'quiet', { text: 'hi' }));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('mcp-session-id')).toBe(s.id);
    expect(await res.json()).toEqual({ jsonrpc: '2.0', id: 7, result: { content: [{ type: 'text', text: 'hi' }] } });
  });

  test('a call that sends a notification first is answered as an event stream, result last', async () => {
    const s = await rawSession();
    await s.post({ jsonrpc: '2.0', id: 'lv', method: 'logging/setLevel', params: { level: 'debug' } }).then((r) => r.text());
    const res = await s.post(call('c', 'chatty', { text: 'x' }));
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const got = events(await res.text());
    expect(got.map((e) => e.data)).toEqual([
      { jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: 'working on x' } },
      { jsonrpc: '2.0', id: 'c', result: { content: [{ type: 'text', text: 'x' }] } },
    ]);
    expect(Number(got[1]?.id)).toBeGreaterThan(Number(got[0]?.id));
  });

  test('a batch of requests is answered with an array, in the order sent', async () => {
    const s = await rawSession();
    const res = await s.post([call(2, 'quiet', { text: 'b' }), { jsonrpc: '2.0', id: 1, method: 'ping' }]);
    expect(await res.json()).toEqual([
      { jsonrpc: '2.0', id: 2, result: { content: [{ type: 'text', text: 'b' }] } },
      { jsonrpc: '2.0', id: 1, result: {} },
    ]);
  });

  test('requests outside the spec are refused with the status the spec names, and the session goes on', async () => {
    const s = await rawSession();
    expect((await s.post(call(1, 'quiet', { text: 'a' }), { accept: 'application/json' })).status).toBe(406);
    expect((await s.post(call(1, 'quiet', { text: 'a' }), { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await s.post(call(1, 'quiet', { text: 'a' }), { 'content-type': 'application/json-seq' })).status).toBe(415);
    const old = await s.post(call(1, 'quiet', { text: 'a' }), { 'mcp-protocol-version': '1999-01-01' });
    expect(old.status).toBe(400);
    expect(((await old.json()) as { error: { message: string } }).error.message).toMatch(/Unsupported protocol version: 1999-01-01/);
    const again = { protocolVersion: LATEST_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'again', version: '1' } };
    expect((await s.post({ jsonrpc: '2.0', id: 9, method: 'initialize', params: again })).status).toBe(400);
    expect((await s.post({ jsonrpc: '2.0', nonsense: true })).status).toBe(400);
    expect((await s.post(Array.from({ length: 101 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'ping' })))).status).toBe(400);
    expect(await (await s.post(call(1, 'quiet', { text: 'still here' }))).json()).toMatchObject({ result: { content: [{ text: 'still here' }] } });
  });

  test('one GET stream per session; a lost POST stream is resumed with Last-Event-ID and ends with its result', async () => {
    const s = await rawSession();
    const headers = { accept: 'text/event-stream', 'mcp-session-id': s.id, 'mcp-protocol-version': LATEST_PROTOCOL_VERSION };
    const abort = new AbortController();
    const standing = await fetch(url, { headers, signal: abort.signal });
    expect(standing.status).toBe(200);
    expect((await fetch(url, { headers })).status).toBe(409);
    abort.abort();

    // The held call's stream delivers "started", then the client drops it.
    const res = await s.post(call('h', 'held'));
    const reader = res.body?.getReader() as ReadableStreamDefaultReader<Uint8Array>;
    let text = '';
    while (!text.includes('\n\n')) text += new TextDecoder().decode((await reader.read()).value);
    const [started] = events(text);
    expect(started?.data).toMatchObject({ method: 'notifications/message', params: { data: 'started' } });
    await reader.cancel();
    gate();
    // The result was kept; the resume replays it and ends the stream.
    await new Promise((r) => setTimeout(r, 50));
    const resumed = await fetch(url, { headers: { ...headers, 'last-event-id': started?.id as string } });
    expect(resumed.status).toBe(200);
    expect(events(await resumed.text()).map((e) => e.data)).toEqual([{ jsonrpc: '2.0', id: 'h', result: { content: [{ type: 'text', text: 'finished' }] } }]);
    expect((await fetch(url, { headers: { ...headers, 'last-event-id': 'no-such-event' } })).status).toBe(400);
  });

  test('DELETE ends the session; the SDK client works end to end', async () => {
    const client = new Client({ name: 'c', version: '1' });
    const transport = new StreamableHTTPClientTransport(new URL(url));
    await client.connect(transport);
    const logs: unknown[] = [];
    client.setNotificationHandler((await import('@modelcontextprotocol/sdk/types.js')).LoggingMessageNotificationSchema, (n) => void logs.push(n.params.data));
    await client.setLoggingLevel('debug');
    expect(await client.callTool({ name: 'quiet', arguments: { text: 'q' } })).toMatchObject({ content: [{ text: 'q' }] });
    expect(await client.callTool({ name: 'chatty', arguments: { text: 'c' } })).toMatchObject({ content: [{ text: 'c' }] });
    expect(logs).toContain('working on c');
    const id = transport.sessionId as string;
    await transport.terminateSession();
    const after = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: ACCEPT, 'mcp-session-id': id },
      body: JSON.stringify(call(1, 'quiet', { text: 'a' })),
    });
    expect(after.status).toBe(404);
    await client.close();
  });

  test('a call still running after jsonAnswerMs gets an event stream, and its result an event id', async () => {
    const patient = await serveMcpHttp(mcpServer, { jsonAnswerMs: 50 });
    try {
      const s = await rawSession(patient.url);
      const fast = await s.post(call(1, 'slow', { ms: 0 }));
      expect(fast.headers.get('content-type')).toBe('application/json');
      await fast.text();
      const slow = await s.post(call(2, 'slow', { ms: 200 }));
      expect(slow.headers.get('content-type')).toBe('text/event-stream');
      const [result] = events(await slow.text());
      expect(result?.id).toMatch(/^\d+$/);
      expect(result?.data).toEqual({ jsonrpc: '2.0', id: 2, result: { content: [{ type: 'text', text: 'after 200 ms' }] } });
    } finally {
      await patient.close();
    }
  });
});
