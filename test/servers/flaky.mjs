#!/usr/bin/env node
// An upstream that misbehaves on request, for resilience tests. Usage: flaky.mjs [stdio | http PORT].
// FLAKY_LOG: a file that gets one line per event (`started <pid>`, `call <tool>`, `cancelled <tool>`).
// FLAKY_DOWN_FILE: while this file exists the server fails to start (exits 1 at once).
// FLAKY_DIE_AFTER_MS: the server exits that long after it started (a crash loop).
// Tools: echo; hang (never answers; notes its cancellation); mute (stops reading anything, pings
// included); garbage (writes a non-JSON line and a malformed result for the call, then waits);
// babble (from then on every answer is garbage).
import { appendFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

const log = (line) => {
  if (process.env.FLAKY_LOG) appendFileSync(process.env.FLAKY_LOG, `${line}\n`);
};
if (process.env.FLAKY_DOWN_FILE && existsSync(process.env.FLAKY_DOWN_FILE)) {
  process.stderr.write('flaky: down by request\n');
  process.exit(1);
}
log(`started ${process.pid}`);
// `mute` stops reading stdin, so EOF never comes: leave once the gateway that started us is gone.
setInterval(() => {
  if (process.ppid === 1) process.exit(0);
}, 500);
if (process.env.FLAKY_DIE_AFTER_MS) setTimeout(() => process.exit(2), Number(process.env.FLAKY_DIE_AFTER_MS));

const forever = (tool, signal) =>
  new Promise(() => {
    signal.addEventListener('abort', () => log(`cancelled ${tool}`));
  });

function build() {
  const server = new McpServer({ name: 'flaky', version: '1.0.0' });
  server.registerTool('echo', { description: 'Echoes text back', inputSchema: { text: z.string() } }, ({ text }) => {
    log('call echo');
    return { content: [{ type: 'text', text }] };
  });
  server.registerTool('hang', { description: 'Never answers' }, (extra) => {
    log('call hang');
    return forever('hang', extra.signal);
  });
  server.registerTool('mute', { description: 'Stops answering anything' }, (extra) => {
    log('call mute');
    process.stdin.removeAllListeners('data');
    process.stdin.pause();
    setInterval(() => undefined, 1000);
    return forever('mute', extra.signal);
  });
  server.registerTool('garbage', { description: 'Answers with garbage' }, (extra) => {
    log('call garbage');
    process.stdout.write('this line is not JSON-RPC\n');
    process.stdout.write(`${JSON.stringify({ jsonrpc: '2.0', id: extra.requestId, result: { content: 'not a list' } })}\n`);
    return forever('garbage', extra.signal);
  });
  server.registerTool('babble', { description: 'From now on, every answer is garbage' }, () => {
    log('call babble');
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = () => write('babble babble\n');
    return { content: [{ type: 'text', text: 'babbling' }] };
  });
  return server;
}

const [mode = 'stdio', portText = '0'] = process.argv.slice(2);
if (mode === 'stdio') {
  await build().connect(new StdioServerTransport());
} else {
  const http = createServer(async (req, res) => {
    if (req.url !== '/mcp') return void res.writeHead(404).end();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    const server = build();
    res.on('close', () => void server.close());
    await server.connect(transport);
    await transport.handleRequest(req, res);
  });
  http.listen(Number(portText), '127.0.0.1', () => process.stdout.write(`${http.address().port}\n`));
}
