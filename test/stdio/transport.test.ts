import { PassThrough } from 'node:stream';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, test } from 'vitest';
import { GatewayStdioTransport } from '../../src/stdio/transport.js';

function harness(maxMessageBytes = 1024) {
  const input = new PassThrough();
  const output = new PassThrough();
  const transport = new GatewayStdioTransport({ input, output, maxMessageBytes });
  const received: JSONRPCMessage[] = [];
  transport.onmessage = (m) => received.push(m);
  let written = '';
  output.on('data', (c: Buffer) => (written += c.toString()));
  const replies = () => written.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { id: unknown; error?: { code: number } });
  return { input, transport, received, replies };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('GatewayStdioTransport', () => {
  test('malformed JSON gets -32700 and reading goes on', async () => {
    const h = harness();
    await h.transport.start();
    h.input.write('{"jsonrpc":"2.0","id":1,\n');
    h.input.write('{"jsonrpc":"2.0","id":2,"method":"ping"}\n');
    await tick();
    expect(h.replies()).toEqual([{ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'parse error: not valid JSON' } }]);
    expect(h.received).toEqual([{ jsonrpc: '2.0', id: 2, method: 'ping' }]);
  });

  test('valid JSON that is not JSON-RPC gets -32600 with its id', async () => {
    const h = harness();
    await h.transport.start();
    h.input.write('{"id":7,"hello":"world"}\n');
    await tick();
    expect(h.replies()[0]).toMatchObject({ id: 7, error: { code: -32600 } });
  });

  test('a batch is refused with -32600', async () => {
    const h = harness(1_000_000);
    await h.transport.start();
    const batch = Array.from({ length: 10_000 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'ping' }));
    h.input.write(`${JSON.stringify(batch)}\n`);
    await tick();
    expect(h.replies()).toHaveLength(1);
    expect(h.replies()[0]?.error?.code).toBe(-32600);
    expect(h.received).toHaveLength(0);
  });

  test('an oversized line is refused, skipped to its end, and the next message is read', async () => {
    const h = harness(64);
    await h.transport.start();
    h.input.write(`{"jsonrpc":"2.0","id":1,"method":"${'x'.repeat(50)}`);
    h.input.write(`${'y'.repeat(100)}"}\n{"jsonrpc":"2.0","id":3,"method":"ping"}\n`);
    await tick();
    expect(h.replies()).toHaveLength(1);
    expect(h.replies()[0]?.error?.code).toBe(-32600);
    expect(h.received).toEqual([{ jsonrpc: '2.0', id: 3, method: 'ping' }]);
  });

  test('1,000-deep nested JSON is handled without taking the process down', async () => {
    const h = harness(1_000_000);
    await h.transport.start();
    const deep = `${'['.repeat(1000)}${']'.repeat(1000)}`;
    h.input.write(`{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"x","arguments":{"a":${deep}}}}\n`);
    await tick();
    expect(h.received).toHaveLength(1);
  });
});
