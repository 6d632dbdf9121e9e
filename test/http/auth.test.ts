// Who is calling over HTTP: static tokens and JWT access tokens, refused clearly, through the real `toolgate serve`.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { LoggingMessageNotificationSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { connectHttp, startHttpGateway, type HttpGateway } from '../helpers/gateway.js';
import { makeWorkspace, stdioUpstream, type Workspace } from '../helpers/workspace.js';

const ALICE = 'alice-token-0123456789abcdef';
const BOB = 'bob-token-0123456789abcdef00';
let ws: Workspace;
let gateway: HttpGateway;
let jwks: Server;
let issuer: string;
let key: CryptoKey;
let otherKey: CryptoKey;
const open: Client[] = [];

const POLICY = `version: 1
default: deny
rules:
  - id: echo-for-everyone
    effect: allow
    server: recorder
    tools: [echo]
  - id: refunds-for-admins
    effect: allow
    server: recorder
    tools: [refund]
    when:
      principal.roles: { includes: admin }
`;

beforeAll(async () => {
  const pair = await generateKeyPair('EdDSA');
  key = pair.privateKey;
  ({ privateKey: otherKey } = await generateKeyPair('EdDSA'));
  const pub: JWK = await exportJWK(pair.publicKey);
  jwks = createServer((req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [{ ...pub, kid: 'k1', alg: 'EdDSA' }] })));
  await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
  issuer = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}`;
  ws = await makeWorkspace({
    upstreams: { recorder: stdioUpstream('recorder') },
    policy: POLICY,
    listen: `    transport: http
    port: 0
    auth:
      tokens:
        - { token: "\${ALICE_TOKEN}", principal: alice, roles: [dev] }
        - { token: "\${BOB_TOKEN}", principal: bob, roles: [admin] }
      jwt:
        issuer: ${issuer}
        audience: toolgate
        jwks: ${issuer}/jwks.json
        roles_claim: roles`,
  });
  gateway = await startHttpGateway(ws.config, { ALICE_TOKEN: ALICE, BOB_TOKEN: BOB });
});

afterAll(async () => {
  for (const c of open) await c.close().catch(() => undefined);
  await gateway?.stop();
  if (jwks) await new Promise((r) => jwks.close(r));
  await ws?.cleanup();
});

async function jwt(claims: Record<string, unknown>, opts: { key?: CryptoKey; iss?: string; aud?: string; exp?: string | number } = {}): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'EdDSA', kid: 'k1' })
    .setIssuer(opts.iss ?? issuer)
    .setAudience(opts.aud ?? 'toolgate')
    .setIssuedAt()
    .setExpirationTime(opts.exp ?? '5m')
    .sign(opts.key ?? key);
}

async function client(token?: string): Promise<Client> {
  const c = await connectHttp(gateway.url, {}, token);
  open.push(c);
  return c;
}

async function post(headers: Record<string, string>, body: unknown = initialize): Promise<Response> {
  return fetch(gateway.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}
const initialize = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };

describe('bearer tokens', () => {
  test('no token: 401 with WWW-Authenticate pointing at the protected-resource metadata', async () => {
    const res = await post({});
    expect(res.status).toBe(401);
    const challenge = res.headers.get('www-authenticate') ?? '';
    expect(challenge).toMatch(/^Bearer /);
    const metadataUrl = /resource_metadata="([^"]+)"/.exec(challenge)?.[1] as string;
    expect(metadataUrl).toMatch(/\/\.well-known\/oauth-protected-resource$/);
    const metadata = (await (await fetch(metadataUrl)).json()) as { resource: string; authorization_servers: string[] };
    expect(metadata.resource).toBe(gateway.url);
    expect(metadata.authorization_servers).toEqual([issuer]);
  });

  test('a wrong token is refused with 401 and the refusal is logged', async () => {
    const res = await post({ authorization: 'Bearer not-the-right-token-at-all' });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect(gateway.stderr()).toContain('not authenticated');
  });

  test('a static token names the principal and its roles, which the policy sees', async () => {
    const alice = await client(ALICE);
    const bob = await client(BOB);
    expect(((await alice.callTool({ name: 'refund', arguments: { amount_usd: 1 } })) as CallToolResult).isError).toBe(true);
    expect(((await bob.callTool({ name: 'refund', arguments: { amount_usd: 1 } })) as CallToolResult).isError).toBeFalsy();
    const log = await readFile(ws.logFile, 'utf8');
    expect(log).toMatch(/"principal":"alice"[^\n]*"tool":"refund"/);
  });

  test("a session belongs to its principal: another principal's token on it is refused", async () => {
    const init = await post({ authorization: `Bearer ${ALICE}` });
    const session = init.headers.get('mcp-session-id') as string;
    expect(session).toBeTruthy();
    const res = await post({ authorization: `Bearer ${BOB}`, 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18' }, { jsonrpc: '2.0', id: 2, method: 'tools/list' });
    expect(res.status).toBe(403);
  });

  test("an upstream's log messages reach only the principal using it, never another principal", async () => {
    const alice = await client(ALICE);
    const bob = await client(BOB);
    const heard: Record<string, string[]> = { alice: [], bob: [] };
    alice.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void heard.alice?.push(String(n.params.data)));
    bob.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void heard.bob?.push(String(n.params.data)));
    await alice.setLoggingLevel('debug');
    await bob.setLoggingLevel('debug');
    await alice.callTool({ name: 'echo', arguments: { text: 'alice-private' } });
    await bob.callTool({ name: 'echo', arguments: { text: 'bob-private' } });
    await new Promise((r) => setTimeout(r, 300));
    expect(heard.alice).toContain('echoed alice-private');
    expect(heard.bob).toContain('echoed bob-private');
    expect(heard.alice).not.toContain('echoed bob-private');
    expect(heard.bob).not.toContain('echoed alice-private');
  });

  test('token values never appear in the log or on stderr', async () => {
    const log = await readFile(ws.logFile, 'utf8');
    for (const secret of [ALICE, BOB]) {
      expect(log).not.toContain(secret);
      expect(gateway.stderr()).not.toContain(secret);
      expect(gateway.stdout()).not.toContain(secret);
    }
  });
});

describe('JWT access tokens', () => {
  test('a valid token: principal from sub, roles from the roles claim', async () => {
    const c = await client(await jwt({ sub: 'carol', roles: ['admin'] }));
    expect(((await c.callTool({ name: 'refund', arguments: { amount_usd: 2 } })) as CallToolResult).isError).toBeFalsy();
    expect(await readFile(ws.logFile, 'utf8')).toMatch(/"principal":"carol"/);
  });

  test.each([
    ['expired', () => jwt({ sub: 'carol' }, { exp: Math.floor(Date.now() / 1000) - 3600 })],
    ['from another issuer', () => jwt({ sub: 'carol' }, { iss: 'https://evil.example' })],
    ['for another audience', () => jwt({ sub: 'carol' }, { aud: 'someone-else' })],
    ['signed by another key', () => jwt({ sub: 'carol' }, { key: otherKey })],
    ['with alg none', async () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'carol', iss: issuer, aud: 'toolgate', exp: Math.floor(Date.now() / 1000) + 300 })}.`],
  ])('%s: 401', async (_name, make) => {
    const res = await post({ authorization: `Bearer ${await make()}` });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('invalid_token');
  });
});

describe('size and origin', () => {
  test('an oversized body gets 413 and the gateway keeps serving', async () => {
    const big = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping', params: { pad: 'x'.repeat(1_100_000) } });
    const res = await post({ authorization: `Bearer ${ALICE}` }, big);
    expect(res.status).toBe(413);
    const c = await client(ALICE);
    expect(((await c.callTool({ name: 'echo', arguments: { text: 'ok' } })) as CallToolResult).isError).toBeFalsy();
  });

  test('a foreign Host header (DNS rebinding) gets 403', async () => {
    const { request } = await import('node:http');
    const url = new URL(gateway.url);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: url.hostname, port: url.port, path: '/mcp', method: 'POST', headers: { host: 'evil.example', 'content-type': 'application/json' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end(JSON.stringify(initialize));
    });
    expect(status).toBe(403);
  });
});

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
