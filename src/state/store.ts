/**
 * The one interface for shared state: approvals, grants, rate counters, replay protection and
 * pins. SQLite (embedded default), memory (tests, no `state.path`) and, later, Redis implement it.
 * Every method is async and takes the clock (`now`, ms since the epoch) from its caller.
 * Every method that reads and then writes is atomic across connections and processes.
 * Failures throw ToolgateError `TG_STATE_FAILED`.
 */
import { ToolgateError } from '../errors.js';

/** What an approval covers: exactly this principal calling this tool of this server with these arguments. */
export interface ApprovalBinding {
  readonly principal: string;
  readonly server: string;
  readonly tool: string;
  /** SHA-256 (hex) of the RFC 8785 canonical JSON of the arguments. */
  readonly args_sha256: string;
}

/** How long an approval lasts: one call, the asking session, or a duration. */
export type ApprovalScope = 'once' | 'session' | { readonly durationMs: number };

/** Where an approval stands. An expired one is `pending` with `expires_at <= now`. */
export type ApprovalStatus = 'pending' | 'approved' | 'denied';

/** One challenge put to a person. */
export interface ApprovalRecord extends ApprovalBinding {
  /** Short and typeable: `apr_` + 10 base32 characters. */
  readonly id: string;
  /** The session that asked most recently; a `session` approval covers that session. */
  readonly session: string;
  /** A short one-line preview of the (redacted) arguments, for people. */
  readonly args_preview: string;
  /** The challenging rules' reasons, joined. */
  readonly reason: string;
  /** The challenging rules' ids. */
  readonly rules: readonly string[];
  readonly status: ApprovalStatus;
  readonly created_at: number;
  /** Pending: can be resolved until then. Denied: the denial stands until then. */
  readonly expires_at: number;
  readonly resolved_at?: number;
  readonly resolved_by?: string;
  /** The scope an approver chose (approved only). */
  readonly scope?: ApprovalScope;
}

/** What an approval turned into: permission for calls matching its binding. */
export interface GrantRecord extends ApprovalBinding {
  /** The approval it came from; one grant per approval. */
  readonly approval_id: string;
  /** Only this session, or `null` for any session of the principal. */
  readonly session: string | null;
  /** Uses left, or `null` for unlimited until `expires_at`. */
  readonly uses_left: number | null;
  readonly created_at: number;
  readonly expires_at: number;
}

/** How to resolve a pending approval. */
export type Resolution =
  | {
      readonly status: 'approved';
      readonly by?: string;
      readonly scope: ApprovalScope;
      /** The grant written in the same transaction; `sessionBound` binds it to the approval's session. */
      readonly grant: { readonly sessionBound: boolean; readonly uses: number | null; readonly expires_at: number };
    }
  | { readonly status: 'denied'; readonly by?: string };

/** Storage for approvals. Ids are made by the caller (see approvals/store.ts). */
export interface ApprovalsState {
  /**
   * Stores `record` (status `pending`) unless a pending, unexpired approval with the same binding
   * exists; then that one stands, its `session` updated to `record.session`. Returns the one that stands.
   */
  putPending(record: ApprovalRecord, now: number): Promise<ApprovalRecord>;
  /** The approval with this id, whatever its status or expiry, or `null`. */
  get(id: string): Promise<ApprovalRecord | null>;
  /** Pending, unexpired approvals, oldest first. */
  listPending(now: number): Promise<ApprovalRecord[]>;
  /**
   * Resolves a pending, unexpired approval (and for `approved` writes its grant) atomically.
   * Returns the resolved record, or `null` when the id is unknown, expired or already resolved.
   */
  resolve(id: string, resolution: Resolution, now: number): Promise<ApprovalRecord | null>;
  /** The newest denied approval for `binding` whose denial still stands, or `null`. */
  findDenied(binding: ApprovalBinding, now: number): Promise<ApprovalRecord | null>;
}

