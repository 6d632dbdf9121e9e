/**
 * Everything in MCP besides tools, passed through for one session: resources (list, templates,
 * read, subscribe), prompts, completions, logging levels and roots changes. Not policy-checked;
 * nothing is forwarded for a name or URI no upstream offers.
 */
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import {
  CompleteRequestSchema,
  CompleteResultSchema,
  GetPromptRequestSchema,
  GetPromptResultSchema,
  ListPromptsRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListResourcesRequestSchema,
  ReadResourceRequestSchema,
  ReadResourceResultSchema,
  RootsListChangedNotificationSchema,
  SetLevelRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
  type Progress,
  type ServerCapabilities,
  type ServerNotification,
  type ServerRequest,
} from '@modelcontextprotocol/sdk/types.js';
import { ToolgateError } from '../errors.js';
import { explicitUri, type UriRoute } from '../upstream/listings.js';
import type { UpstreamPool } from '../upstream/pool.js';
import type { ForwardOptions } from '../upstream/port.js';
import type { Gateway, Session } from './gateway.js';
import { stateOf } from './downstream.js';
import { pageOf } from './pages.js';
import { toWireError } from './to-wire.js';

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/**
 * Installs the pass-through handlers on `session.server` for what `caps` declares (the SDK refuses
 * handlers for undeclared capabilities). Errors reach the client through `toWireError`: unknown
 * prompt or resource -32602 (`TG_UNKNOWN_PROMPT`, `TG_UNKNOWN_RESOURCE`), a foreign cursor -32602
 * (`TG_BAD_CURSOR`), an upstream that is down -32603; an upstream's own errors unchanged.
 */
