/** An in-process Streamable HTTP MCP server on 127.0.0.1: node:http, toolgate's session transport, an SDK McpServer per session. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { HttpSessionTransport, type HttpSessionOptions } from '../../src/http/transport.js';

export interface McpHttpServer {
  readonly url: string;
  close(): Promise<void>;
}

/** Serves a fresh `build()` server per session at `/mcp` on a free port; `options` go to each session's transport. */
export async function serveMcpHttp(build: () => McpServer, options: Pick<HttpSessionOptions, 'jsonAnswerMs'> = {}): Promise<McpHttpServer> {
  const sessions = new Map<string, HttpSessionTransport>();
  let n = 0;
  const http = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const body: unknown = chunks.length > 0 ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
        const id = req.headers['mcp-session-id'];
        let transport = typeof id === 'string' ? sessions.get(id) : undefined;
        if (!transport) {
          const sessionId = `s${++n}`;
          const created = new HttpSessionTransport({ ...options, sessionId, onInitialized: () => sessions.set(sessionId, created) });
          await build().connect(created);
          transport = created;
        }
        await transport.handle(req, res, body);
      })();
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`,
    close: async () => {
      await Promise.all([...sessions.values()].map((t) => t.close()));
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    },
  };
}
