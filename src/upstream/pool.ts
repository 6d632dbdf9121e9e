/**
 * The live upstreams: one shared connection each, their catalogs and listings, requests forwarded
 * to them, what they send back toward clients, and recovery: an upstream that fails to start,
 * exits, stops answering or writes garbage is marked down and retried with backoff.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { AnySchema, SchemaOutput } from '@modelcontextprotocol/sdk/server/zod-compat.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ElicitationCompleteNotificationSchema,
  EmptyResultSchema,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
  PromptListChangedNotificationSchema,
  ResourceListChangedNotificationSchema,
  ResourceUpdatedNotificationSchema,
  ToolListChangedNotificationSchema,
  type LoggingLevel,
  type RequestId,
  type Result,
  type ServerCapabilities,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import type { LoadedUpstream } from '../config/load.js';
import { isToolgateError, oneLine } from '../errors.js';
import { buildCatalog, listAllTools, type Catalog } from './catalog.js';
import { connectUpstream, type UpstreamConnection } from './connect.js';
import { classifyFailure, isParseFailure, unavailable } from './forward.js';
import { UPSTREAM_CAPABILITIES, loggerNamed, mostVerbose, unionCapabilities } from './capabilities.js';
import { buildListings, type Listings, type UpstreamListing } from './listings.js';
import type { DownstreamPort, ForwardOptions, Holder, Routing } from './port.js';
import { readListing, samePrompts, sameResources } from './read-listing.js';
import { Backoff, DEFAULT_BACKOFF, type BackoffOptions } from './reconnect.js';

/** Something the pool wants a person to know; the caller decides where it goes. */
export type PoolEvent =
  | { kind: 'connected'; upstream: string; tools: number; transport: UpstreamConnection['transport'] }
  | { kind: 'failed'; upstream: string; message: string }
  | { kind: 'closed'; upstream: string }
  | { kind: 'rejected-tool'; upstream: string; tool: string; message: string }
  | { kind: 'catalog-changed' };

/** All upstreams the gateway fronts. */
export interface UpstreamPool {
  /** The current tool catalog; replaced whole when any upstream's tool list changes or it goes down or up. */
  readonly catalog: Catalog;
  /** The current resources, templates and prompts, as clients see them. */
  readonly listings: Listings;
  /** The client for an upstream, or throws `TG_UPSTREAM_UNAVAILABLE`. */
  client(name: string): Client;
  /** Names of upstreams that are connected now. */
  connected(): string[];
  /** What the upstreams offer together (tools always), for the gateway's own `initialize`. */
  capabilities(): ServerCapabilities;
  /**
   * Forwards one request to `name` under its configured timeout. Throws `TG_UPSTREAM_UNAVAILABLE`
   * (down, or went away), `TG_UPSTREAM_TIMEOUT` (cancelled upstream), `TG_UPSTREAM_INVALID` (a
   * result that does not parse), or the upstream's own JSON-RPC error, unchanged.
   */
  request<T extends AnySchema>(name: string, request: { method: string; params?: Record<string, unknown> }, schema: T, options?: ForwardOptions): Promise<SchemaOutput<T>>;
  /** Lists resources and templates again (after a miss); concurrent calls share one refresh. */
  refreshListings(): Promise<void>;
  /** Subscribes `holder` to `uri` of `name`; the upstream is asked only for the first holder. */
  subscribe(name: string, uri: string, holder: Holder): Promise<void>;
  /** Drops `holder`'s subscription; the upstream is told when the last holder leaves. */
  unsubscribe(name: string, uri: string, holder: Holder): Promise<void>;
  /** Records `holder`'s log level and sets every upstream that logs to the most verbose level any session asked for. */
  setLogLevel(holder: Holder, level: LoggingLevel): Promise<void>;
  /** A session's roots changed: tells every upstream, and makes that session the one roots requests go to. */
  rootsChanged(holder: Holder): void;
  /** A session ended: its subscriptions, log level and routing records go. */
  release(holderId: string): void;
  close(): Promise<void>;
}

/** Tuning for tests and embedding. */
export interface PoolOptions {
  /** Where requests and notifications from upstreams go (default: nowhere; requests are refused). */
  readonly downstream?: DownstreamPort;
  /** Retry schedule for upstreams that are down (default 0.5 s doubling to 30 s). */
  readonly backoff?: BackoffOptions;
  /** How often idle upstreams are pinged, in ms (default 30 s; 0 turns it off). */
  readonly healthIntervalMs?: number;
  /**
   * How long a connection must last for the backoff to start over, in ms (default 10 s): an
   * upstream that crashes soon after each start is retried ever more slowly, not every 0.5 s.
   */
  readonly stableMs?: number;
}

