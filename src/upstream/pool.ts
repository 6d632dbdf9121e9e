/** The live upstreams: connections by name, one catalog snapshot, refresh on list_changed. */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ToolListChangedNotificationSchema, type Tool } from '@modelcontextprotocol/sdk/types.js';
import type { LoadedUpstream } from '../config/load.js';
import { ToolgateError, oneLine } from '../errors.js';
import { buildCatalog, listAllTools, type Catalog } from './catalog.js';
import { connectUpstream, type UpstreamConnection } from './connect.js';

/** Something the pool wants a person to know; the caller decides where it goes. */
export type PoolEvent =
  | { kind: 'connected'; upstream: string; tools: number; transport: UpstreamConnection['transport'] }
  | { kind: 'failed'; upstream: string; message: string }
  | { kind: 'closed'; upstream: string }
  | { kind: 'rejected-tool'; upstream: string; tool: string; message: string }
  | { kind: 'catalog-changed' };

/** All upstreams the gateway fronts. */
export interface UpstreamPool {
  /** The current catalog; replaced whole when any upstream's tool list changes. */
  readonly catalog: Catalog;
  /** The client for an upstream, or throws `TG_UPSTREAM_UNAVAILABLE`. */
  client(name: string): Client;
  /** Names of upstreams that are connected now. */
  connected(): string[];
  close(): Promise<void>;
}

/**
 * Connects every upstream in parallel. An upstream that fails to start is reported through
 * `onEvent` by name and left out; the others serve. Throws `TG_TOOL_NAME_CLASH` when the tools
 * of the upstreams that did start cannot all be named.
 */
export async function openPool(
  upstreams: readonly LoadedUpstream[],
  onEvent: (event: PoolEvent) => void = () => undefined,
): Promise<UpstreamPool> {
  const connections = new Map<string, UpstreamConnection>();
  const tools = new Map<string, readonly Tool[]>();
  const timeouts = new Map(upstreams.map((u) => [u.name, u.timeout]));
  let catalog: Catalog = buildCatalog(new Map(), upstreams.length > 1);

  const rebuild = (): void => {
    // Keep upstream order stable so prefixed names do not depend on who answered first.
    const ordered = new Map<string, readonly Tool[]>();
    for (const u of upstreams) {
      const list = tools.get(u.name);
      if (list && connections.has(u.name)) ordered.set(u.name, list);
    }
    catalog = buildCatalog(ordered, upstreams.length > 1);
    for (const r of catalog.rejected) onEvent({ kind: 'rejected-tool', upstream: r.server, tool: r.tool, message: r.reason });
  };

  const refresh = async (name: string): Promise<void> => {
    const connection = connections.get(name);
    if (!connection) return;
    try {
      tools.set(name, await listAllTools(connection.client, timeouts.get(name) ?? 60_000));
      rebuild();
      onEvent({ kind: 'catalog-changed' });
    } catch (e) {
      onEvent({ kind: 'failed', upstream: name, message: `could not refresh tools of ${name}: ${oneLine(e)}` });
    }
  };

  await Promise.all(
    upstreams.map(async (u) => {
      try {
        const connection = await connectUpstream(u, {
          onClosed: (name) => {
            connections.delete(name);
            rebuild();
            onEvent({ kind: 'closed', upstream: name });
            onEvent({ kind: 'catalog-changed' });
          },
        });
        connection.client.setNotificationHandler(ToolListChangedNotificationSchema, () => refresh(u.name));
        const list = await listAllTools(connection.client, u.timeout);
        connections.set(u.name, connection);
        tools.set(u.name, list);
        onEvent({ kind: 'connected', upstream: u.name, tools: list.length, transport: connection.transport });
      } catch (e) {
        onEvent({ kind: 'failed', upstream: u.name, message: oneLine(e) });
      }
    }),
  );
  try {
    rebuild();
  } catch (e) {
    await Promise.allSettled([...connections.values()].map((c) => c.close()));
    throw e;
  }

  return {
    get catalog() {
      return catalog;
    },
    client(name) {
      const connection = connections.get(name);
      if (!connection) {
        throw new ToolgateError('TG_UPSTREAM_UNAVAILABLE', `upstream ${name} is unavailable`, { details: { upstream: name } });
      }
      return connection.client;
    },
    connected: () => [...connections.keys()],
    async close() {
      const all = [...connections.values()];
      connections.clear();
      await Promise.allSettled(all.map((c) => c.close()));
    },
  };
}
