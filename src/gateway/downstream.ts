/**
 * The live client sessions, and what upstreams send toward them: requests (sampling, elicitation,
 * roots) routed to the session they belong to, log messages, resource updates, list changes.
 */
import {
  CreateMessageResultSchema,
  CreateMessageResultWithToolsSchema,
  ElicitResultSchema,
  ListRootsResultSchema,
  McpError,
  type ClientCapabilities,
  type ElicitationCompleteNotification,
  type LoggingLevel,
  type LoggingMessageNotification,
  type Result,
  type ServerCapabilities,
  type ServerRequest,
} from '@modelcontextprotocol/sdk/types.js';
import { ToolgateError } from '../errors.js';
import { RelayedError } from '../upstream/forward.js';
import type { DownstreamPort, Routing } from '../upstream/port.js';
import type { Session } from './gateway.js';
import { toWireError } from './to-wire.js';

/** How long a client may take to answer an upstream's request (a person may be answering it). */
export const CLIENT_REQUEST_TIMEOUT_MS = 10 * 60_000;

const LEVELS: readonly LoggingLevel[] = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'];

/** What the gateway remembers per session beyond the SDK's own state. */
export interface SessionState {
  /** What the session's server declared at `initialize`. */
  capabilities: ServerCapabilities;
  /** The level the client asked for with `logging/setLevel`; unset means every message. */
  level: LoggingLevel | undefined;
  /** Subscriptions by the URI as the client sent it. */
  readonly subscriptions: Map<string, { readonly server: string; readonly uri: string }>;
}

const states = new WeakMap<Session, SessionState>();

/** The gateway's state for `session`, created on first use. */
export function stateOf(session: Session): SessionState {
  let state = states.get(session);
  if (!state) {
    state = { capabilities: {}, level: undefined, subscriptions: new Map() };
    states.set(session, state);
  }
  return state;
}

/**
 * The live sessions, so catalog changes reach every client and upstream requests reach the right
 * one. Implements the pool's `DownstreamPort`.
 */
export class SessionRegistry implements DownstreamPort {
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

  /**
   * Routes an upstream's request to the client session it belongs to (see `Routing`), if that
   * client declared the capability. Refusals reach the upstream as JSON-RPC errors:
   * `TG_NO_CLIENT` (no session, or several that could be meant), `TG_CLIENT_UNSUPPORTED`
   * (-32601, the client did not declare it). The client's own errors pass on unchanged.
   */
  async request(upstream: string, to: Routing, request: { method: string; params?: Record<string, unknown> }, signal: AbortSignal): Promise<Result> {
    const session = this.#pick(upstream, to, request.method);
    const missing = missingCapability(session.server.getClientCapabilities(), request.method, request.params);
    if (missing) {
      throw toWireError(new ToolgateError('TG_CLIENT_UNSUPPORTED', `the client of this session did not declare ${missing}, which ${request.method} needs`));
    }
    const schema =
      request.method === 'sampling/createMessage'
        ? request.params?.tools || request.params?.toolChoice
          ? CreateMessageResultWithToolsSchema
          : CreateMessageResultSchema
        : request.method === 'elicitation/create'
          ? ElicitResultSchema
          : ListRootsResultSchema;
    try {
      return await session.server.request({ method: request.method, params: request.params } as ServerRequest, schema, {
        signal,
        timeout: CLIENT_REQUEST_TIMEOUT_MS,
        ...(to.kind === 'one' && to.relatedRequestId !== undefined ? { relatedRequestId: to.relatedRequestId } : {}),
      });
    } catch (e) {
      if (e instanceof McpError) throw RelayedError.of(e);
      throw toWireError(new ToolgateError('TG_NO_CLIENT', `the client session could not be asked: ${e instanceof Error ? e.message : String(e)}`));
    }
  }

