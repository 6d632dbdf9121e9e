/** The report as one self-contained HTML page: inline CSS and SVG, no scripts, nothing fetched, every logged string escaped. */
import type { CountedRow, DecisionCounts, DecisionEvent, Ranked, ReportData } from './types.js';
import type { ChainStatus } from './chain.js';
import { COLOURS, timeChart, toolChart } from './charts.js';
import { clip, count, esc, latency, utc } from './html.js';

/** The page's Content-Security-Policy: nothing may load or run; inline styles and data: images only. */
export const REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

/** What the page says about where its numbers come from. */
export interface ReportMeta {
  /** Absolute paths, shown as is. */
  readonly configPath: string;
  readonly logPath: string;
  /** Milliseconds since the epoch. */
  readonly generatedAt: number;
  /** The period as the user gave it (`7d`, or a date). */
  readonly since: string;
  readonly chain: ChainStatus;
  /** Lines of the log that could not be read as log lines. */
  readonly unreadable: number;
}

/** How many rows each table shows at most; the rest are summed in a last line. */
export const TABLE_ROWS = 50;
const CHART_TOOLS = 15;
const DENIAL_GROUPS = 25;

/**
 * Renders the report page. Works offline and without JavaScript; every string that came from
 * the log (tool, server and principal names, rules, reasons, arguments, approval ids) is
 * escaped, so it shows as text whatever it contains.
 */
export function renderReport(data: ReportData, meta: ReportMeta): string {
  const { period } = data;
  const title = `toolgate report: ${utc(period.start)} to ${utc(period.end)} UTC`;
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${REPORT_CSP}">`,
    '<meta name="referrer" content="no-referrer">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head><body>',
    '<header><h1>toolgate report</h1>',
    `<dl class="meta"><dt>Period</dt><dd>${esc(utc(period.start))} to ${esc(utc(period.end))} UTC (since ${esc(meta.since)})</dd>`,
    `<dt>Config</dt><dd><code>${esc(meta.configPath)}</code></dd>`,
    `<dt>Decision log</dt><dd><code>${esc(meta.logPath)}</code></dd>`,
    `<dt>Generated</dt><dd>${esc(utc(meta.generatedAt, true))} UTC</dd></dl></header>`,
    chainSection(meta.chain),
    cards(data),
    overTimeSection(data),
    toolsSection(data),
    principalsSection(data),
    denialsSection(data),
    approvalsSection(data),
    outcomesSection(data),
    '<footer>',
    meta.unreadable > 0
      ? `<p class="warn-text">${count(meta.unreadable)} ${meta.unreadable === 1 ? 'line' : 'lines'} of the log could not be read as log lines and are not counted; run <code>toolgate logs verify</code>.</p>`
      : '',
    '<p>Made by <code>toolgate report</code>. Times are UTC. This page runs no scripts and loads nothing.</p>',
    '</footer></body></html>',
    '',
  ].join('\n');
}

function chainSection(chain: ChainStatus): string {
  const mark = chain.level === 'ok' ? '✔' : chain.level === 'warn' ? '⚠' : '✘';
  return [
    `<section class="chain ${chain.level}"><h2>${mark} Decision log chain: ${esc(chain.headline)}</h2>`,
    ...chain.details.map((d) => `<p>${esc(d)}</p>`),
    `<p>Checkpoint signatures: ${esc(chain.signatures)}</p></section>`,
  ].join('\n');
}

function cards(data: ReportData): string {
  const l = data.latency;
  const card = (label: string, value: string, kind = ''): string => `<div class="card ${kind}"><div class="n">${value}</div><div>${label}</div></div>`;
  return [
    '<section class="cards">',
    card('decisions', count(data.total)),
    card('allowed', count(data.decisions.allow), 'allow'),
    card('challenged', count(data.decisions.challenge), 'challenge'),
    card('denied', count(data.decisions.deny), 'deny'),
    card('forwarded', count(data.forwarded)),
    card(l ? `latency p50 (p90 ${latency(l.p90)}, p99 ${latency(l.p99)})` : 'latency p50', l ? latency(l.p50) : '–'),
    '</section>',
  ].join('\n');
}

function overTimeSection(data: ReportData): string {
  const unit = data.period.unit === 'hour' ? 'hour' : 'day';
  return [
    '<section><h2>Decisions over time</h2>',
    data.total === 0 ? '<p class="empty">No decisions in this period.</p>' : `${legend()}${timeChart(data.overTime, data.period)}`,
    `<p class="note">One bar per ${unit} (UTC); hover a bar for its numbers.</p></section>`,
  ].join('\n');
}

function toolsSection(data: ReportData): string {
  const { rows } = data.tools;
  if (rows.length === 0) return '<section><h2>By tool</h2><p class="empty">No decisions in this period.</p></section>';
  return [
    '<section><h2>By tool</h2>',
    legend(),
    toolChart(rows.slice(0, CHART_TOOLS)),
    rows.length > CHART_TOOLS ? `<p class="note">The chart shows the ${CHART_TOOLS} busiest tools; the table below has more.</p>` : '',
    countsTable(
      'Tool',
      rows.map((r) => ({ ...r, name: `<code>${esc(r.server)}/${esc(r.tool)}</code>` })),
      data.tools,
      'tools',
    ),
    '</section>',
  ].join('\n');
}

