// Issue 8 over Streamable HTTP with several upstreams: prefixed prompt names, colliding resource
// URIs in their explicit form, pagination cursors, requests from upstreams routed to the session
// that caused them (and refused for one that did not declare the capability), stateful sessions.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult, McpError, Resource } from '@modelcontextprotocol/sdk/types.js';
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
