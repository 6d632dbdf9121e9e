/**
 * An SDK low-level Server per downstream session: the gateway's own `initialize` (capabilities the
 * union of its upstreams', `serverInfo` naming toolgate), tools/list and tools/call through the
 * gateway, everything else passed through.
 */
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ListToolsRequestSchema, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { isListed } from '../policy/listing.js';
import type { Principal } from '../policy/types.js';
import { handleToolCall } from './call.js';
import { keyOf } from './pins.js';
import type { Gateway, Session } from './gateway.js';
import { stateOf } from './downstream.js';
import { registerPassthrough, progressRelay } from './passthrough.js';

export { SessionRegistry } from './downstream.js';

/** What toolgate says about itself in `initialize`. */
export const SERVER_INFO = { name: 'toolgate', version: '0.1.0' } as const;

/**
 * Builds the session's server; connect it to a transport to start talking. It declares what the
 * upstreams known at this moment offer together; when the session closes, its subscriptions and
 * log level are released upstream.
 */
export function createSession(gw: Gateway, id: string, principal: Principal): Session {
  const capabilities = gw.pool.capabilities();
  const server = new Server(SERVER_INFO, {
    capabilities,
    instructions: 'Tools are served through toolgate, which checks each call against policy.',
  });
  const session: Session = { id, principal, server, inflight: 0 };
  stateOf(session).capabilities = capabilities;

  server.setRequestHandler(ListToolsRequestSchema, async () => {
    const policy = gw.policy.current;
    const held = await gw.pins.heldSet();
    const tools: Tool[] = [];
    for (const entry of gw.pool.catalog.entries) {
      if (!isListed(policy, entry.server, entry.tool, principal)) continue;
      if (held.has(keyOf(entry.server, entry.tool))) continue;
      tools.push({ ...entry.definition, name: entry.exposed });
    }
    return { tools };
  });

  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const limit = gw.config.limits.max_concurrent_calls;
    if (session.inflight >= limit) return handleToolCall(gw, session, request.params, { overLimit: limit });
    session.inflight += 1;
    gw.calls.inflight += 1;
    try {
      const onprogress = progressRelay(extra);
      return await handleToolCall(gw, session, request.params, {
        signal: extra.signal,
        requestId: extra.requestId,
        ...(onprogress ? { onprogress } : {}),
      });
    } finally {
      session.inflight -= 1;
      gw.calls.inflight -= 1;
    }
  });

  registerPassthrough(gw, session, capabilities);

  server.onclose = () => gw.pool.release(id);
  server.onerror = (e) => gw.logger.debug({ err: e.message, session: id }, 'session transport error');
  return session;
}