function principalsSection(data: ReportData): string {
  const { rows } = data.principals;
  if (rows.length === 0) return '<section><h2>By principal</h2><p class="empty">No decisions in this period.</p></section>';
  return [
    '<section><h2>By principal</h2>',
    countsTable(
      'Principal',
      rows.map((r) => ({ ...r, name: esc(r.principal) })),
      data.principals,
      'principals',
    ),
    '</section>',
  ].join('\n');
}

// `name` is already-escaped markup.
function countsTable(head: string, rows: ReadonlyArray<CountedRow & { name: string }>, ranked: Ranked<CountedRow>, what: string): string {
  const shown = rows.slice(0, TABLE_ROWS);
  const rest = rows.slice(TABLE_ROWS);
  const line = (name: string, c: DecisionCounts, total: number): string =>
    `<tr><td>${name}</td><td class="num">${count(total)}</td><td class="num">${count(c.allow)}</td><td class="num">${count(c.challenge)}</td><td class="num">${count(c.deny)}</td></tr>`;
  const out = [`<table><thead><tr><th>${head}</th><th class="num">decisions</th><th class="num">allow</th><th class="num">challenge</th><th class="num">deny</th></tr></thead><tbody>`];
  for (const r of shown) out.push(line(r.name, r.counts, r.total));
  const other = sumRows([...rest, ...(ranked.other ? [ranked.other] : [])]);
  if (other.total > 0) {
    const more = rest.length > 0 ? `${count(rest.length)}${ranked.other ? '+' : ''} more ${what}` : `more ${what}`;
    out.push(line(`<i>${more}</i>`, other.counts, other.total));
  }
  out.push('</tbody></table>');
  return out.join('\n');
}

function denialsSection(data: ReportData): string {
  const { groups, other, recent } = data.denials;
  if (data.decisions.deny === 0) return '<section><h2>Denials</h2><p class="empty">No denials in this period.</p></section>';
  const out = ['<section><h2>Denials</h2>', '<h3>Top reasons</h3>'];
  out.push('<table><thead><tr><th class="num">denials</th><th>rules</th><th>reason</th><th>latest</th></tr></thead><tbody>');
  for (const g of groups.slice(0, DENIAL_GROUPS)) {
    out.push(
      `<tr><td class="num">${count(g.count)}</td><td>${rules(g.rules)}</td><td>${g.byPerson ? `<i>${esc(g.reason)}</i>` : esc(g.reason)}</td><td class="time">${esc(shortTime(g.last))}</td></tr>`,
    );
  }
  const rest = groups.slice(DENIAL_GROUPS).reduce((n, g) => n + g.count, 0) + other;
  if (rest > 0) out.push(`<tr><td class="num">${count(rest)}</td><td></td><td><i>other reasons</i></td><td></td></tr>`);
  out.push('</tbody></table>', '<h3>Latest denials</h3>', eventsTable(recent, false), '</section>');
  return out.join('\n');
}

function approvalsSection(data: ReportData): string {
  const a = data.approvals;
  if (a.forwarded + a.refused + a.waiting === 0) {
    return '<section><h2>Approvals</h2><p class="empty">No decision in this period involved a person\'s approval.</p></section>';
  }
  return [
    '<section><h2>Approvals</h2>',
    '<p class="note">Challenged calls get an approval id; a person approves or denies it (<code>toolgate approvals</code>, or in the client).</p>',
    '<table><tbody>',
    `<tr><td>approved by a person, then forwarded</td><td class="num">${count(a.forwarded)}</td></tr>`,
    `<tr><td>denied by a person</td><td class="num">${count(a.refused)}</td></tr>`,
    `<tr><td>challenged, not approved at the time</td><td class="num">${count(a.waiting)}</td></tr>`,
    '</tbody></table>',
    '<h3>Latest</h3>',
    eventsTable(a.recent, true),
    '</section>',
  ].join('\n');
}

function eventsTable(events: ReadonlyArray<DecisionEvent & { status?: string }>, approvals: boolean): string {
  const out = [
    `<table class="events"><thead><tr><th>time</th><th>principal</th><th>tool</th>${approvals ? '<th>approval</th><th>status</th>' : '<th>rules</th><th>reason</th>'}<th>arguments</th><th>line</th></tr></thead><tbody>`,
  ];
  for (const e of [...events].reverse()) {
    const middle = approvals
      ? `<td><code>${esc(e.approval ?? '')}</code></td><td>${esc(STATUS[e.status ?? ''] ?? e.status ?? '')}</td>`
      : `<td>${rules(e.rules)}</td><td>${esc(clip(e.reasons.join('; '), 200))}</td>`;
    out.push(
      `<tr><td class="time">${esc(shortTime(e.time))}</td><td>${esc(e.principal)}</td><td><code>${esc(e.server)}/${esc(e.tool)}</code></td>${middle}<td class="args"><code>${esc(e.args)}</code></td><td class="num">${e.line}</td></tr>`,
    );
  }
  out.push('</tbody></table>');
  return out.join('\n');
}