interface Slot {
  readonly upstream: LoadedUpstream;
  state: 'starting' | 'up' | 'down';
  connection: UpstreamConnection | undefined;
  /** Bumped on every connection attempt, so that events of an old connection are ignored. */
  generation: number;
  tools: readonly Tool[] | undefined;
  listing: UpstreamListing | undefined;
  /** The last listing, kept while down so that its names still route (to "unavailable"). */
  remembered: UpstreamListing | undefined;
  capabilities: ServerCapabilities | undefined;
  readonly backoff: Backoff;
  /** When the current connection came up (ms since the epoch). */
  upSince: number;
  checking: boolean;
  readonly inflight: Array<{ holder: string; requestId: RequestId | undefined }>;
  last: string | undefined;
  readonly subscriptions: Map<string, Set<string>>;
  level: LoggingLevel | undefined;
}

const NO_DOWNSTREAM: DownstreamPort = {
  request: async () => {
    throw new Error('no client session can answer this request');
  },
  log: () => undefined,
  resourceUpdated: () => undefined,
  listChanged: () => undefined,
  elicitationComplete: () => undefined,
};

/**
 * Connects every upstream in parallel. An upstream that fails to start is reported through
 * `onEvent` by name and retried with backoff; the others serve. Throws `TG_TOOL_NAME_CLASH` when
 * the tools of the upstreams that did start cannot all be named.
 */
