/**
 * Approvals as the gateway and the CLI use them: request, resolve, consume, over any StateStore.
 * An approval is bound to (principal, server, tool, args_sha256); the clock is passed in.
 */
import { randomBytes } from 'node:crypto';
import { ToolgateError } from '../errors.js';
import type { ApprovalBinding, ApprovalRecord, ApprovalScope, StateStore } from '../state/store.js';
import { grantFor } from './scope.js';

/** How long a pending approval waits for a person; a denial stands as long. */
export const PENDING_TTL_MS = 10 * 60_000;

/** An approval id: `apr_` and 10 lowercase base32 characters (50 random bits), easy to type. */
export const APPROVAL_ID = /^apr_[a-z2-7]{10}$/;

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** A fresh approval id from crypto randomness. */
export function newApprovalId(): string {
  // 32 divides 256, so taking 5 bits of each byte is uniform.
  return `apr_${[...randomBytes(10)].map((b) => BASE32[b & 31]).join('')}`;
}

/** What the gateway knows when a call is challenged. */
export interface ApprovalRequest extends ApprovalBinding {
  readonly session: string;
  /** One line, from the redacted arguments (see `previewArgs`). */
  readonly args_preview: string;
  readonly reason: string;
  readonly rules: readonly string[];
}

/**
 * Creates a pending approval for `request`, expiring after `PENDING_TTL_MS`, or returns the one
 * already pending for the same binding (which then names this request's session, so a `session`
 * approval covers the session that asked last).
 */
export async function requestApproval(state: StateStore, request: ApprovalRequest, now: number): Promise<{ id: string; expiresAt: number }> {
  const stood = await state.approvals.putPending(
    {
      id: newApprovalId(),
      principal: request.principal,
      session: request.session,
      server: request.server,
      tool: request.tool,
      args_sha256: request.args_sha256,
      args_preview: request.args_preview,
      reason: request.reason,
      rules: [...request.rules],
      status: 'pending',
      created_at: now,
      expires_at: now + PENDING_TTL_MS,
    },
    now,
  );
  return { id: stood.id, expiresAt: stood.expires_at };
}

/** A person's answer to a pending approval. `scope` defaults to `once`; `by` is recorded. */
export interface ApprovalVerdict {
  readonly verdict: 'approve' | 'deny';
  readonly scope?: ApprovalScope;
  readonly by?: string;
}

/**
 * Approves (writing a grant for the chosen scope) or denies a pending approval. Throws
 * `TG_APPROVAL_NOT_FOUND` when the id is unknown, expired or already resolved (`details.reason`
 * says which), and `TG_USAGE` for a duration scope that is not positive.
 */
export async function resolveApproval(state: StateStore, id: string, verdict: ApprovalVerdict, now: number): Promise<ApprovalRecord> {
  const scope = verdict.scope ?? 'once';
  if (typeof scope === 'object' && !(Number.isFinite(scope.durationMs) && scope.durationMs > 0)) {
    throw new ToolgateError('TG_USAGE', 'an approval duration must be positive', { details: { field: 'scope' } });
  }
  const by = verdict.by !== undefined ? { by: verdict.by } : {};
  const resolved = await state.approvals.resolve(
    id,
    verdict.verdict === 'approve' ? { status: 'approved', scope, grant: grantFor(scope, now), ...by } : { status: 'denied', ...by },
    now,
  );
  if (resolved) return resolved;
  throw await notResolvable(state, id, now);
}

async function notResolvable(state: StateStore, id: string, now: number): Promise<ToolgateError> {
  const shown = APPROVAL_ID.test(id) ? id : 'with that id';
  const found = APPROVAL_ID.test(id) ? await state.approvals.get(id) : null;
  if (!found) return new ToolgateError('TG_APPROVAL_NOT_FOUND', `no approval ${shown}`, { details: { reason: 'unknown' } });
  if (found.status !== 'pending') {
    return new ToolgateError('TG_APPROVAL_NOT_FOUND', `approval ${id} was already ${found.status}`, { details: { id, reason: 'resolved' } });
  }
  if (found.expires_at <= now) {
    return new ToolgateError('TG_APPROVAL_NOT_FOUND', `approval ${id} has expired; make the call again for a new one`, { details: { id, reason: 'expired' } });
  }
  // Unreachable while resolve() refuses only unknown, resolved and expired ids; kept so every path throws.
  return new ToolgateError('TG_APPROVAL_NOT_FOUND', `approval ${id} could not be resolved`, { details: { id, reason: 'resolved' } });
}

/** A call as the gateway sees it when a policy challenges it. */
export interface ChallengedCall extends ApprovalBinding {
  readonly session: string;
}

/**
 * Uses a grant covering `call`, if any: atomically, so a single-use approval lets exactly one of
 * any number of concurrent identical calls through. Session approvals match only their session;
 * duration approvals match until they expire. Returns the approval id for the receipt and log.
 */
export async function consumeGrant(state: StateStore, call: ChallengedCall, now: number): Promise<{ approvalId: string } | null> {
  const used = await state.grants.consume(bindingOf(call), call.session, now);
  return used ? { approvalId: used.approval_id } : null;
}

/**
 * The approval a person denied for this binding, while the denial stands (until the approval
 * would have expired), so the retried call is refused as "denied by a person" instead of asking again.
 */
export async function checkDenied(state: StateStore, binding: ApprovalBinding, now: number): Promise<{ approvalId: string } | null> {
  const denied = await state.approvals.findDenied(bindingOf(binding), now);
  return denied ? { approvalId: denied.id } : null;
}

/** What to do with a challenged call when the client cannot be asked directly. */
export type ChallengeOutcome =
  | { readonly kind: 'granted'; readonly approvalId: string }
  | { readonly kind: 'denied'; readonly approvalId: string }
  | { readonly kind: 'pending'; readonly approvalId: string; readonly expiresAt: number };

/**
 * The three steps in order: a standing grant lets the call through (`granted`); else a standing
 * denial refuses it (`denied`); else a pending approval is created or found (`pending`).
 */
export async function settleChallenge(state: StateStore, request: ApprovalRequest, now: number): Promise<ChallengeOutcome> {
  const granted = await consumeGrant(state, request, now);
  if (granted) return { kind: 'granted', approvalId: granted.approvalId };
  const denied = await checkDenied(state, request, now);
  if (denied) return { kind: 'denied', approvalId: denied.approvalId };
  const pending = await requestApproval(state, request, now);
  return { kind: 'pending', approvalId: pending.id, expiresAt: pending.expiresAt };
}

/** The pending, unexpired approvals, oldest first. */
export async function listPending(state: StateStore, now: number): Promise<ApprovalRecord[]> {
  return state.approvals.listPending(now);
}

/** The exact command that approves `id`; with `configFile`, it names the config (quoted for a POSIX shell). */
export function approveCommand(id: string, configFile?: string): string {
  return `toolgate approvals approve ${id}${configFile === undefined ? '' : ` --config ${shellQuote(configFile)}`}`;
}

function shellQuote(text: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

function bindingOf(b: ApprovalBinding): ApprovalBinding {
  return { principal: b.principal, server: b.server, tool: b.tool, args_sha256: b.args_sha256 };
}
