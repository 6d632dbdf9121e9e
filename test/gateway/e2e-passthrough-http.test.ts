// Issue 8 over Streamable HTTP with several upstreams: prefixed prompt names, colliding resource
// URIs in their explicit form, pagination cursors, requests from upstreams routed to the session
// that caused them (and refused for one that did not declare the capability), stateful sessions.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { LATEST_PROTOCOL_VERSION, type CallToolResult, type McpError, type Resource } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { SAMPLED, comparable, eventually, httpTo, observingClient, stdioTo, type Observed } from '../helpers/clients.js';
import { startHttpGateway, type HttpGateway } from '../helpers/gateway.js';
import { ROOT, SERVERS, makeWorkspace, stdioUpstream, type Workspace } from '../helpers/workspace.js';

const ALLOW_EVERYTHING = `version: 1
default: deny
rules:
  - id: everything
    effect: allow
    tools: ["*"]
`;

let ws: Workspace;
let gateway: HttpGateway;
let direct: { client: Client; seen: Observed };
let first: { client: Client; seen: Observed };
const opened: Client[] = [];

const STATIC = 'demo://resource/static/document/features.md';
const PAGER = `${ROOT}test/servers/pager.mjs`;
const pagerBlock = `    transport: stdio\n    command: ${JSON.stringify(process.execPath)}\n    args: ["${PAGER}"]\n    env: { PAGER_PAGE: "2" }\n`;

beforeAll(async () => {
  ws = await makeWorkspace({
    listen: '    transport: http\n    host: 127.0.0.1\n    port: 0',
    upstreams: { a: stdioUpstream('everything'), b: stdioUpstream('everything'), pager: pagerBlock },
    policy: ALLOW_EVERYTHING,
  });
  gateway = await startHttpGateway(ws.config);
  direct = observingClient();
  await direct.client.connect(stdioTo(SERVERS.everything, ['stdio']));
  first = await open();
});

afterAll(async () => {
  for (const c of opened) await c.close().catch(() => undefined);
  await direct?.client.close();
  await gateway?.stop();
  await ws?.cleanup();
});

async function open(capabilities?: Parameters<typeof observingClient>[0]): Promise<{ client: Client; seen: Observed }> {
  const c = observingClient(capabilities);
  await c.client.connect(httpTo(gateway.url));
  opened.push(c.client);
  return c;
}

const errorOf = (p: Promise<unknown>): Promise<McpError> => p.then(() => expect.fail('expected an error'), (e: unknown) => e as McpError);

async function allResources(client: Client): Promise<{ resources: Resource[]; pages: number }> {
  const resources: Resource[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await client.listResources(cursor === undefined ? {} : { cursor });
    resources.push(...page.resources);
    cursor = page.nextCursor;
    pages += 1;
  } while (cursor !== undefined);
  return { resources, pages };
}

describe('initialize with several upstreams', () => {
  test('capabilities are the union of the upstreams; serverInfo names toolgate', () => {
    const caps = first.client.getServerCapabilities();
    expect(first.client.getServerVersion()?.name).toBe('toolgate');
    expect(caps).toMatchObject({ tools: { listChanged: true }, resources: { subscribe: true, listChanged: true }, prompts: { listChanged: true }, completions: {}, logging: {} });
  });
});

describe('prompts are <upstream>__<prompt>', () => {
  test('prompts/list follows every upstream page and prefixes each name', async () => {
    const names = (await first.client.listPrompts()).prompts.map((p) => p.name);
    expect(names).toEqual(expect.arrayContaining(['a__simple-prompt', 'b__simple-prompt', 'pager__first', 'pager__second', 'pager__third']));
  });

  test('prompts/get and completion/complete reach the right upstream by the prefixed name', async () => {
    const got = await first.client.getPrompt({ name: 'a__args-prompt', arguments: { city: 'Porto' } });
    expect(got).toEqual(await direct.client.getPrompt({ name: 'args-prompt', arguments: { city: 'Porto' } }));
    const pager = await first.client.getPrompt({ name: 'pager__third' });
    expect(JSON.stringify(pager)).toContain("the third prompt's text");
    const done = await first.client.complete({ ref: { type: 'ref/prompt', name: 'b__completable-prompt' }, argument: { name: 'department', value: 'S' } });
    expect(done.completion.values).toEqual(['Sales', 'Support']);
  });

  test('the unprefixed name of a prefixed prompt is unknown (-32602)', async () => {
    const error = await errorOf(first.client.getPrompt({ name: 'simple-prompt' }));
    expect(error.code).toBe(-32602);
    expect(error.data).toMatchObject({ code: 'TG_UNKNOWN_PROMPT' });
  });
});

