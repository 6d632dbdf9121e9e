// Issue 8: everything in MCP besides tools passes through. Each request is made twice, directly to
// server-everything and through `toolgate serve`, by the SDK's real Client, and the answers compared.
import { spawn } from 'node:child_process';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { LATEST_PROTOCOL_VERSION, type CallToolResult, type McpError, type Progress } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BIN } from '../helpers/gateway.js';
import { ELICITED, ROOTS, SAMPLED, comparable, eventually, gatewayStdio, observingClient, stdioTo, type Observed } from '../helpers/clients.js';
import { SERVERS, makeWorkspace, stdioUpstream, type Workspace } from '../helpers/workspace.js';

const ALLOW_EVERYTHING = `version: 1
default: deny
rules:
  - id: everything
    effect: allow
    tools: ["*"]
`;

let ws: Workspace;
let direct: { client: Client; seen: Observed };
let viaGateway: { client: Client; seen: Observed };
let gatewayStderr: () => string;

beforeAll(async () => {
  ws = await makeWorkspace({ upstreams: { everything: stdioUpstream('everything') }, policy: ALLOW_EVERYTHING });
  direct = observingClient();
  await direct.client.connect(stdioTo(SERVERS.everything, ['stdio']));
  viaGateway = observingClient();
  const gw = gatewayStdio(ws.config);
  gatewayStderr = gw.stderr;
  await viaGateway.client.connect(gw.transport);
});

afterAll(async () => {
  await direct?.client.close();
  await viaGateway?.client.close();
  await ws?.cleanup();
});

/** The same request, directly and through the gateway. */
async function both<T>(ask: (client: Client) => Promise<T>): Promise<{ direct: T; gateway: T }> {
  const [d, g] = await Promise.all([ask(direct.client), ask(viaGateway.client)]);
  return { direct: d, gateway: g };
}

const call = (client: Client, name: string, args: Record<string, unknown> = {}) => client.callTool({ name, arguments: args }) as Promise<CallToolResult>;
const errorOf = (p: Promise<unknown>): Promise<McpError> => p.then(() => expect.fail('expected an error'), (e: unknown) => e as McpError);

describe('initialize', () => {
  test('serverInfo names toolgate; capabilities are what the upstream offers, tools always', () => {
    expect(viaGateway.client.getServerVersion()?.name).toBe('toolgate');
    const upstream = direct.client.getServerCapabilities() ?? {};
    const gateway = viaGateway.client.getServerCapabilities() ?? {};
    expect(gateway.tools).toEqual({ listChanged: true });
    for (const key of ['resources', 'prompts', 'completions', 'logging'] as const) expect(Boolean(gateway[key]), key).toBe(Boolean(upstream[key]));
    expect(gateway.resources?.subscribe).toBe(upstream.resources?.subscribe);
  });

  test.each([
    ['a supported older version is kept', '2025-03-26', '2025-03-26'],
    ['an unknown version gets the latest', '1999-01-01', LATEST_PROTOCOL_VERSION],
  ])('protocol version negotiation as the SDK does it: %s', async (_name, asked, expected) => {
    // A gateway of its own: two gateways never share one decision log.
    const own = await makeWorkspace({ upstreams: { everything: stdioUpstream('everything') }, policy: ALLOW_EVERYTHING });
    const child = spawn(process.execPath, [BIN, 'serve', '--config', own.config], { stdio: ['pipe', 'pipe', 'ignore'] });
    try {
      const reply = await new Promise<{ result: { protocolVersion: string; serverInfo: { name: string } } }>((resolve) => {
        let buffer = '';
        child.stdout.on('data', (c: Buffer) => {
          buffer += c.toString();
          const nl = buffer.indexOf('\n');
          if (nl !== -1) resolve(JSON.parse(buffer.slice(0, nl)));
        });
        const init = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: asked, capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };
        child.stdin.write(`${JSON.stringify(init)}\n`);
      });
      expect(reply.result.protocolVersion).toBe(expected);
      expect(reply.result.serverInfo.name).toBe('toolgate');
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin.end();
      child.kill();
      await exited;
      await own.cleanup();
    }
  });
});

