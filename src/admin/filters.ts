/** The console's decision filters, from the page's query string: what `toolgate logs` takes, as form fields. */
import { parseDuration } from '../duration.js';
import type { ReviewFilter } from '../log/review.js';

/** The filter fields as typed, for showing them back in the form. */
export interface FilterFields {
  readonly decision: string;
  readonly tool: string;
  readonly principal: string;
  readonly since: string;
}

/** A parsed query: the filter, the fields as typed, and a one-line problem with them if any (then that field is ignored). */
export interface ParsedFilters {
  readonly filter: ReviewFilter;
  readonly fields: FilterFields;
  readonly problem?: string;
}

const MAX_FIELD = 200;
const DECISIONS = new Set(['allow', 'deny', 'challenge']);

/**
 * Reads `decision` (allow, deny, challenge, or empty for any), `tool` (TOOL or SERVER/TOOL),
 * `principal` and `since` (a duration back from `now` such as 30m, 1h, 7d, or an ISO date) from
 * `query`. Empty fields are no filter. A bad `decision` or `since` is reported in `problem`.
 */
export function parseFilters(query: URLSearchParams, now: number): ParsedFilters {
  const field = (name: string): string => (query.get(name) ?? '').trim().slice(0, MAX_FIELD);
  const fields: FilterFields = { decision: field('decision'), tool: field('tool'), principal: field('principal'), since: field('since') };
  const filter: { -readonly [K in keyof ReviewFilter]: ReviewFilter[K] } = {};
  const problems: string[] = [];
  if (fields.decision !== '') {
    if (DECISIONS.has(fields.decision)) filter.decision = fields.decision as NonNullable<ReviewFilter['decision']>;
    else problems.push('decision must be allow, deny or challenge');
  }
  if (fields.tool !== '') filter.tool = fields.tool;
  if (fields.principal !== '') filter.principal = fields.principal;
  if (fields.since !== '') {
    const since = sinceOf(fields.since, now);
    if (since === undefined) problems.push('since must be a duration such as 30m, 1h or 7d, or an ISO date');
    else filter.since = since;
  }
  return { filter, fields, ...(problems.length > 0 ? { problem: problems.join('; ') } : {}) };
}

function sinceOf(text: string, now: number): number | undefined {
  const ms = parseDuration(text);
  if (ms !== undefined) return now - ms;
  if (!/^\d{4}-\d{2}-\d{2}/.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : at;
}