export function registerPassthrough(gw: Gateway, session: Session, caps: ServerCapabilities): void {
  const server: Server = session.server;
  const pool = gw.pool;
  const handle =
    <P, R>(fn: (params: P, extra: Extra) => Promise<R>) =>
    async (request: { params?: P }, extra: Extra): Promise<R> => {
      try {
        return await fn(request.params as P, extra);
      } catch (e) {
        throw toWireError(e);
      }
    };

  if (caps.resources) {
    server.setRequestHandler(
      ListResourcesRequestSchema,
      handle(async (params) => {
        const page = pageOf(pool.listings.resources, params?.cursor, 'resources/list');
        return { resources: page.items, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
      }),
    );
    server.setRequestHandler(
      ListResourceTemplatesRequestSchema,
      handle(async (params) => {
        const page = pageOf(pool.listings.templates, params?.cursor, 'resources/templates/list');
        return { resourceTemplates: page.items, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
      }),
    );
    server.setRequestHandler(
      ReadResourceRequestSchema,
      handle(async (params, extra) => {
        const target = await resourceRoute(pool, params.uri);
        const result = await pool.request(target.server, { method: 'resources/read', params: { ...params, uri: target.uri } }, ReadResourceResultSchema, forwardOptions(session, extra));
        if (!target.explicit) return result;
        // Asked in the explicit form: answer in it, so the client can match what it asked for.
        return { ...result, contents: result.contents.map((c) => ({ ...c, uri: explicitUri(target.server, c.uri) })) };
      }),
    );
    server.setRequestHandler(
      SubscribeRequestSchema,
      handle(async (params, extra) => {
        const target = await resourceRoute(pool, params.uri);
        const subscriptions = stateOf(session).subscriptions;
        if (!subscriptions.has(params.uri)) {
          await pool.subscribe(target.server, target.uri, { id: session.id, requestId: extra.requestId });
          subscriptions.set(params.uri, { server: target.server, uri: target.uri });
        }
        return {};
      }),
    );
    server.setRequestHandler(
      UnsubscribeRequestSchema,
      handle(async (params, extra) => {
        const subscriptions = stateOf(session).subscriptions;
        const target = subscriptions.get(params.uri);
        if (target) {
          subscriptions.delete(params.uri);
          await pool.unsubscribe(target.server, target.uri, { id: session.id, requestId: extra.requestId });
        }
        return {};
      }),
    );
  }

  if (caps.prompts) {
    server.setRequestHandler(
      ListPromptsRequestSchema,
      handle(async (params) => {
        const page = pageOf(pool.listings.prompts, params?.cursor, 'prompts/list');
        return { prompts: page.items, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
      }),
    );
    server.setRequestHandler(
      GetPromptRequestSchema,
      handle(async (params, extra) => {
        const target = await promptTarget(pool, params.name);
        return pool.request(target.server, { method: 'prompts/get', params: { ...params, name: target.name } }, GetPromptResultSchema, forwardOptions(session, extra));
      }),
    );
  }

  if (caps.completions) {
    server.setRequestHandler(
      CompleteRequestSchema,
      handle(async (params, extra) => {
        const ref = params.ref;
        let server: string;
        let upstreamRef: typeof ref;
        if (ref.type === 'ref/prompt') {
          const target = await promptTarget(pool, ref.name);
          server = target.server;
          upstreamRef = { ...ref, name: target.name };
        } else {
          const target = await uriTarget(pool, ref.uri, (listings) => listings.routeTemplate(ref.uri));
          server = target.server;
          upstreamRef = { ...ref, uri: target.uri };
        }
        return pool.request(server, { method: 'completion/complete', params: { ...params, ref: upstreamRef } }, CompleteResultSchema, forwardOptions(session, extra));
      }),
    );
  }

  if (caps.logging) {
    server.setRequestHandler(
      SetLevelRequestSchema,
      handle(async (params) => {
        stateOf(session).level = params.level;
        await pool.setLogLevel({ id: session.id }, params.level);
        return {};
      }),
    );
  }

  server.setNotificationHandler(RootsListChangedNotificationSchema, () => pool.rootsChanged({ id: session.id }));
}

/**
 * How a request is forwarded for `session`: with its cancellation, on its behalf (so upstream
 * requests back find it), and with progress relayed under the client's own token.
 */
export function forwardOptions(session: Session, extra: Extra): ForwardOptions {
  const onprogress = progressRelay(extra);
  return { signal: extra.signal, holder: { id: session.id, requestId: extra.requestId }, ...(onprogress ? { onprogress } : {}) };
}

/**
 * When the client asked for progress (`_meta.progressToken`), a callback that passes the
 * upstream's progress on under the client's token, on the request's own stream. The upstream sees
 * a token of the pool's own, so tokens of different clients and upstreams never mix.
 */
export function progressRelay(extra: Extra): ((progress: Progress) => void) | undefined {
  const token = extra._meta?.progressToken;
  if (token === undefined) return undefined;
  return (progress) => {
    extra.sendNotification({ method: 'notifications/progress', params: { ...progress, progressToken: token } }).catch(() => undefined);
  };
}

async function resourceRoute(pool: UpstreamPool, uri: string): Promise<{ server: string; uri: string; explicit: boolean }> {
  return uriTarget(pool, uri, (listings) => listings.routeUri(uri));
}

// Routes by the current listings; a miss lists again once (an upstream may have just added it).
async function uriTarget(
  pool: UpstreamPool,
  uri: string,
  routeIn: (listings: UpstreamPool['listings']) => UriRoute,
): Promise<{ server: string; uri: string; explicit: boolean }> {
  let route = routeIn(pool.listings);
  if (route.kind === 'unknown') {
    await pool.refreshListings();
    route = routeIn(pool.listings);
  }
  if (route.kind === 'upstream') return route;
  if (route.kind === 'ambiguous') {
    const forms = route.servers.map((s) => JSON.stringify(explicitUri(s, uri))).join(' or ');
    throw new ToolgateError('TG_UNKNOWN_RESOURCE', `resource ${JSON.stringify(uri)} is offered by several upstreams; ask for ${forms}`);
  }
  throw new ToolgateError('TG_UNKNOWN_RESOURCE', `unknown resource ${JSON.stringify(uri)}`);
}

async function promptTarget(pool: UpstreamPool, name: string): Promise<{ server: string; name: string }> {
  let target = pool.listings.prompt(name);
  if (!target) {
    await pool.refreshListings();
    target = pool.listings.prompt(name);
  }
  if (!target) throw new ToolgateError('TG_UNKNOWN_PROMPT', `unknown prompt ${JSON.stringify(name)}`);
  return target;
}