/** Storage for grants. */
export interface GrantsState {
  /**
   * Uses one grant matching `binding` (and `session`, for session-bound grants) atomically:
   * a grant with one use left is used by exactly one caller, however many race.
   * Unlimited grants are preferred over counted ones. Returns the grant after use, or `null`.
   */
  consume(binding: ApprovalBinding, session: string, now: number): Promise<GrantRecord | null>;
  /** Unexpired grants with uses left. */
  list(now: number): Promise<GrantRecord[]>;
  /** Removes a grant; `true` when there was one. */
  revoke(approvalId: string): Promise<boolean>;
}

/** Fixed-window counters, aligned to the epoch: a window of `windowMs` ends at the next multiple of it. */
export interface RatesState {
  /** Counts one hit on `key` in its current window; returns the count including it. */
  hit(key: string, windowMs: number, now: number): Promise<number>;
  /** Current counts for `keys`; keys without hits in their window are absent (mean 0). */
  counts(keys: readonly string[], now: number): Promise<Map<string, number>>;
}

/** Seen-once ids (receipt `jti`s) with an expiry. */
export interface ReplayState {
  /** `true` when `id` was not seen (or its record expired) and is now remembered until `expiresAt`; `false` on replay. */
  claim(id: string, expiresAt: number, now: number): Promise<boolean>;
}

/** A pinned tool definition. */
export interface PinRecord {
  readonly server: string;
  readonly tool: string;
  /** Hash of the accepted definition. */
  readonly hash: string;
  /** The accepted definition as JSON text. */
  readonly definition: string;
  readonly first_seen: number;
  readonly updated_at: number;
  /** `changed`: the upstream now shows another definition, kept in `changed` until accepted. */
  readonly status: 'pinned' | 'changed';
  readonly changed?: { readonly hash: string; readonly definition: string; readonly seen_at: number };
}

/** Storage for pinned tool definitions. */
export interface PinsState {
  get(server: string, tool: string): Promise<PinRecord | null>;
  /** Every pin, by server then tool. */
  list(): Promise<PinRecord[]>;
  /** Pins a definition on first sight; when a pin exists (another replica was first) returns it unchanged. */
  pinIfAbsent(pin: { server: string; tool: string; hash: string; definition: string }, now: number): Promise<PinRecord>;
  /**
   * Records that the upstream shows another definition. Showing the pinned hash again clears the
   * change. Returns the updated pin, or `null` when there is none.
   */
  markChanged(server: string, tool: string, hash: string, definition: string, now: number): Promise<PinRecord | null>;
  /** Makes the changed definition the pinned one. Returns the pin (unchanged if nothing to accept), or `null`. */
  accept(server: string, tool: string, now: number): Promise<PinRecord | null>;
}

/** The whole state store. */
export interface StateStore {
  /** For people: the SQLite file, or `memory`. */
  readonly location: string;
  readonly approvals: ApprovalsState;
  readonly grants: GrantsState;
  readonly rates: RatesState;
  readonly replay: ReplayState;
  readonly pins: PinsState;
  /**
   * Deletes what can no longer matter: expired or used-up grants, expired counters and replay
   * records, approvals expired more than `APPROVAL_RETENTION_MS` ago. Returns rows removed.
   */
  sweep(now: number): Promise<number>;
  /** Releases the connection. Idempotent. */
  close(): Promise<void>;
}

/** How long an expired approval is kept (so `approve` can say "expired" rather than "unknown"). */
export const APPROVAL_RETENTION_MS = 24 * 3_600_000;

/** The end of the fixed window of `windowMs` that contains `now`. Throws `TG_INTERNAL` for a window that is not a positive integer. */
export function windowEnd(now: number, windowMs: number): number {
  if (!Number.isSafeInteger(windowMs) || windowMs <= 0) {
    throw new ToolgateError('TG_INTERNAL', 'a rate window must be a positive whole number of milliseconds');
  }
  return Math.floor(now / windowMs) * windowMs + windowMs;
}
