/** Approval scopes as people write them (`once`, `session`, `8h`), described back, and what grant each makes. */
import { ToolgateError } from '../errors.js';
import { parseDuration } from '../duration.js';
import type { ApprovalScope } from '../state/store.js';

/** How long a single-use approval waits for its call after being approved. */
export const ONCE_GRANT_TTL_MS = 10 * 60_000;
/** The longest a session approval lasts; sessions end without telling the store. */
export const SESSION_GRANT_TTL_MS = 24 * 3_600_000;

/**
 * `once`, `session`, or a duration (`30m`, `8h`, `7d`). Throws `TG_USAGE` for anything else,
 * including a zero duration.
 */
export function parseScope(text: string): ApprovalScope {
  const trimmed = text.trim();
  if (trimmed === 'once' || trimmed === 'session') return trimmed;
  const ms = parseDuration(trimmed);
  if (ms === undefined || ms < 1000) {
    throw new ToolgateError('TG_USAGE', '--for must be once, session or a duration of at least 1s such as 30m, 8h or 7d', { details: { field: '--for' } });
  }
  return { durationMs: Math.round(ms) };
}

/** The grant an approval with `scope` writes at `now`. */
export function grantFor(scope: ApprovalScope, now: number): { sessionBound: boolean; uses: number | null; expires_at: number } {
  if (scope === 'once') return { sessionBound: false, uses: 1, expires_at: now + ONCE_GRANT_TTL_MS };
  if (scope === 'session') return { sessionBound: true, uses: null, expires_at: now + SESSION_GRANT_TTL_MS };
  return { sessionBound: false, uses: null, expires_at: now + Math.round(scope.durationMs) };
}

/** `once`, `for this session`, `for 8h`. */
export function describeScope(scope: ApprovalScope): string {
  if (scope === 'once') return 'once';
  if (scope === 'session') return 'for this session';
  return `for ${formatDuration(scope.durationMs)}`;
}

/** A short human duration: `45s`, `3m`, `2h5m`, `1d4h`; negative durations are `0s`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h}h${m % 60}m` : `${h}h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d}d${h % 24}h` : `${d}d`;
}
