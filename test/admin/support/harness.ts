/** A real gateway with its admin listener, in process: workspace on disk, recorder upstream, MCP over HTTP, admin over HTTP. */
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { listenAdmin, type AdminListener } from '../../../src/admin/listen.js';
import { createMetrics, type AdminMetrics } from '../../../src/admin/metrics.js';
import { loadConfig } from '../../../src/config/load.js';
import { startGateway, type RunningGateway } from '../../../src/gateway/start.js';
import { listenHttp, type HttpListener } from '../../../src/http/listen.js';
import { connectHttp } from '../../helpers/gateway.js';
import { makeWorkspace, stdioUpstream, type Workspace } from '../../helpers/workspace.js';

/** The admin block every harness config carries; the token comes from the environment, as in PRODUCT.md. */
export const ADMIN_BLOCK = `admin:
  listen: { host: 127.0.0.1, port: 0 }
  token: "\${TOOLGATE_ADMIN_TOKEN}"
`;

/** A running gateway with the review console. */
export interface Harness {
  readonly ws: Workspace;
  readonly running: RunningGateway;
  readonly metrics: AdminMetrics;
  readonly admin: AdminListener;
  readonly mcp: HttpListener;
  /** `http://127.0.0.1:PORT` without a trailing slash. */
  readonly origin: string;
  readonly token: string;
  /** A new MCP client session on the gateway (closed by `close`). */
  client(): Promise<Client>;
  /** fetch on the admin listener, with the bearer token unless `auth: false` or other headers are given. */
  get(path: string, init?: { auth?: boolean; headers?: Record<string, string> }): Promise<Response>;
  close(): Promise<void>;
}

/** Starts everything; `upstreams` defaults to the recorder. */
export async function startHarness(options: { upstreams?: Record<string, string>; policy?: string } = {}): Promise<Harness> {
  const ws = await makeWorkspace({
    upstreams: options.upstreams ?? { recorder: stdioUpstream('recorder') },
    listen: '    transport: http\n    port: 0',
    extra: ADMIN_BLOCK,
    ...(options.policy ? { policy: options.policy } : {}),
  });
  const token = randomBytes(24).toString('base64url');
  const config = await loadConfig(ws.config, { ...process.env, TOOLGATE_ADMIN_TOKEN: token });
  const metrics = createMetrics();
  const running = await startGateway(config, { ...metrics.hooks, logger: pino({ level: 'silent' }), watchPolicy: false });
  const mcp = await listenHttp(running.gateway, running.sessions);
  const admin = await listenAdmin(running.gateway, { metrics });
  const origin = admin.url.replace(/\/$/, '');
  const clients: Client[] = [];
  return {
    ws,
    running,
    metrics,
    admin,
    mcp,
    origin,
    token,
    client: async () => {
      const c = await connectHttp(mcp.url);
      clients.push(c);
      return c;
    },
    get: (path, init = {}) =>
      fetch(`${origin}${path}`, {
        redirect: 'manual',
        headers: { ...(init.auth === false ? {} : { authorization: `Bearer ${token}` }), ...init.headers },
      }),
    close: async () => {
      for (const c of clients) await c.close().catch(() => undefined);
      await admin.close();
      await mcp.close();
      await running.close();
      await ws.cleanup();
    },
  };
}