describe('lists and reads answer as the upstream does', () => {
  test('tools/list', async () => {
    const r = await both((c) => c.listTools());
    expect(comparable(r.gateway.tools)).toEqual(comparable(r.direct.tools));
  });

  test('resources/list and resources/templates/list', async () => {
    const resources = await both((c) => c.listResources());
    expect(resources.gateway).toEqual(resources.direct);
    expect(resources.gateway.resources.length).toBeGreaterThan(0);
    const templates = await both((c) => c.listResourceTemplates());
    expect(templates.gateway).toEqual(templates.direct);
    expect(templates.gateway.resourceTemplates.length).toBeGreaterThan(0);
  });

  test('resources/read of a listed resource and of a templated one', async () => {
    const uri = (await direct.client.listResources()).resources[0]?.uri as string;
    const listed = await both((c) => c.readResource({ uri }));
    expect(listed.gateway).toEqual(listed.direct);
    const templated = await both((c) => c.readResource({ uri: 'demo://resource/dynamic/text/3' }));
    expect(comparable(templated.gateway)).toEqual(comparable(templated.direct));
    expect(templated.gateway.contents[0]?.uri).toBe('demo://resource/dynamic/text/3');
  });

  test('an unknown resource is -32602, and nothing is forwarded for it', async () => {
    const r = await both((c) => errorOf(c.readResource({ uri: 'nowhere://nothing' })));
    expect(r.gateway.code).toBe(-32602);
    expect(r.gateway.code).toBe(r.direct.code);
    expect(r.gateway.data).toMatchObject({ code: 'TG_UNKNOWN_RESOURCE' });
  });

  test('prompts/list and prompts/get, with and without arguments', async () => {
    const prompts = await both((c) => c.listPrompts());
    expect(prompts.gateway).toEqual(prompts.direct);
    const simple = await both((c) => c.getPrompt({ name: 'simple-prompt' }));
    expect(simple.gateway).toEqual(simple.direct);
    const args = await both((c) => c.getPrompt({ name: 'args-prompt', arguments: { city: 'Lisbon', state: 'Lisboa' } }));
    expect(args.gateway).toEqual(args.direct);
    const embedded = await both((c) => c.getPrompt({ name: 'resource-prompt', arguments: { resourceType: 'Text', resourceId: '2' } }));
    expect(comparable(embedded.gateway)).toEqual(comparable(embedded.direct));
  });

  test('an unknown prompt is -32602 naming it', async () => {
    const r = await both((c) => errorOf(c.getPrompt({ name: 'no-such-prompt' })));
    expect(r.gateway.code).toBe(-32602);
    expect(r.gateway.code).toBe(r.direct.code);
    expect(r.gateway.message).toContain('no-such-prompt');
  });

  test('completion/complete for a prompt argument and a resource template', async () => {
    const prompt = await both((c) =>
      c.complete({ ref: { type: 'ref/prompt', name: 'completable-prompt' }, argument: { name: 'department', value: 'E' } }),
    );
    expect(prompt.gateway).toEqual(prompt.direct);
    expect(prompt.gateway.completion.values).toContain('Engineering');
    const contextual = await both((c) =>
      c.complete({
        ref: { type: 'ref/prompt', name: 'completable-prompt' },
        argument: { name: 'name', value: '' },
        context: { arguments: { department: 'Sales' } },
      }),
    );
    expect(contextual.gateway).toEqual(contextual.direct);
    const template = await both((c) =>
      c.complete({ ref: { type: 'ref/resource', uri: 'demo://resource/dynamic/text/{resourceId}' }, argument: { name: 'resourceId', value: '4' } }),
    );
    expect(template.gateway).toEqual(template.direct);
  });
});

describe('tool results pass through untouched but for the receipt', () => {
  test.each([
    ['echo', { message: 'hello' }],
    ['get-sum', { a: 2, b: 40 }],
    ['get-tiny-image', {}],
    ['get-annotated-message', { messageType: 'success', includeImage: true }],
    ['get-structured-content', { location: 'New York' }],
    ['get-resource-links', { count: 3 }],
    ['get-resource-reference', { resourceType: 'Text', resourceId: 5 }],
  ])('%s', async (name, args) => {
    const r = await both((c) => call(c, name, args));
    expect(comparable(r.gateway)).toEqual(comparable(r.direct));
    expect(typeof r.gateway._meta?.['toolgate/receipt']).toBe('string');
  });
});

describe('requests from the upstream reach the client', () => {
  test('sampling/createMessage: the client is asked and its answer reaches the upstream', async () => {
    const r = await both((c) => call(c, 'trigger-sampling-request', { prompt: 'Say hi', maxTokens: 20 }));
    expect(comparable(r.gateway)).toEqual(comparable(r.direct));
    expect(viaGateway.seen.sampling.at(-1)).toEqual(direct.seen.sampling.at(-1));
    expect(JSON.stringify(r.gateway.content)).toContain(SAMPLED.content.text);
  });

  test('elicitation/create: the client is asked and its answer reaches the upstream', async () => {
    const r = await both((c) => call(c, 'trigger-elicitation-request'));
    expect(comparable(r.gateway)).toEqual(comparable(r.direct));
    expect(viaGateway.seen.elicitation.at(-1)).toEqual(direct.seen.elicitation.at(-1));
    expect(JSON.stringify(r.gateway.content)).toContain(ELICITED.content.name);
  });

  test('elicitation/create in URL mode reaches a client that declared it', async () => {
    const r = await both((c) => call(c, 'trigger-url-elicitation', { url: 'https://example.com/consent', elicitationId: 'e2e-1' }));
    expect(comparable(r.gateway)).toEqual(comparable(r.direct));
    expect(viaGateway.seen.elicitation.at(-1)).toMatchObject({ mode: 'url', url: 'https://example.com/consent', elicitationId: 'e2e-1' });
  });

  test('roots/list: the upstream sees the client roots', async () => {
    const r = await both((c) => call(c, 'get-roots-list'));
    expect(comparable(r.gateway)).toEqual(comparable(r.direct));
    expect(JSON.stringify(r.gateway.content)).toContain(ROOTS[0]?.uri);
    expect(viaGateway.seen.roots).toBeGreaterThan(0);
  });
});

