/** The pool's side door toward clients: who a request belongs to, and what clients must be told. Types only. */
import type { ElicitationCompleteNotification, LoggingMessageNotification, Progress, RequestId, Result } from '@modelcontextprotocol/sdk/types.js';

/** A downstream session a request is forwarded for, and its request id there. */
export interface Holder {
  readonly id: string;
  readonly requestId?: RequestId;
}

/**
 * Who a request from an upstream (sampling, elicitation, roots) is for. Upstream connections are
 * shared, so the pool goes by traffic: the one session with requests in flight to that upstream
 * (`one`, with the newest such request as `relatedRequestId`); with none in flight, the session
 * that last sent that upstream anything (`one`, no related request); `several` when more than one
 * session has requests in flight (the pool cannot tell which); `none` when no session ever did.
 */
export type Routing =
  | { readonly kind: 'one'; readonly id: string; readonly relatedRequestId?: RequestId }
  | { readonly kind: 'several'; readonly ids: readonly string[] }
  | { readonly kind: 'none' };

/** Where what upstreams send toward clients goes; the gateway implements it over its sessions. */
export interface DownstreamPort {
  /** A request from `upstream` for a client; resolves with the client's result or rejects with the error to send back. */
  request(upstream: string, to: Routing, request: { method: string; params?: Record<string, unknown> }, signal: AbortSignal): Promise<Result>;
  /**
   * A `notifications/message` from `upstream`; with several upstreams `logger` names the upstream.
   * `to` is routed as requests are: the message may only reach the principals using that upstream.
   */
  log(upstream: string, to: Routing, params: LoggingMessageNotification['params']): void;
  /** `uri` (the upstream's own) changed; `holders` are the sessions subscribed to it. */
  resourceUpdated(upstream: string, uri: string, holders: readonly string[]): void;
  /** The resources or prompts clients see changed. */
  listChanged(kind: 'resources' | 'prompts'): void;
  /** A URL elicitation of `upstream` completed; `to` is routed as requests are. */
  elicitationComplete(upstream: string, to: Routing, params: ElicitationCompleteNotification['params']): void;
}

/** Options for forwarding one request. */
export interface ForwardOptions {
  /** The client's cancellation: aborting sends `notifications/cancelled` upstream. */
  readonly signal?: AbortSignal;
  /** Asks the upstream for progress (with a token of the pool's own) and receives it. */
  readonly onprogress?: (progress: Progress) => void;
  /** The session the request is forwarded for, so the upstream's requests back can reach it. */
  readonly holder?: Holder;
}
