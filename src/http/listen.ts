/** The HTTP listener: Streamable HTTP at /mcp and the JWKS at /.well-known/jwks.json, loopback by default. */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { oneLine } from '../errors.js';
import type { Gateway } from '../gateway/gateway.js';
import { IdleReaper, sessionIdleMs } from '../gateway/idle.js';
import { createSession, type SessionRegistry } from '../gateway/server.js';
import type { Principal } from '../policy/types.js';
import { originCheck, type OriginCheck } from './origin.js';
import { readBody, BodyTooLarge } from './body.js';
import { createAuthenticator } from './auth.js';
import { HttpSessionTransport } from './transport.js';

/** A listening HTTP front door. */
export interface HttpListener {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

interface HttpSession {
  readonly transport: HttpSessionTransport;
  readonly principal: Principal;
}

/**
 * Listens on `gateway.listen.host:port` (port 0 picks a free one). Each MCP session gets its own
 * SDK server and transport, bound to the principal that opened it.
 */
export async function listenHttp(gw: Gateway, sessions: SessionRegistry): Promise<HttpListener> {
  const { host, port } = gw.config.gateway.listen;
  const live = new Map<string, HttpSession>();
  // Sessions with no request or stream open for TOOLGATE_SESSION_IDLE (default 30 min) are closed.
  const reaper = new IdleReaper(sessionIdleMs());
  const jwksBody = (): string => JSON.stringify(gw.signer.jwks());
  const listen = gw.config.gateway.listen;
  const authenticator = createAuthenticator(listen.auth, gw.config.gateway.principal, gw.config.baseDir);
  const origin = (): string => {
    const a = server.address() as AddressInfo;
    return `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
  };

  // Built once the port is known; nothing is served before that.
  let guard: OriginCheck = () => 'forbidden: the listener is not ready';
  const server: HttpServer = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      gw.logger.error({ err: oneLine(e) }, 'http request failed');
      if (!res.headersSent) jsonRpcError(res, 500, null, -32603, 'internal error in toolgate');
      else res.end();
    });
  });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const refusal = guard(req);
    if (refusal) {
      jsonRpcError(res, 403, null, -32600, refusal);
      return;
    }
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/.well-known/jwks.json' && req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=60' }).end(jwksBody());
      return;
    }
    if ((path === '/.well-known/oauth-protected-resource' || path === '/.well-known/oauth-protected-resource/mcp') && req.method === 'GET') {
      // RFC 9728: where clients learn which authorization server issues tokens for /mcp.
      const metadata = {
        resource: `${origin()}/mcp`,
        authorization_servers: listen.auth?.jwt ? [listen.auth.jwt.issuer] : [],
        bearer_methods_supported: ['header'],
      };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(metadata));
      return;
    }
    if (path !== '/mcp') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: toolgate serves MCP at /mcp\n');
      return;
    }
    const auth = await authenticator.authenticate(req);
    if (!auth.ok) {
      const challenge = `Bearer error="${auth.error}", error_description="${auth.description}", resource_metadata="${origin()}/.well-known/oauth-protected-resource"`;
      res.setHeader('www-authenticate', challenge);
      jsonRpcError(res, 401, null, -32001, `unauthorized: ${auth.description}`);
      gw.logger.warn({ reason: auth.description }, 'http request refused: not authenticated');
      return;
    }
    const principal = auth.principal;
    const sessionId = header(req, 'mcp-session-id');
    const existing = sessionId === undefined ? undefined : live.get(sessionId);
    if (existing && existing.principal.id !== principal.id) {
      jsonRpcError(res, 403, null, -32001, 'forbidden: this session belongs to another principal');
      gw.logger.warn({ session: sessionId, principal: principal.id }, 'http request refused: session of another principal');
      return;
    }
    if (existing && sessionId !== undefined) {
      reaper.begin(sessionId);
      res.once('close', () => reaper.end(sessionId));
    }

    if (req.method === 'POST') {
      let body: unknown;
      try {
        body = await readBody(req, gw.config.limits.max_request_bytes);
      } catch (e) {
        if (e instanceof BodyTooLarge) jsonRpcError(res, 413, null, -32600, e.message);
        else jsonRpcError(res, 400, null, -32700, 'parse error: body is not valid JSON');
        return;
      }
      if (sessionId === undefined) {
        if (!isInitializeRequest(body)) {
          jsonRpcError(res, 400, null, -32600, 'bad request: no Mcp-Session-Id and not an initialize request');
          return;
        }
        await openSession(req, res, body, principal);
        return;
      }
      if (!existing) {
        jsonRpcError(res, 404, null, -32001, 'session not found');
        return;
      }
      await existing.transport.handle(req, res, body);
      return;
    }
    if (req.method === 'GET' || req.method === 'DELETE') {
      if (!existing) {
        jsonRpcError(res, sessionId === undefined ? 400 : 404, null, -32001, 'session not found');
        return;
      }
      await existing.transport.handle(req, res);
      return;
    }
    res.writeHead(405, { allow: 'GET, POST, DELETE' }).end();
  };

  const openSession = async (req: IncomingMessage, res: ServerResponse, body: unknown, principal: Principal): Promise<void> => {
    const id = randomUUID();
    const session = createSession(gw, id, principal);
    // Events are kept per session, so a client that lost an SSE stream resumes it with Last-Event-ID.
    const transport = new HttpSessionTransport({
      sessionId: id,
      onInitialized: () => {
        live.set(id, { transport, principal });
        sessions.add(session);
        reaper.track(id, () => transport.close());
      },
    });
    transport.onclose = () => {
      live.delete(id);
      sessions.remove(id);
      reaper.forget(id);
    };
    await session.server.connect(transport);
    await transport.handle(req, res, body);
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  guard = originCheck(gw.config.gateway.listen, address.port);
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}/mcp`,
    port: address.port,
    close: async () => {
      reaper.stop();
      const transports = [...live.values()].map((s) => s.transport);
      live.clear();
      await Promise.allSettled(transports.map((t) => t.close()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function jsonRpcError(res: ServerResponse, status: number, id: string | number | null, code: number, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id, error: { code, message } }));
}
