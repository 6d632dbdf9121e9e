/** An SDK low-level Server per downstream session: tools/list and tools/call through the gateway. */
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ListToolsRequestSchema, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { ToolgateError } from '../errors.js';
import { isListed } from '../policy/listing.js';
import type { Principal } from '../policy/types.js';
import { handleToolCall } from './call.js';
import { keyOf } from './pins.js';
import type { Gateway, Session } from './gateway.js';
import { toWireError } from './to-wire.js';

/** What toolgate says about itself in `initialize`. */
export const SERVER_INFO = { name: 'toolgate', version: '0.1.0' } as const;

/** The live sessions, so catalog changes reach every client. */
export class SessionRegistry {
  readonly #sessions = new Map<string, Session>();

  add(session: Session): void {
    this.#sessions.set(session.id, session);
  }

  remove(id: string): void {
    this.#sessions.delete(id);
  }

  get size(): number {
    return this.#sessions.size;
  }

  /** Tells every connected client that the tool list changed. */
  announceToolsChanged(): void {
    for (const s of this.#sessions.values()) s.server.sendToolListChanged().catch(() => undefined);
  }
}

/** Builds the session's server; connect it to a transport to start talking. */
export function createSession(gw: Gateway, id: string, principal: Principal): Session {
  const server = new Server(SERVER_INFO, {
    capabilities: { tools: { listChanged: true } },
    instructions: 'Tools are served through toolgate, which checks each call against policy.',
  });
  const session: Session = { id, principal, server, inflight: 0 };

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
    if (session.inflight >= gw.config.limits.max_concurrent_calls) {
      throw toWireError(
        new ToolgateError('TG_TOO_LARGE', `too many concurrent calls in this session (limit ${gw.config.limits.max_concurrent_calls})`),
      );
    }
    session.inflight += 1;
    try {
      return await handleToolCall(gw, session, request.params, { signal: extra.signal, requestId: extra.requestId });
    } finally {
      session.inflight -= 1;
    }
  });

  server.onerror = (e) => gw.logger.debug({ err: e.message, session: id }, 'session transport error');
  return session;
}