  /** A log message from `upstream` to every session that logs, at or above the level it asked for. */
  // Upstreams are shared by every principal, so a log message goes only to the principal(s) whose
  // sessions are using that upstream now (or used it last); one nobody is using reaches no client.
  log(_upstream: string, to: Routing, params: LoggingMessageNotification['params']): void {
    const ids = to.kind === 'one' ? [to.id] : to.kind === 'several' ? to.ids : [];
    const principals = new Set(ids.flatMap((id) => {
      const s = this.#sessions.get(id);
      return s ? [s.principal.id] : [];
    }));
    for (const session of this.#sessions.values()) {
      if (!principals.has(session.principal.id)) continue;
      if (!stateOf(session).capabilities.logging) continue;
      const level = stateOf(session).level;
      if (level !== undefined && LEVELS.indexOf(params.level) < LEVELS.indexOf(level)) continue;
      session.server.notification({ method: 'notifications/message', params }).catch(() => undefined);
    }
  }

  /** `notifications/resources/updated` to each holder, under the URI it subscribed with. */
  resourceUpdated(upstream: string, uri: string, holders: readonly string[]): void {
    for (const id of holders) {
      const session = this.#sessions.get(id);
      if (!session) continue;
      for (const [exposed, target] of stateOf(session).subscriptions) {
        if (target.server === upstream && target.uri === uri) session.server.sendResourceUpdated({ uri: exposed }).catch(() => undefined);
      }
    }
  }

  /** `list_changed` for resources or prompts to every session that was told it has them. */
  listChanged(kind: 'resources' | 'prompts'): void {
    for (const session of this.#sessions.values()) {
      const caps = stateOf(session).capabilities;
      if (kind === 'resources' && caps.resources) session.server.sendResourceListChanged().catch(() => undefined);
      if (kind === 'prompts' && caps.prompts) session.server.sendPromptListChanged().catch(() => undefined);
    }
  }

  /** `notifications/elicitation/complete` to the session a URL elicitation of `upstream` went to, if it can take it. */
  elicitationComplete(upstream: string, to: Routing, params: ElicitationCompleteNotification['params']): void {
    let session: Session;
    try {
      session = this.#pick(upstream, to, 'notifications/elicitation/complete');
    } catch {
      return;
    }
    if (!session.server.getClientCapabilities()?.elicitation?.url) return;
    session.server.notification({ method: 'notifications/elicitation/complete', params }).catch(() => undefined);
  }

  #pick(upstream: string, to: Routing, method: string): Session {
    const refuse = (message: string): never => {
      throw toWireError(new ToolgateError('TG_NO_CLIENT', message));
    };
    if (to.kind === 'none') return refuse(`no client session has used upstream ${upstream} yet, so none can answer its ${method}`);
    if (to.kind === 'several') {
      return refuse(`${to.ids.length} client sessions have requests in flight to upstream ${upstream}; toolgate cannot tell which one its ${method} is for`);
    }
    return this.#sessions.get(to.id) ?? refuse(`the client session that last used upstream ${upstream} has ended`);
  }
}

/** The capability a request from an upstream needs that the client did not declare, or undefined. Pure. */
export function missingCapability(caps: ClientCapabilities | undefined, method: string, params: Record<string, unknown> | undefined): string | undefined {
  switch (method) {
    case 'sampling/createMessage':
      if (!caps?.sampling) return 'sampling';
      if ((params?.tools || params?.toolChoice) && !caps.sampling.tools) return 'sampling.tools';
      return undefined;
    case 'elicitation/create': {
      if (!caps?.elicitation) return 'elicitation';
      const mode = params?.mode ?? 'form';
      // An empty elicitation capability means form mode (the spec's backwards-compatible reading).
      const form = caps.elicitation.form !== undefined || Object.keys(caps.elicitation).length === 0;
      if (mode === 'form' && !form) return 'elicitation.form';
      if (mode === 'url' && !caps.elicitation.url) return 'elicitation.url';
      return undefined;
    }
    case 'roots/list':
      return caps?.roots ? undefined : 'roots';
    default:
      return method;
  }
}
