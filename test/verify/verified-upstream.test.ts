import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { argsSha256 } from '../../src/receipts/digest.js';
import { generateKeyFiles, loadReceiptSigner } from '../../src/receipts/keys.js';
import { RECEIPT_META_KEY, type ReceiptSigner } from '../../src/receipts/sign.js';
import { input, tempDir } from '../receipts/helpers.js';

// Runs examples/verified-upstream.mjs as a real stdio process; it imports "toolgate/verify" from dist/ (npm test builds first).
let dir: string;
let cleanup: () => Promise<void>;
let client: Client;
let signer: ReceiptSigner;

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
  const made = await generateKeyFiles(join(dir, 'keys'));
  ({ signer } = await loadReceiptSigner({ keyPath: made.keyPath, issuer: 'demo-gateway', ttlSeconds: 120 }));
  client = new Client({ name: 'test', version: '1.0.0' });
  await client.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: [join(process.cwd(), 'examples', 'verified-upstream.mjs'), '--audience', 'verified', '--issuer', 'demo-gateway'],
      cwd: dir,
      stderr: 'pipe',
    }),
  );
});
afterEach(async () => {
  await client.close();
  await cleanup();
});

const receipt = async (args: unknown): Promise<string> =>
  (await signer.sign(input({ aud: 'verified', tool: 'echo' }, argsSha256(args)))).token;

describe('examples/verified-upstream.mjs', () => {
  it('lists echo and runs it for a call with a valid receipt', async () => {
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['echo']);
    const args = { text: 'hello' };
    const result = await client.callTool({ name: 'echo', arguments: args, _meta: { [RECEIPT_META_KEY]: await receipt(args) } });
    expect(result.content).toEqual([{ type: 'text', text: 'hello' }]);
  });

  it('refuses a call without a receipt, and a replayed one, with MCP errors', async () => {
    const missing = await client.callTool({ name: 'echo', arguments: { text: 'x' } }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(McpError);
    expect((missing as McpError).data).toMatchObject({ code: 'TG_RECEIPT_INVALID', reason: 'missing' });
    const args = { text: 'once' };
    const token = await receipt(args);
    await client.callTool({ name: 'echo', arguments: args, _meta: { [RECEIPT_META_KEY]: token } });
    const replayed = await client.callTool({ name: 'echo', arguments: args, _meta: { [RECEIPT_META_KEY]: token } }).catch((e: unknown) => e);
    expect((replayed as McpError).data).toMatchObject({ reason: 'replayed' });
  });
});