describe('notifications', () => {
  test('notifications/progress arrive under the client token, as they do directly', async () => {
    const progress = { direct: [] as Progress[], gateway: [] as Progress[] };
    const run = (c: Client, into: Progress[]) =>
      c.callTool({ name: 'trigger-long-running-operation', arguments: { duration: 0.4, steps: 4 } }, undefined, { onprogress: (p) => void into.push(p) });
    const [d, g] = await Promise.all([run(direct.client, progress.direct), run(viaGateway.client, progress.gateway)]);
    expect(comparable(g)).toEqual(comparable(d));
    // The SDK client may drop the last notification when the result overtakes it, directly too.
    const common = Math.min(progress.direct.length, progress.gateway.length);
    expect(common).toBeGreaterThanOrEqual(2);
    expect(progress.gateway.slice(0, common)).toEqual(progress.direct.slice(0, common));
    expect(progress.gateway.map((p) => p.progress)).toEqual([1, 2, 3, 4].slice(0, progress.gateway.length));
    expect(progress.gateway.every((p) => p.total === 4)).toBe(true);
  });

  test('logging/setLevel and log messages', async () => {
    const set = await both((c) => c.setLoggingLevel('debug'));
    expect(set.gateway).toEqual(set.direct);
    const before = { direct: direct.seen.logs.length, gateway: viaGateway.seen.logs.length };
    await both((c) => call(c, 'toggle-simulated-logging'));
    await eventually(() => viaGateway.seen.logs.length > before.gateway && direct.seen.logs.length > before.direct);
    await both((c) => call(c, 'toggle-simulated-logging'));
    const first = viaGateway.seen.logs[before.gateway];
    expect(first?.level).toMatch(/^(debug|info|notice|warning|error|critical|alert|emergency)$/);
    expect(first?.data).toEqual(expect.stringMatching(/message/));
  });

  test('resources/subscribe: updates reach the subscribed client; unsubscribe answers as directly', async () => {
    const uri = (await direct.client.listResources()).resources[0]?.uri as string;
    const sub = await both((c) => c.subscribeResource({ uri }));
    expect(sub.gateway).toEqual(sub.direct);
    await both((c) => call(c, 'toggle-subscriber-updates'));
    const got = await eventually(() => viaGateway.seen.updated.includes(uri) && direct.seen.updated.includes(uri));
    await both((c) => call(c, 'toggle-subscriber-updates'));
    expect(got).toBe(true);
    const unsub = await both((c) => c.unsubscribeResource({ uri }));
    expect(unsub.gateway).toEqual(unsub.direct);
  });

  test('a new resource: the gateway refreshes, re-announces list_changed, lists and reads it', async () => {
    const before = viaGateway.seen.changed.filter((k) => k === 'resources').length;
    const made = await call(viaGateway.client, 'gzip-file-as-resource', { name: 'hello.txt.gz', data: 'data:text/plain;base64,aGVsbG8gdG9vbGdhdGU=' });
    expect(made.isError).toBeFalsy();
    const link = made.content.find((c) => c.type === 'resource_link');
    expect(link?.type === 'resource_link' && link.uri).toBe('demo://resource/session/hello.txt.gz');
    expect(await eventually(() => viaGateway.seen.changed.filter((k) => k === 'resources').length > before)).toBe(true);
    const listed = await eventually(async () => (await viaGateway.client.listResources()).resources.some((r) => r.uri === 'demo://resource/session/hello.txt.gz'));
    expect(listed).toBe(true);
    const read = await viaGateway.client.readResource({ uri: 'demo://resource/session/hello.txt.gz' });
    expect(read.contents[0]?.mimeType).toBe('application/gzip');
  });

  test('the gateway wrote nothing alarming to stderr', () => {
    expect(gatewayStderr()).not.toMatch(/TypeError|ReferenceError|unhandled/i);
  });
});
