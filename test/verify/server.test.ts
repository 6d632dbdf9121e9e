import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { argsSha256 } from '../../src/receipts/digest.js';
import { RECEIPT_META_KEY } from '../../src/receipts/sign.js';
import { MemoryReplayCache, requireReceipts, type RequireReceiptsOptions } from '../../src/verify/index.js';
import { input, makeKey, type TestKey } from '../receipts/helpers.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

type Order = 'guard-first' | 'tools-first';

async function setup(order: Order, extra: Partial<RequireReceiptsOptions> = {}): Promise<{ client: Client; key: TestKey; ran: string[] }> {
  const key = await makeKey();
  const ran: string[] = [];
  const server = new McpServer({ name: 'upstream', version: '1.0.0' });
  const options: RequireReceiptsOptions = { jwks: key.signer.jwks(), audience: 'echoer', replay: new MemoryReplayCache(), ...extra };
  const addTool = (): void => {
    server.registerTool('echo', { inputSchema: { text: z.string(), n: z.number().default(1) } }, ({ text }) => {
      ran.push(text);
      return { content: [{ type: 'text', text }] };
    });
  };
  if (order === 'guard-first') {
    requireReceipts(server, options);
    addTool();
  } else {
    addTool();
    requireReceipts(server, options);
  }
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: 'test', version: '1.0.0' });
  await client.connect(clientSide);
  closers.push(async () => {
    await client.close();
    await server.close();
  });
  return { client, key, ran };
}

async function receipt(key: TestKey, args: unknown, overrides: Parameters<typeof input>[0] = {}): Promise<string> {
  return (await key.signer.sign(input({ aud: 'echoer', tool: 'echo', ...overrides }, argsSha256(args)))).token;
}

async function refusal(client: Client, args: Record<string, unknown>, token?: unknown): Promise<McpError> {
  try {
    await client.callTool({ name: 'echo', arguments: args, ...(token === undefined ? {} : { _meta: { [RECEIPT_META_KEY]: token } }) });
  } catch (e) {
    return e as McpError;
  }
  throw new Error('call was not refused');
}

describe.each(['guard-first', 'tools-first'] as const)('requireReceipts (%s)', (order) => {
  it('runs a tool call that carries a valid receipt', async () => {
    const { client, key, ran } = await setup(order);
    const args = { text: 'hi' };
    const result = await client.callTool({ name: 'echo', arguments: args, _meta: { [RECEIPT_META_KEY]: await receipt(key, args) } });
    expect(result.content).toEqual([{ type: 'text', text: 'hi' }]);
    expect(ran).toEqual(['hi']);
  });

  it('refuses a call without a receipt with an MCP error, and the tool does not run', async () => {
    const { client, ran } = await setup(order);
    const error = await refusal(client, { text: 'hi' });
    expect(error).toBeInstanceOf(McpError);
    expect(error.code).toBe(-32603);
    expect(error.data).toEqual({ code: 'TG_RECEIPT_INVALID', reason: 'missing' });
    expect(ran).toEqual([]);
  });

  it('refuses a replayed receipt', async () => {
    const { client, key, ran } = await setup(order);
    const args = { text: 'once' };
    const token = await receipt(key, args);
    await client.callTool({ name: 'echo', arguments: args, _meta: { [RECEIPT_META_KEY]: token } });
    expect((await refusal(client, args, token)).data).toMatchObject({ reason: 'replayed' });
    expect(ran).toEqual(['once']);
  });

  it('refuses a receipt for other arguments, another tool, another audience, or an expired one', async () => {
    const { client, key, ran } = await setup(order);
    expect((await refusal(client, { text: 'hj' }, await receipt(key, { text: 'hi' }))).data).toMatchObject({ reason: 'args-mismatch' });
    expect((await refusal(client, { text: 'hi' }, await receipt(key, { text: 'hi' }, { tool: 'other' }))).data).toMatchObject({ reason: 'wrong-tool' });
    expect((await refusal(client, { text: 'hi' }, await receipt(key, { text: 'hi' }, { aud: 'other' }))).data).toMatchObject({ reason: 'wrong-audience' });
    const old = (await key.signer.sign(input({ aud: 'echoer', tool: 'echo' }, argsSha256({ text: 'hi' })), Date.now() - 3_600_000)).token;
    expect((await refusal(client, { text: 'hi' }, old)).data).toMatchObject({ reason: 'expired' });
    expect((await refusal(client, { text: 'hi' }, 'garbage')).data).toMatchObject({ reason: 'malformed' });
    expect(ran).toEqual([]);
  });

  it('hashes the arguments as sent, before the SDK fills schema defaults', async () => {
    const { client, key, ran } = await setup(order);
    const args = { text: 'raw' };
    await client.callTool({ name: 'echo', arguments: args, _meta: { [RECEIPT_META_KEY]: await receipt(key, args) } });
    expect(ran).toEqual(['raw']);
  });
});

describe('requireReceipts hooks', () => {
  it('reports refusals and accepted claims', async () => {
    const refused: string[] = [];
    const verified: string[] = [];
    const { client, key } = await setup('guard-first', {
      onRefused: (e, tool) => refused.push(`${tool}:${String(e.details.reason)}`),
      onVerified: (claims) => verified.push(claims.jti),
    });
    await refusal(client, { text: 'x' });
    const args = { text: 'y' };
    await client.callTool({ name: 'echo', arguments: args, _meta: { [RECEIPT_META_KEY]: await receipt(key, args) } });
    expect(refused).toEqual(['echo:missing']);
    expect(verified).toHaveLength(1);
  });

  it('refuses to guard the same server twice', async () => {
    const key = await makeKey();
    const server = new McpServer({ name: 'u', version: '1' });
    requireReceipts(server, { jwks: key.signer.jwks(), audience: 'a' });
    expect(() => requireReceipts(server, { jwks: key.signer.jwks(), audience: 'a' })).toThrow(expect.objectContaining({ code: 'TG_USAGE' }));
  });
});