describe('resource URIs', () => {
  test('URIs two upstreams share are shown as toolgate://<upstream>/<uri>; unique ones as they are; cursors page through all', async () => {
    const { resources, pages } = await allResources(first.client);
    const directUris = (await direct.client.listResources()).resources.map((r) => r.uri);
    const uris = resources.map((r) => r.uri);
    for (const uri of directUris) {
      expect(uris).toContain(`toolgate://a/${uri}`);
      expect(uris).toContain(`toolgate://b/${uri}`);
      expect(uris).not.toContain(uri);
    }
    expect(uris.filter((u) => u.startsWith('pager://item/'))).toHaveLength(250);
    expect(uris).toHaveLength(250 + 2 * directUris.length);
    expect(pages).toBeGreaterThan(1);
    const templates = (await first.client.listResourceTemplates()).resourceTemplates.map((t) => t.uriTemplate);
    expect(templates).toEqual(expect.arrayContaining(['toolgate://a/demo://resource/dynamic/text/{resourceId}', 'pager://item/{id}']));
  });

  test('the explicit form reads from that upstream and answers in the same form', async () => {
    const read = await first.client.readResource({ uri: `toolgate://b/${STATIC}` });
    const plain = await direct.client.readResource({ uri: STATIC });
    expect(read.contents).toEqual(plain.contents.map((c) => ({ ...c, uri: `toolgate://b/${c.uri}` })));
    const templated = await first.client.readResource({ uri: 'toolgate://a/demo://resource/dynamic/text/9' });
    const directly = await direct.client.readResource({ uri: 'demo://resource/dynamic/text/9' });
    expect(comparable(templated.contents)).toEqual(comparable(directly.contents.map((c) => ({ ...c, uri: `toolgate://a/${c.uri}` }))));
  });

  test('a URI two upstreams share, asked for bare, is -32602 naming both explicit forms', async () => {
    const error = await errorOf(first.client.readResource({ uri: STATIC }));
    expect(error.code).toBe(-32602);
    expect(error.message).toContain(`toolgate://a/${STATIC}`);
    expect(error.message).toContain(`toolgate://b/${STATIC}`);
  });

  test('a unique URI routes by the listing, and an unlisted one by its upstream template', async () => {
    expect((await first.client.readResource({ uri: 'pager://item/42' })).contents[0]).toMatchObject({ text: 'item number 42' });
    expect((await first.client.readResource({ uri: 'pager://item/9999' })).contents[0]).toMatchObject({ text: 'item number 9999' });
  });

  test('a cursor the gateway did not hand out is -32602', async () => {
    const error = await errorOf(first.client.listResources({ cursor: 'not-a-cursor' }));
    expect(error.code).toBe(-32602);
    expect(error.data).toMatchObject({ code: 'TG_BAD_CURSOR' });
  });
});

describe('requests from upstreams reach the session that caused them', () => {
  test('sampling travels on the HTTP session of the call that triggered it', async () => {
    const before = first.seen.sampling.length;
    const result = (await first.client.callTool({ name: 'a__trigger-sampling-request', arguments: { prompt: 'hi', maxTokens: 5 } })) as CallToolResult;
    expect(result.isError).toBeFalsy();
    expect(JSON.stringify(result.content)).toContain(SAMPLED.content.text);
    expect(first.seen.sampling.length).toBe(before + 1);
  });

  test('a session that did not declare sampling gets the refusal, and no other session is asked', async () => {
    const plain = await open({});
    const before = first.seen.sampling.length;
    const outcome = await plain.client
      .callTool({ name: 'b__trigger-sampling-request', arguments: { prompt: 'hi', maxTokens: 5 } })
      .then((r) => JSON.stringify(r), (e: unknown) => String(e));
    expect(outcome).toMatch(/did not declare sampling/);
    expect(first.seen.sampling.length).toBe(before);
  });

  test('roots/list goes to the calling session', async () => {
    const result = (await first.client.callTool({ name: 'b__get-roots-list', arguments: {} })) as CallToolResult;
    expect(JSON.stringify(result.content)).toContain('file:///tmp/toolgate-e2e-root');
  });
});

describe('logging with several upstreams', () => {
  test('log messages name their upstream in logger', async () => {
    await first.client.setLoggingLevel('debug');
    const before = first.seen.logs.length;
    await first.client.callTool({ name: 'a__toggle-simulated-logging', arguments: {} });
    await eventually(() => first.seen.logs.slice(before).some((l) => l.logger === 'a' || l.logger?.startsWith('a/')));
    await first.client.callTool({ name: 'a__toggle-simulated-logging', arguments: {} });
    expect(first.seen.logs.slice(before).some((l) => l.logger === 'a' || l.logger?.startsWith('a/'))).toBe(true);
  });
});

describe('stateful HTTP sessions', () => {
  test('each session has its own Mcp-Session-Id; DELETE ends it and its id is then unknown (404)', async () => {
    const session = await open();
    const transport = session.client.transport as ReturnType<typeof httpTo>;
    const id = transport.sessionId;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(id).not.toBe((first.client.transport as ReturnType<typeof httpTo>).sessionId);
    await transport.terminateSession();
    const res = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': id as string, 'mcp-protocol-version': '2025-06-18' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    });
    expect(res.status).toBe(404);
    // The other sessions go on.
    expect((await first.client.listPrompts()).prompts.length).toBeGreaterThan(0);
  });
});