export async function openPool(
  upstreams: readonly LoadedUpstream[],
  onEvent: (event: PoolEvent) => void = () => undefined,
  options: PoolOptions = {},
): Promise<UpstreamPool> {
  const port = options.downstream ?? NO_DOWNSTREAM;
  const stableMs = options.stableMs ?? 10_000;
  const names = upstreams.map((u) => u.name);
  const prefixed = upstreams.length > 1;
  const slots = new Map<string, Slot>(
    upstreams.map((u) => [
      u.name,
      {
        upstream: u,
        state: 'starting',
        connection: undefined,
        generation: 0,
        tools: undefined,
        listing: undefined,
        remembered: undefined,
        capabilities: undefined,
        backoff: new Backoff(options.backoff ?? DEFAULT_BACKOFF),
        upSince: 0,
        checking: false,
        inflight: [],
        last: undefined,
        subscriptions: new Map(),
        level: undefined,
      },
    ]),
  );
  const levels = new Map<string, LoggingLevel>();
  let catalog: Catalog = buildCatalog(new Map(), prefixed, names);
  let listings: Listings = buildListings(new Map(), names);
  let opened = false;
  let closed = false;

  const up = (slot: Slot): boolean => slot.state === 'up' && slot.connection !== undefined;

  const rebuildCatalog = (): void => {
    // Upstream order stays stable so prefixed names do not depend on who answered first.
    const ordered = new Map<string, readonly Tool[]>();
    const down: string[] = [];
    for (const slot of slots.values()) {
      if (up(slot) && slot.tools) ordered.set(slot.upstream.name, slot.tools);
      else down.push(slot.upstream.name);
    }
    const next = buildCatalog(ordered, prefixed, down);
    catalog = next;
    for (const r of next.rejected) onEvent({ kind: 'rejected-tool', upstream: r.server, tool: r.tool, message: r.reason });
  };

  const rebuildListings = (): void => {
    const live = new Map<string, UpstreamListing>();
    const remembered = new Map<string, UpstreamListing>();
    for (const slot of slots.values()) {
      if (up(slot) && slot.listing) live.set(slot.upstream.name, slot.listing);
      else if (slot.remembered) remembered.set(slot.upstream.name, slot.remembered);
    }
    listings = buildListings(live, names, remembered);
  };

  // A runtime rebuild that fails (a tool that came back with a clashing name) keeps the old catalog.
  const rebuildAll = (): void => {
    try {
      rebuildCatalog();
    } catch (e) {
      onEvent({ kind: 'failed', upstream: '', message: `tool catalog not updated: ${oneLine(e)}` });
    }
    rebuildListings();
  };

  const announce = (slot: Slot, before: UpstreamListing | undefined): void => {
    if (!opened) return;
    onEvent({ kind: 'catalog-changed' });
    const after = up(slot) ? slot.listing : undefined;
    const had = (l: UpstreamListing | undefined, k: 'resources' | 'prompts'): boolean =>
      l !== undefined && (k === 'prompts' ? l.prompts.length > 0 : l.resources.length + l.templates.length > 0);
    if (had(before, 'resources') || had(after, 'resources')) port.listChanged('resources');
    if (had(before, 'prompts') || had(after, 'prompts')) port.listChanged('prompts');
  };

  const retry = (slot: Slot, why: string): void => {
    if (closed) return;
    const delay = slot.backoff.schedule(() => void attempt(slot));
    onEvent({ kind: 'failed', upstream: slot.upstream.name, message: `${why}; retrying in ${formatDelay(delay)}` });
  };

  // The connection is gone (exited, closed, or stopped answering): hide its tools, retry later.
  const lose = (slot: Slot, generation: number, why: string): void => {
    if (slot.generation !== generation || slot.state !== 'up') return;
    const before = slot.listing;
    const connection = slot.connection;
    slot.state = 'down';
    slot.connection = undefined;
    if (Date.now() - slot.upSince >= stableMs) slot.backoff.succeeded();
    slot.remembered = slot.listing ?? slot.remembered;
    slot.listing = undefined;
    slot.tools = undefined;
    slot.level = undefined;
    slot.inflight.length = 0;
    rebuildAll();
    onEvent({ kind: 'closed', upstream: slot.upstream.name });
    announce(slot, before);
    connection?.close().catch(() => undefined);
    retry(slot, `upstream ${slot.upstream.name} is unavailable: ${why}`);
  };

  // Asks an upstream that may have stopped answering for a ping; no answer in time means it is lost.
  const check = (slot: Slot, why: string): void => {
    if (!up(slot) || slot.checking || closed) return;
    const connection = slot.connection as UpstreamConnection;
    const generation = slot.generation;
    slot.checking = true;
    const timeout = Math.min(slot.upstream.timeout, 10_000);
    connection.client.ping({ timeout }).then(
      () => {
        slot.checking = false;
      },
      (e: unknown) => {
        slot.checking = false;
        lose(slot, generation, `${why}, and it did not answer a ping within ${timeout} ms (${oneLine(e).slice(0, 120)})`);
      },
    );
  };

  const install = (slot: Slot, client: Client): void => {
    const name = slot.upstream.name;
    const toClients = async (request: { method: string; params?: Record<string, unknown> }, signal: AbortSignal): Promise<Result> =>
      port.request(name, route(slot), request, signal);
    client.setRequestHandler(CreateMessageRequestSchema, (req, extra) => toClients(req, extra.signal));
    client.setRequestHandler(ElicitRequestSchema, (req, extra) => toClients(req, extra.signal));
    client.setRequestHandler(ListRootsRequestSchema, (req, extra) => toClients(req, extra.signal));
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => refreshTools(slot));
    client.setNotificationHandler(ResourceListChangedNotificationSchema, () => refreshListing(slot));
    client.setNotificationHandler(PromptListChangedNotificationSchema, () => refreshListing(slot));
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => port.log(name, route(slot), prefixed ? loggerNamed(name, n.params) : n.params));
    client.setNotificationHandler(ElicitationCompleteNotificationSchema, (n) => port.elicitationComplete(name, route(slot), n.params));
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
      const holders = slot.subscriptions.get(n.params.uri);
      if (holders && holders.size > 0) port.resourceUpdated(name, n.params.uri, [...holders]);
    });
  };

  const attempt = async (slot: Slot): Promise<void> => {
    if (closed) return;
    const name = slot.upstream.name;
    const generation = ++slot.generation;
    slot.state = 'starting';
    let connection: UpstreamConnection | undefined;
    try {
      connection = await connectUpstream(slot.upstream, {
        capabilities: UPSTREAM_CAPABILITIES,
        setup: (client) => install(slot, client),
        onClosed: () => {
          const tail = slot.generation === generation ? slot.connection?.lastStderr() : undefined;
          lose(slot, generation, `the connection closed${tail ? ` (stderr: ${tail.slice(0, 200)})` : ''}`);
        },
        onError: (_name, error) => {
          if (isParseFailure(error)) check(slot, 'it sent a message that is not JSON-RPC');
        },
      });
      const client = connection.client;
      const capabilities = client.getServerCapabilities() ?? {};
      const tools = await listAllTools(client, slot.upstream.timeout);
      const listing = await readListing(client, capabilities, slot.upstream.timeout, (what, e) =>
        onEvent({ kind: 'failed', upstream: name, message: `could not list the ${what} of ${name}: ${oneLine(e)}` }),
      );
      if (closed || slot.generation !== generation) {
        await connection.close().catch(() => undefined);
        return;
      }
      const before = slot.remembered;
      slot.connection = connection;
      slot.capabilities = capabilities;
      slot.tools = tools;
      slot.listing = listing;
      slot.remembered = undefined;
      slot.state = 'up';
      slot.upSince = Date.now();
      onEvent({ kind: 'connected', upstream: name, tools: tools.length, transport: connection.transport });
      if (opened) {
        rebuildAll();
        announce(slot, before);
      }
      restore(slot);
    } catch (e) {
      if (connection) await connection.close().catch(() => undefined);
      if (closed || slot.generation !== generation) return;
      slot.state = 'down';
      retry(slot, oneLine(e));
    }
  };

  // After a reconnect: the subscriptions and log level sessions asked for, again.
  const restore = (slot: Slot): void => {
    const client = slot.connection?.client;
    if (!client) return;
    if (slot.capabilities?.resources?.subscribe) {
      for (const [uri, holders] of slot.subscriptions) {
        if (holders.size > 0) client.subscribeResource({ uri }, { timeout: slot.upstream.timeout }).catch(() => undefined);
      }
    }
    applyLevel(slot).catch(() => undefined);
  };

  const applyLevel = async (slot: Slot): Promise<void> => {
    const wanted = mostVerbose(levels);
    if (!wanted || !up(slot) || !slot.capabilities?.logging || slot.level === wanted) return;
    slot.level = wanted;
    await forward(slot, { method: 'logging/setLevel', params: { level: wanted } }, EmptyResultSchema, {});
  };

  const refreshTools = async (slot: Slot): Promise<void> => {
    const connection = slot.connection;
    if (!connection || !up(slot)) return;
    try {
      const tools = await listAllTools(connection.client, slot.upstream.timeout);
      if (slot.connection !== connection) return;
      slot.tools = tools;
      rebuildAll();
      if (opened) onEvent({ kind: 'catalog-changed' });
    } catch (e) {
      onEvent({ kind: 'failed', upstream: slot.upstream.name, message: `could not refresh tools of ${slot.upstream.name}: ${oneLine(e)}` });
    }
  };

  const refreshListing = async (slot: Slot): Promise<void> => {
    const connection = slot.connection;
    if (!connection || !up(slot)) return;
    const before = slot.listing;
    const name = slot.upstream.name;
    const listing = await readListing(connection.client, slot.capabilities ?? {}, slot.upstream.timeout, (what, e) =>
      onEvent({ kind: 'failed', upstream: name, message: `could not refresh the ${what} of ${name}: ${oneLine(e)}` }),
    );
    if (slot.connection !== connection) return;
    slot.listing = listing;
    rebuildListings();
    if (!opened) return;
    if (!sameResources(before, listing)) port.listChanged('resources');
    if (!samePrompts(before, listing)) port.listChanged('prompts');
  };

  let refreshing: Promise<void> | undefined;
  const refreshListings = (): Promise<void> =>
    (refreshing ??= Promise.all([...slots.values()].filter((s) => up(s) && (s.capabilities?.resources || s.capabilities?.prompts)).map((s) => refreshListing(s))).then(
      () => {
        refreshing = undefined;
      },
      () => {
        refreshing = undefined;
      },
    ));

  // Which session a request from this upstream belongs to (see `Routing`).
  const route = (slot: Slot): Routing => {
    const ids = [...new Set(slot.inflight.map((f) => f.holder))];
    if (ids.length === 1) {
      const newest = [...slot.inflight].reverse().find((f) => f.holder === ids[0]);
      return { kind: 'one', id: ids[0] as string, ...(newest?.requestId !== undefined ? { relatedRequestId: newest.requestId } : {}) };
    }
    if (ids.length > 1) return { kind: 'several', ids };
    return slot.last === undefined ? { kind: 'none' } : { kind: 'one', id: slot.last };
  };

  const forward = async <T extends AnySchema>(
    slot: Slot,
    request: { method: string; params?: Record<string, unknown> },
    schema: T,
    opts: ForwardOptions,
  ): Promise<SchemaOutput<T>> => {
    const name = slot.upstream.name;
    const connection = slot.connection;
    if (!connection || !up(slot)) throw unavailable(name);
    const record = opts.holder ? { holder: opts.holder.id, requestId: opts.holder.requestId } : undefined;
    if (record) {
      slot.inflight.push(record);
      slot.last = record.holder;
    }
    try {
      return await connection.client.request(request, schema, {
        timeout: slot.upstream.timeout,
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(opts.onprogress ? { onprogress: opts.onprogress } : {}),
      });
    } catch (e) {
      const { error, suspect } = classifyFailure(e, {
        upstream: name,
        timeoutMs: slot.upstream.timeout,
        connectionLost: slot.connection !== connection,
        cancelled: opts.signal?.aborted === true,
      });
      if (suspect) check(slot, isToolgateError(error, 'TG_UPSTREAM_TIMEOUT') ? 'a request timed out' : 'a request failed');
      throw error;
    } finally {
      if (record) {
        const at = slot.inflight.indexOf(record);
        if (at !== -1) slot.inflight.splice(at, 1);
      }
    }
  };

  const slotOf = (name: string): Slot => {
    const slot = slots.get(name);
    if (!slot) throw unavailable(name, `no upstream is named ${name}`);
    return slot;
  };

  await Promise.all([...slots.values()].map((slot) => attempt(slot)));
  try {
    rebuildCatalog();
  } catch (e) {
    closed = true;
    for (const slot of slots.values()) slot.backoff.cancel();
    await Promise.allSettled([...slots.values()].map((s) => s.connection?.close()));
    throw e;
  }
  rebuildListings();
  opened = true;

  const healthMs = options.healthIntervalMs ?? 30_000;
  const health =
    healthMs > 0
      ? setInterval(() => {
          for (const slot of slots.values()) if (slot.inflight.length === 0) check(slot, 'a periodic health check failed');
        }, healthMs)
      : undefined;
  health?.unref();

  return {
    get catalog() {
      return catalog;
    },
    get listings() {
      return listings;
    },
    client(name) {
      const slot = slotOf(name);
      if (!up(slot)) throw unavailable(name);
      return (slot.connection as UpstreamConnection).client;
    },
    connected: () => [...slots.values()].filter(up).map((s) => s.upstream.name),
    capabilities: () => unionCapabilities([...slots.values()].map((s) => s.capabilities)),
    request: (name, request, schema, opts = {}) => forward(slotOf(name), request, schema, opts),
    refreshListings,
    async subscribe(name, uri, holder) {
      const slot = slotOf(name);
      const holders = slot.subscriptions.get(uri) ?? new Set<string>();
      if (holders.size === 0) await forward(slot, { method: 'resources/subscribe', params: { uri } }, EmptyResultSchema, { holder });
      holders.add(holder.id);
      slot.subscriptions.set(uri, holders);
    },
    async unsubscribe(name, uri, holder) {
      const slot = slotOf(name);
      const holders = slot.subscriptions.get(uri);
      if (!holders?.delete(holder.id) || holders.size > 0) return;
      slot.subscriptions.delete(uri);
      if (up(slot)) await forward(slot, { method: 'resources/unsubscribe', params: { uri } }, EmptyResultSchema, { holder });
    },
    async setLogLevel(holder, level) {
      levels.set(holder.id, level);
      await Promise.allSettled([...slots.values()].map((s) => applyLevel(s)));
    },
    rootsChanged(holder) {
      for (const slot of slots.values()) {
        if (!up(slot)) continue;
        slot.last = holder.id;
        (slot.connection as UpstreamConnection).client.sendRootsListChanged().catch(() => undefined);
      }
    },
    release(holderId) {
      levels.delete(holderId);
      for (const slot of slots.values()) {
        if (slot.last === holderId) slot.last = undefined;
        for (const [uri, holders] of slot.subscriptions) {
          if (!holders.delete(holderId) || holders.size > 0) continue;
          slot.subscriptions.delete(uri);
          if (up(slot)) forward(slot, { method: 'resources/unsubscribe', params: { uri } }, EmptyResultSchema, {}).catch(() => undefined);
        }
      }
    },
    async close() {
      closed = true;
      clearInterval(health);
      const all: UpstreamConnection[] = [];
      for (const slot of slots.values()) {
        slot.backoff.cancel();
        slot.generation += 1;
        if (slot.connection) all.push(slot.connection);
        slot.connection = undefined;
        slot.state = 'down';
      }
      await Promise.allSettled(all.map((c) => c.close()));
    },
  };
}

function formatDelay(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`;
}
