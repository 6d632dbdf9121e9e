/** `--since`: a duration back from now (`30m`, `24h`, `7d`) or an ISO date. */
import { parseDuration } from '../duration.js';
import { ToolgateError } from '../errors.js';

/** Milliseconds since the epoch that `--since TEXT` means at `now`; throws `TG_USAGE` for anything else or a future time. */
export function parseSince(text: string, now: number): number {
  const ms = parseDuration(text);
  const at = ms === undefined ? Date.parse(text) : now - ms;
  if (!Number.isFinite(at)) {
    throw new ToolgateError('TG_USAGE', `--since expects a duration such as 30m, 1h or 7d, or an ISO date, not ${JSON.stringify(text)}`);
  }
  if (at >= now) throw new ToolgateError('TG_USAGE', `--since must reach into the past, not ${JSON.stringify(text)}`);
  return at;
}
