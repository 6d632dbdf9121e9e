/** Review items as a readable table (fixed columns, streamable) or as JSON lines. */
import type { ReviewItem } from './review.js';

const COLUMNS = [
  ['TIME', 20],
  ['DECISION', 9],
  ['PRINCIPAL', 14],
  ['TOOL', 34],
  ['OUTCOME', 20],
  ['RULES', 24],
] as const;

/** The table's header line. */
export const TABLE_HEADER = [...COLUMNS.map(([name, width]) => name.padEnd(width)), 'REASON'].join(' ').trimEnd();

/** One table row for an item. Control characters in logged strings are shown as `?`. */
export function formatRow(item: ReviewItem): string {
  if (item.kind === 'recovery') {
    const r = item.record;
    const torn = r.torn_bytes > 0 ? `, a torn last line of ${r.torn_bytes} bytes cut off` : '';
    return `${cell(shortTime(r.time), 20)} -- line ${item.line}: the gateway restarted after an unclean shutdown (${r.unsealed} lines were not sealed${torn})`;
  }
  if (item.kind === 'outcome') {
    const d = item.decision;
    return row([shortTime(item.record.time), 'outcome', d.principal, `${d.server}/${d.tool}`, outcomeText(item.record.outcome, item.record.latency_ms), `for ${d.id.slice(0, 8)}`], '');
  }
  const d = item.record;
  const outcome = d.outcome !== null ? outcomeText(d.outcome, d.latency_ms) : d.receipt === null ? '-' : 'pending';
  return row([shortTime(d.time), d.decision, d.principal, `${d.server}/${d.tool}`, outcome, d.rules.length > 0 ? d.rules.join(',') : '-'], d.reasons.join('; '));
}

/** One JSON line for an item: the stored line, a decision with its outcome filled in. */
export function formatJson(item: ReviewItem): string {
  return JSON.stringify(item.record);
}

function row(cells: readonly string[], reason: string): string {
  return [...cells.map((c, i) => cell(c, COLUMNS[i]?.[1] ?? 20)), safe(reason)].join(' ').trimEnd();
}

function cell(text: string, width: number): string {
  const clean = safe(text);
  return clean.length > width ? `${clean.slice(0, width - 1)}…` : clean.padEnd(width);
}

// Logged strings come from clients and upstreams: never let them drive the terminal.
function safe(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.charCodeAt(0);
    out += code < 0x20 || (code >= 0x7f && code <= 0x9f) ? '?' : ch;
  }
  return out;
}

function shortTime(iso: string): string {
  return iso.length >= 19 ? `${iso.slice(0, 19)}Z` : iso;
}

function outcomeText(outcome: string, latencyMs: number | null): string {
  if (latencyMs === null) return outcome;
  const latency = latencyMs < 1000 ? `${Math.round(latencyMs)}ms` : `${(latencyMs / 1000).toFixed(1)}s`;
  return `${outcome} ${latency}`;
}