const STATUS: Record<string, string> = { forwarded: 'approved, forwarded', refused: 'denied by a person', waiting: 'waiting for a person' };

function outcomesSection(data: ReportData): string {
  if (data.forwarded === 0) return '<section><h2>Forwarded calls</h2><p class="empty">No call was forwarded in this period.</p></section>';
  const o = data.outcomes;
  const l = data.latency;
  const row = (label: string, n: number): string => `<tr><td>${label}</td><td class="num">${count(n)}</td></tr>`;
  return [
    '<section><h2>Forwarded calls</h2>',
    '<div class="pair"><table><thead><tr><th>outcome</th><th class="num">calls</th></tr></thead><tbody>',
    row('ok', o.ok),
    row('tool error (the tool returned <code>isError</code>)', o['tool-error']),
    row('error (the upstream answered with an error, or the call failed on the way)', o.error),
    row('upstream unavailable', o['upstream-unavailable']),
    o.none > 0 ? row('no outcome logged (still running, or the gateway stopped)', o.none) : '',
    '</tbody></table>',
    l
      ? `<table><thead><tr><th>latency</th><th class="num"></th></tr></thead><tbody>${row('calls timed', l.count)}<tr><td>p50</td><td class="num">${latency(l.p50)}</td></tr><tr><td>p90</td><td class="num">${latency(l.p90)}</td></tr><tr><td>p99</td><td class="num">${latency(l.p99)}</td></tr><tr><td>max</td><td class="num">${latency(l.max)}</td></tr></tbody></table>`
      : '',
    '</div>',
    '<p class="note">Latency: from the call reaching the gateway to the upstream\'s answer (a person\'s time to approve included); percentiles within 0.5%.</p></section>',
  ].join('\n');
}

function rules(ids: readonly string[]): string {
  return ids.length === 0 ? '<i>none</i>' : ids.map((id) => `<code>${esc(id)}</code>`).join(', ');
}

function legend(): string {
  const item = (kind: keyof DecisionCounts): string => `<span><i class="sw" style="background:${COLOURS[kind]}"></i>${kind}</span>`;
  return `<p class="legend">${item('allow')}${item('challenge')}${item('deny')}</p>`;
}

function sumRows(rows: readonly CountedRow[]): CountedRow {
  const counts = { allow: 0, deny: 0, challenge: 0 };
  for (const r of rows) {
    counts.allow += r.counts.allow;
    counts.deny += r.counts.deny;
    counts.challenge += r.counts.challenge;
  }
  return { counts, total: counts.allow + counts.deny + counts.challenge };
}

// A logged ISO time as `2025-01-31 13:05:09`; anything else as written.
function shortTime(iso: string): string {
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? utc(ms, true) : iso;
}

const STYLE = `
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#222;background:#fafafa;margin:0 auto;max-width:1040px;padding:24px}
h1{margin:0 0 8px;font-size:24px}h2{font-size:18px;margin:0 0 10px}h3{font-size:15px;margin:16px 0 6px}
section{background:#fff;border:1px solid #e3e3e3;border-radius:8px;padding:16px 20px;margin:16px 0}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:0;color:#444}
dl.meta dt{font-weight:600}dl.meta dd{margin:0;overflow-wrap:anywhere}
code{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;overflow-wrap:break-word}
dl.meta code,td.args code{overflow-wrap:anywhere}
.chain.ok{border-left:6px solid #2e7d32}.chain.warn{border-left:6px solid #e0a000;background:#fffaf0}.chain.bad{border-left:6px solid #c62828;background:#fff5f5}
.chain p{margin:4px 0}.chain.bad h2{color:#c62828}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(140px,1fr));gap:12px;background:none;border:0;padding:0}
.card{background:#fff;border:1px solid #e3e3e3;border-radius:8px;padding:12px 14px;color:#555}
.card .n{font-size:22px;font-weight:650;color:#222}
.card.allow{border-top:4px solid #2e7d32}.card.challenge{border-top:4px solid #e0a000}.card.deny{border-top:4px solid #c62828}
table{border-collapse:collapse;width:100%;margin:8px 0}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #eee;vertical-align:top}
th{font-weight:600;color:#555;background:#f6f6f6}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.time{white-space:nowrap;font-variant-numeric:tabular-nums}
table.events td{font-size:13px}
.pair{display:grid;grid-template-columns:1fr 1fr;gap:16px}
.legend span{margin-right:16px}.sw{display:inline-block;width:12px;height:12px;border-radius:2px;margin-right:5px;vertical-align:-1px}
.note,.empty{color:#666;font-size:13px}.warn-text{color:#8a5a00}
footer{color:#777;font-size:12px;margin:24px 0}
@media print{body{background:#fff}section{break-inside:avoid}}
`;
