/** The admin listener: /healthz, /metrics and the review console at /, every request behind the admin token. */
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describeScope, parseScope } from '../approvals/scope.js';
import { APPROVAL_ID, listPending, resolveApproval } from '../approvals/store.js';
import { ToolgateError, isToolgateError, oneLine } from '../errors.js';
import type { ApprovalScope } from '../state/store.js';
import type { Gateway } from '../gateway/gateway.js';
import { originCheck, type OriginCheck } from '../http/origin.js';
import { isLoopback } from '../net.js';
import { createAdminAuth, type AdminAuth } from './auth.js';
import { createChainChecker } from './chain.js';
import { renderConsole, renderLogin, type ConsoleView } from './console.js';
import { parseFilters } from './filters.js';
import { healthOf } from './health.js';
import { SECURITY_HEADERS } from './html.js';
import type { AdminMetrics } from './metrics.js';
import { CONSOLE_LIMITS, readRecentDecisions, type RecentLimits } from './recent.js';

/** A listening admin server. */
export interface AdminListener {
  /** The console's URL (`http://host:port/`). */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Options for tests and embedding. */
export interface AdminOptions {
  /** The metrics fed by the gateway's log hooks (see `createMetrics`). */
  readonly metrics: AdminMetrics;
  /** How many decisions the console reads (default `CONSOLE_LIMITS`). */
  readonly limits?: RecentLimits;
  /** Port to listen on instead of `admin.listen.port` (0 picks a free one). */
  readonly port?: number;
}

const MAX_FORM_BYTES = 8 * 1024;
/** Who resolved an approval from the console, as the state store records it. */
export const CONSOLE_APPROVER = 'admin';

/**
 * Listens on `admin.listen` of `gw`'s config. Host and Origin are checked on every request as on
 * the MCP listener; every path but the login form needs the admin token, as `Authorization:
 * Bearer` or the session cookie the login form sets; a POST made with the cookie must also come
 * from the console's own origin. Throws `TG_CONFIG_INVALID` when the config has no `admin`,
 * `TG_LISTEN_FAILED` when the address cannot be bound.
 */
export async function listenAdmin(gw: Gateway, opts: AdminOptions): Promise<AdminListener> {
  const admin = gw.config.admin;
  if (!admin) throw new ToolgateError('TG_CONFIG_INVALID', 'no admin section in the config', { details: { field: 'admin' } });
  const listen = { host: admin.listen.host, allowed_origins: [] as string[] };
  const auth = createAdminAuth(admin.token, gw.now);
  const chain = createChainChecker({ logPath: gw.config.log.path, ...(gw.config.receipts.key ? { keyPath: gw.config.receipts.key } : {}), now: gw.now });
  const limits = opts.limits ?? CONSOLE_LIMITS;
  const { metrics } = opts;
  metrics.attach(gw);
  const name = gw.config.gateway.name;

  // Built once the port is known; nothing is served before that.
  let guard: OriginCheck = () => 'forbidden: the listener is not ready';
  const server: HttpServer = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      gw.logger.error({ err: oneLine(e) }, 'admin request failed');
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error in toolgate\n');
      else res.end();
    });
  });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const refusal = guard(req);
    if (refusal) return send(res, 403, 'text/plain; charset=utf-8', `${refusal}\n`);
    const url = new URL(req.url ?? '/', 'http://admin.invalid');
    const path = url.pathname;
    const method = req.method ?? 'GET';

    if (path === '/login') {
      if (method === 'GET') {
        if (auth.check(req)) return redirect(res, '/');
        return send(res, 200, HTML, renderLogin(name, false));
      }
      if (method !== 'POST') return notAllowed(res, 'GET, POST');
      const form = await readForm(req, res);
      if (!form) return;
      if (!auth.tokenMatches(form.get('token') ?? '')) {
        gw.logger.warn('review console login refused: wrong token');
        return send(res, 401, HTML, renderLogin(name, true));
      }
      return redirect(res, '/', { 'set-cookie': auth.login() });
    }

    const how = auth.check(req);
    if (!how) {
      if (method === 'GET' && path === '/' && wantsHtml(req)) return redirect(res, '/login');
      res.setHeader('www-authenticate', 'Bearer realm="toolgate-admin"');
      return send(res, 401, 'text/plain; charset=utf-8', 'unauthorized: send the admin token as Authorization: Bearer, or log in at /login\n');
    }
    if (method === 'POST') {
      const forged = crossSite(req, how);
      if (forged) return send(res, 403, 'text/plain; charset=utf-8', `${forged}\n`);
    }

    if (path === '/healthz') {
      if (method !== 'GET') return notAllowed(res, 'GET');
      const health = healthOf(Object.keys(gw.config.upstreams), gw.pool.connected(), metrics.logWritable());
      return send(res, health.httpStatus, 'application/json', JSON.stringify(health.body));
    }
    if (path === '/metrics') {
      if (method !== 'GET') return notAllowed(res, 'GET');
      return send(res, 200, metrics.contentType, await metrics.render());
    }
    if (path === '/') {
      if (method !== 'GET') return notAllowed(res, 'GET');
      return send(res, 200, HTML, renderConsole(await consoleView(url.searchParams)));
    }
    if (path === '/logout') {
      if (method !== 'POST') return notAllowed(res, 'POST');
      return redirect(res, '/login', { 'set-cookie': auth.logout(req) });
    }
    const action = /^\/approvals\/([^/]+)\/(approve|deny)$/.exec(path);
    if (action) {
      if (method !== 'POST') return notAllowed(res, 'POST');
      const form = await readForm(req, res);
      if (!form) return;
      return redirect(res, await resolve(safeDecode(action[1] as string), action[2] as 'approve' | 'deny', form.get('for') ?? 'once'));
    }
    return send(res, 404, 'text/plain; charset=utf-8', 'not found: the review console is at /\n');
  };

  // Approves or denies like `toolgate approvals`, recorded as by `admin`; returns where to go next.
  const resolve = async (rawId: string, verdict: 'approve' | 'deny', scopeText: string): Promise<string> => {
    const id = rawId.trim().toLowerCase();
    if (!APPROVAL_ID.test(id)) return '/?error=unknown';
    let scope: ApprovalScope;
    try {
      scope = parseScope(scopeText);
    } catch {
      return `/?error=bad-scope&id=${id}`;
    }
    try {
      await resolveApproval(gw.state, id, verdict === 'approve' ? { verdict, scope, by: CONSOLE_APPROVER } : { verdict, by: CONSOLE_APPROVER }, gw.now());
    } catch (e) {
      if (!isToolgateError(e, 'TG_APPROVAL_NOT_FOUND')) throw e;
      return `/?error=${String(e.details.reason ?? 'unknown')}&id=${id}`;
    }
    gw.logger.info({ approval: id, verdict, ...(verdict === 'approve' ? { scope: describeScope(scope) } : {}), by: CONSOLE_APPROVER }, 'approval resolved from the review console');
    return verdict === 'approve' ? `/?approved=${id}&for=${encodeURIComponent(scopeText.trim())}` : `/?denied=${id}`;
  };

  const consoleView = async (query: URLSearchParams): Promise<ConsoleView> => {
    const now = gw.now();
    const parsed = parseFilters(query, now);
    const [recent, pending, chainStatus] = await Promise.all([
      readRecentDecisions(gw.config.log.path, parsed.filter, limits).catch((e: unknown) => oneLine(e)),
      listPending(gw.state, now),
      chain.status(),
    ]);
    const connected = new Set(gw.pool.connected());
    const refresh = Number(query.get('refresh'));
    const flash = flashOf(query);
    return {
      gatewayName: name,
      now,
      upstreams: Object.keys(gw.config.upstreams).map((u) => ({ name: u, up: connected.has(u) })),
      pending,
      fields: parsed.fields,
      ...(parsed.filter.since !== undefined ? { since: parsed.filter.since } : {}),
      ...(parsed.problem ? { filterProblem: parsed.problem } : {}),
      ...(typeof recent === 'string' ? { logError: recent } : { recent }),
      chain: chainStatus,
      limits,
      ...(flash ? { flash } : {}),
      ...(Number.isInteger(refresh) && refresh >= 5 && refresh <= 3600 ? { refreshSeconds: refresh } : {}),
    };
  };

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        new ToolgateError('TG_LISTEN_FAILED', `admin.listen: cannot listen on ${admin.listen.host}:${opts.port ?? admin.listen.port}: ${e.code ?? oneLine(e)}`, {
          cause: e,
          details: { field: 'admin.listen' },
        }),
      ),
    );
    server.listen(opts.port ?? admin.listen.port, admin.listen.host, () => resolveListen());
  });
  server.removeAllListeners('error');
  server.on('error', (e) => gw.logger.error({ err: oneLine(e) }, 'admin listener error'));
  if (!isLoopback(admin.listen.host)) {
    gw.logger.warn({ host: admin.listen.host }, 'the review console is served over plain HTTP beyond this machine: the admin token crosses the network unencrypted unless TLS is put in front');
  }
  const address = server.address() as AddressInfo;
  guard = originCheck(listen, address.port);
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}/`,
    port: address.port,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}

const HTML = 'text/html; charset=utf-8';

// A cookie rides along on any request the browser makes, so a state-changing request that
// carries only the cookie must show it comes from the console's own page: its Origin must be
// this listener exactly (checkOrigin let through only this listener's names), and when the
// browser says where it came from (Sec-Fetch-Site), that must be the same origin. A bearer token
// is never sent by a browser on its own, so API clients need neither.
function crossSite(req: IncomingMessage, how: AdminAuth): string | undefined {
  if (how !== 'cookie') return undefined;
  const origin = req.headers.origin;
  if (origin === undefined || origin.toLowerCase() !== `http://${(req.headers.host ?? '').toLowerCase()}`) {
    return 'forbidden: a form post must come from the review console itself (Origin missing or another site)';
  }
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin') return 'forbidden: a form post must come from the review console itself';
  return undefined;
}