describe('HTTP sessions: resumable streams and idle reaping', () => {
  let own: Workspace;
  let gw: HttpGateway;
  const HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

  beforeAll(async () => {
    own = await makeWorkspace({
      listen: '    transport: http\n    host: 127.0.0.1\n    port: 0',
      upstreams: { everything: stdioUpstream('everything') },
      policy: ALLOW_EVERYTHING,
    });
    gw = await startHttpGateway(own.config, { TOOLGATE_SESSION_IDLE: '1s' });
  });

  afterAll(async () => {
    await gw?.stop();
    await own?.cleanup();
  });

  /** A raw session: initialize and initialized, without the SDK (which would hold a stream open). */
  async function rawSession(): Promise<{ id: string; post(body: unknown): Promise<Response> }> {
    const init = await fetch(gw.url, {
      method: 'POST',
      headers: HEADERS,
      body: JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: LATEST_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }),
    });
    await init.text();
    const id = init.headers.get('mcp-session-id') as string;
    const post = (body: unknown) =>
      fetch(gw.url, { method: 'POST', headers: { ...HEADERS, 'mcp-session-id': id, 'mcp-protocol-version': LATEST_PROTOCOL_VERSION }, body: JSON.stringify(body) });
    expect((await post({ jsonrpc: '2.0', method: 'notifications/initialized' })).status).toBe(202);
    return { id, post };
  }

  /** Opens the session's GET stream; `events` fills as SSE events arrive. */
  async function openStream(id: string, lastEventId?: string): Promise<{ status: number; events: Array<{ id?: string; data: string }>; close(): void }> {
    const abort = new AbortController();
    const res = await fetch(gw.url, {
      headers: { accept: 'text/event-stream', 'mcp-session-id': id, 'mcp-protocol-version': LATEST_PROTOCOL_VERSION, ...(lastEventId ? { 'last-event-id': lastEventId } : {}) },
      signal: abort.signal,
    });
    const events: Array<{ id?: string; data: string }> = [];
    if (res.ok && res.body) {
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      void (async () => {
        let buffer = '';
        for (;;) {
          const chunk = await reader.read().catch(() => ({ done: true, value: undefined }));
          if (chunk.done) return;
          buffer += chunk.value;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) !== -1) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const idLine = /^id: ?(.*)$/m.exec(block)?.[1];
            const data = [...block.matchAll(/^data: ?(.*)$/gm)].map((m) => m[1]).join('\n');
            events.push({ ...(idLine ? { id: idLine } : {}), data });
          }
        }
      })();
    }
    return { status: res.status, events, close: () => abort.abort() };
  }

  const gzip = (post: (b: unknown) => Promise<Response>, name: string) =>
    post({ jsonrpc: '2.0', id: name, method: 'tools/call', params: { name: 'gzip-file-as-resource', arguments: { name, data: 'data:text/plain;base64,aGk=' } } }).then((r) => r.text());
  const listed = async (post: (b: unknown) => Promise<Response>, name: string) =>
    (await (await post({ jsonrpc: '2.0', id: `list-${name}`, method: 'resources/list', params: {} })).text()).includes(`session/${name}`);
  const changed = (e: { data: string }) => e.data.includes('notifications/resources/list_changed');

  test('a client that lost its stream resumes it with Last-Event-ID and gets what it missed', async () => {
    const s = await rawSession();
    const first = await openStream(s.id);
    expect(first.status).toBe(200);
    await gzip(s.post, 'one.gz');
    expect(await eventually(() => first.events.some(changed))).toBe(true);
    const seen = first.events.filter(changed).at(-1)?.id as string;
    expect(seen).toMatch(/^\d+$/);
    first.close();
    await gzip(s.post, 'two.gz');
    expect(await eventually(() => listed(s.post, 'two.gz'))).toBe(true);
    // The old stream may take a moment to be noticed gone (409 until then).
    const resumed = await eventually(async () => {
      const attempt = await openStream(s.id, seen);
      if (attempt.status === 200) return attempt;
      attempt.close();
      return undefined;
    });
    expect(resumed).toBeDefined();
    expect(await eventually(() => resumed?.events.some((e) => changed(e) && Number(e.id) > Number(seen)))).toBe(true);
    resumed?.close();
  });

  test('a session with nothing open is closed when idle; one holding its stream open is kept', async () => {
    const idle = await rawSession();
    const kept = await rawSession();
    const stream = await openStream(kept.id);
    const ping = (s: typeof idle) => s.post({ jsonrpc: '2.0', id: 'p', method: 'ping' }).then(async (r) => (await r.text(), r.status));
    expect(await ping(idle)).toBe(200);
    // Every request counts as use: look only after longer than the idle limit has passed.
    const quietly = async () => {
      await new Promise((r) => setTimeout(r, 1500));
      return (await ping(idle)) === 404;
    };
    expect(await eventually(quietly, 6)).toBe(true);
    expect(await ping(kept)).toBe(200);
    stream.close();
  });
});
