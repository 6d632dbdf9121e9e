#!/usr/bin/env node
// The benchmark's upstream: an SDK McpServer with `echo` (returns its text) and `blob` (returns N bytes),
// on stdio or on stateful Streamable HTTP. Usage: echo.mjs [stdio | http [PORT]]; in HTTP mode the
// first stdout line is the port, bound to 127.0.0.1. For experiments: ECHO_JSON_RESPONSE=1 answers POSTs with
// one JSON body instead of an SSE stream (the transport's enableJsonResponse); ECHO_DELAY_MS=N makes echo wait
// N ms (a timer) before answering, as a tool that does I/O (or a proxy waiting on its upstream) would.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { blobOf } from './blob.mjs';

const DELAY_MS = Number(process.env.ECHO_DELAY_MS ?? 0);

function build() {
  const server = new McpServer({ name: 'bench-echo', version: '1.0.0' });
  server.registerTool('echo', { description: 'Echoes text back', inputSchema: { text: z.string() } }, async (args) => {
    if (DELAY_MS > 0) await new Promise((resolve) => setTimeout(resolve, DELAY_MS));
    return { content: [{ type: 'text', text: args.text }] };
  });
  server.registerTool(
    'blob',
    { description: 'Returns a text of exactly `bytes` ASCII bytes', inputSchema: { bytes: z.number().int().min(0).max(16_777_216) } },
    (args) => ({ content: [{ type: 'text', text: blobOf(args.bytes) }] }),
  );
  return server;
}

const [mode = 'stdio', portText = '0'] = process.argv.slice(2);
if (mode === 'stdio') {
  await build().connect(new StdioServerTransport());
} else if (mode === 'http') {
  // One McpServer and transport per session, as the SDK's stateful Streamable HTTP examples do.
  const sessions = new Map();
  const http = createServer(async (req, res) => {
    try {
      if (req.url !== '/mcp') {
        res.writeHead(404).end();
        return;
      }
      const id = req.headers['mcp-session-id'];
      const existing = typeof id === 'string' ? sessions.get(id) : undefined;
      if (req.method === 'POST') {
        const body = await readJson(req);
        if (existing) {
          await existing.handleRequest(req, res, body);
          return;
        }
        if (id !== undefined || !isInitializeRequest(body)) {
          res.writeHead(id === undefined ? 400 : 404, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32000, message: 'no such session' } }));
          return;
        }
        const transport = new StreamableHTTPServerTransport({
          sessionIdGenerator: () => randomUUID(),
          enableJsonResponse: process.env.ECHO_JSON_RESPONSE === '1',
          onsessioninitialized: (sid) => sessions.set(sid, transport),
        });
        transport.onclose = () => {
          if (transport.sessionId) sessions.delete(transport.sessionId);
        };
        await build().connect(transport);
        await transport.handleRequest(req, res, body);
        return;
      }
      if (existing && (req.method === 'GET' || req.method === 'DELETE')) {
        await existing.handleRequest(req, res);
        return;
      }
      res.writeHead(existing ? 405 : 404).end();
    } catch (e) {
      if (!res.headersSent) res.writeHead(500).end(String(e));
      else res.end();
    }
  });
  http.listen(Number(portText), '127.0.0.1', () => process.stdout.write(`${http.address().port}\n`));
} else {
  process.stderr.write(`echo.mjs: unknown mode ${mode} (stdio | http [PORT])\n`);
  process.exit(2);
}

function readJson(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch (e) {
        reject(e);
      }
    });
    req.on('error', reject);
  });
}