function wantsHtml(req: IncomingMessage): boolean {
  return (req.headers.accept ?? '').includes('text/html');
}

async function readForm(req: IncomingMessage, res: ServerResponse): Promise<URLSearchParams | undefined> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    req.resume();
    send(res, 415, 'text/plain; charset=utf-8', 'unsupported: send application/x-www-form-urlencoded\n');
    return undefined;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_FORM_BYTES) {
      req.resume();
      send(res, 413, 'text/plain; charset=utf-8', `form larger than ${MAX_FORM_BYTES} bytes refused\n`);
      return undefined;
    }
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

// The message after an action: built from checked parameters only, never from query text as is.
function flashOf(query: URLSearchParams): ConsoleView['flash'] {
  const id = query.get('approved') ?? query.get('denied') ?? query.get('id') ?? '';
  const known = APPROVAL_ID.test(id);
  const shownId = known ? id : 'that approval';
  const subject = known ? id : 'That approval';
  if (query.has('approved') && APPROVAL_ID.test(id)) {
    let scope = 'once';
    try {
      scope = describeScope(parseScope(query.get('for') ?? 'once'));
    } catch {
      // shown as once
    }
    return { kind: 'ok', text: `Approved ${id} ${scope}: the same call from the same principal now goes through.` };
  }
  if (query.has('denied') && APPROVAL_ID.test(id)) return { kind: 'ok', text: `Denied ${id}: retries of that call are refused as denied by a person.` };
  switch (query.get('error')) {
    case 'unknown':
      return { kind: 'error', text: `There is no approval ${known ? shownId : 'with that id'}.` };
    case 'expired':
      return { kind: 'error', text: `${subject} has expired; the call must be made again for a new one.` };
    case 'resolved':
      return { kind: 'error', text: `${subject} was already approved or denied.` };
    case 'bad-scope':
      return { kind: 'error', text: 'An approval lasts once, for the session, or for a duration such as 1h.' };
    default:
      return undefined;
  }
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type }).end(body);
}

function redirect(res: ServerResponse, location: string, headers: Record<string, string> = {}): void {
  res.writeHead(303, { ...SECURITY_HEADERS, ...headers, location }).end();
}

function notAllowed(res: ServerResponse, allow: string): void {
  res.setHeader('allow', allow);
  send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
}
