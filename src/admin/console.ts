/** The review console and login pages as HTML, pure: every string from the log or the state store is escaped. */
import { formatDuration } from '../approvals/scope.js';
import { previewArgs } from '../approvals/preview.js';
import type { DecisionLine } from '../log/lines.js';
import type { ApprovalRecord } from '../state/store.js';
import { decisionsChart } from './chart.js';
import type { ChainStatus } from './chain.js';
import type { FilterFields } from './filters.js';
import { esc, page, shortTime } from './html.js';
import type { RecentDecisions } from './recent.js';

/** The scopes the console offers for an approval, as `--for` takes them. */
export const CONSOLE_SCOPES = ['once', 'session', '1h'] as const;

/** Everything the console page shows. */
export interface ConsoleView {
  readonly gatewayName: string;
  readonly now: number;
  readonly upstreams: ReadonlyArray<{ readonly name: string; readonly up: boolean }>;
  readonly pending: readonly ApprovalRecord[];
  readonly fields: FilterFields;
  /** The `since` filter in force (ms), so the chart starts there. */
  readonly since?: number;
  readonly filterProblem?: string;
  /** Undefined when the log could not be read; then `logError` says why. */
  readonly recent?: RecentDecisions;
  readonly logError?: string;
  readonly chain: ChainStatus;
  /** The limits the decisions were read under, to say so on the page. */
  readonly limits: { readonly decisions: number; readonly bytes: number };
  /** A result of the last action, shown once at the top. */
  readonly flash?: { readonly kind: 'ok' | 'error'; readonly text: string };
  /** Seconds between automatic reloads, when asked for. */
  readonly refreshSeconds?: number;
}

/** The whole console page. */
export function renderConsole(v: ConsoleView): string {
  const logout = `<form method="post" action="/logout"><button type="submit">Log out</button></form>`;
  const flash = v.flash ? `<div class="note${v.flash.kind === 'error' ? ' error' : ''}" role="status">${esc(v.flash.text)}</div>` : '';
  const body = [flash, upstreamsSection(v), pendingSection(v), chainSection(v), decisionsSection(v)].join('\n');
  return page(`toolgate ${v.gatewayName}: review console`, body, {
    header: logout,
    ...(v.refreshSeconds ? { refreshSeconds: v.refreshSeconds } : {}),
  });
}

/** The login form; `failed` adds a line saying the token was wrong. */
export function renderLogin(gatewayName: string, failed: boolean): string {
  const wrong = failed ? '<div class="note error" role="alert">That is not the admin token.</div>' : '';
  return page(
    `toolgate ${gatewayName}: review console`,
    `<section><h2>Log in</h2>${wrong}
<form method="post" action="/login">
<label>Admin token (admin.token in toolgate.yaml)<br><input type="password" name="token" autocomplete="off" autofocus required size="48"></label>
<button type="submit">Log in</button>
</form></section>`,
  );
}

function upstreamsSection(v: ConsoleView): string {
  const items = v.upstreams.map((u) => `<span class="${u.up ? 'ok' : 'bad'}">${esc(u.name)}: ${u.up ? 'up' : 'down'}</span>`);
  return `<section><h2>Upstreams</h2>${items.join(' &nbsp; ') || '<span class="muted">none configured</span>'}</section>`;
}

function pendingSection(v: ConsoleView): string {
  const refresh = v.refreshSeconds
    ? `<a href="${esc(withQuery(v.fields, {}))}">stop reloading</a>`
    : `<a href="${esc(withQuery(v.fields, { refresh: '10' }))}">reload every 10 s</a>`;
  if (v.pending.length === 0) {
    return `<section id="approvals"><h2>Pending approvals</h2><p class="muted">No call is waiting for a person. ${refresh}</p></section>`;
  }
  const rows = v.pending.map((a) => {
    const buttons = CONSOLE_SCOPES.map(
      (scope) =>
        `<form method="post" action="/approvals/${esc(a.id)}/approve"><input type="hidden" name="for" value="${scope}"><button type="submit" class="approve">Approve ${scope === 'once' ? 'once' : scope === 'session' ? 'for session' : `for ${scope}`}</button></form>`,
    ).join('');
    const deny = `<form method="post" action="/approvals/${esc(a.id)}/deny"><button type="submit" class="deny">Deny</button></form>`;
    return `<tr data-approval="${esc(a.id)}"><td>${esc(a.id)}</td><td>${esc(a.principal)}</td><td>${esc(`${a.server}/${a.tool}`)}</td><td class="args">${esc(a.args_sha256.slice(0, 8))} ${esc(a.args_preview)}</td><td class="reason">${esc(a.reason)}<br><span class="muted">${esc(a.rules.join(', '))}</span></td><td>${esc(formatDuration(v.now - a.created_at))}</td><td>${esc(formatDuration(a.expires_at - v.now))}</td><td class="actions">${buttons}${deny}</td></tr>`;
  });
  return `<section id="approvals"><h2>Pending approvals (${v.pending.length})</h2>
<p class="muted">An approval covers exactly this principal calling this tool with these arguments. ${refresh}</p>
<table><thead><tr><th>ID</th><th>Principal</th><th>Tool</th><th>Arguments</th><th>Reason</th><th>Age</th><th>Expires in</th><th></th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table></section>`;
}

function chainSection(v: ConsoleView): string {
  const c = v.chain;
  const when = `checked ${formatDuration(v.now - c.checkedAt)} ago${c.refreshing ? ', checking again' : ''}`;
  if (c.error !== undefined || !c.result) {
    return `<section id="chain"><h2>Chain status</h2><p class="bad">The log could not be checked: ${esc(c.error ?? 'unknown error')}</p><p class="muted">${esc(when)}</p></section>`;
  }
  const r = c.result;
  const sigs = r.signaturesChecked
    ? 'checkpoint signatures checked against the keys beside receipts.key'
    : 'checkpoint signatures NOT checked (no receipts.key, so no published keys: the key is ephemeral)';
  const status = r.firstBad
    ? `<p class="bad">BROKEN at line ${r.firstBad.line}: ${esc(r.firstBad.reason)}: ${esc(r.firstBad.message)}</p>`
    : `<p class="ok">Intact: ${r.lines} lines, ${r.checkpoints} signed checkpoint${r.checkpoints === 1 ? '' : 's'}${r.lastCheckpoint !== null ? ` (last at line ${r.lastCheckpoint})` : ''}; ${r.unsealed} lines not yet sealed by a checkpoint.</p>`;
  const recoveries = r.recoveries.length > 0 ? `<p>Unclean shutdowns recorded at lines ${esc(r.recoveries.join(', '))}.</p>` : '';
  return `<section id="chain"><h2>Chain status</h2>${status}${recoveries}<p class="muted">${esc(sigs)}; head ${esc(r.head.slice(0, 16))}…; ${esc(when)}. Full check: toolgate logs verify --live</p></section>`;
}

function decisionsSection(v: ConsoleView): string {
  const f = v.fields;
  const option = (value: string, label: string): string => `<option value="${value}"${f.decision === value ? ' selected' : ''}>${label}</option>`;
  const form = `<form class="filters" method="get" action="/">
<label>Decision<select name="decision">${option('', 'any')}${option('allow', 'allow')}${option('deny', 'deny')}${option('challenge', 'challenge')}</select></label>
<label>Tool (TOOL or SERVER/TOOL)<input name="tool" value="${esc(f.tool)}"></label>
<label>Principal<input name="principal" value="${esc(f.principal)}"></label>
<label>Since (30m, 1h, 7d or a date)<input name="since" value="${esc(f.since)}"></label>
<button type="submit">Filter</button> <a href="/">clear</a></form>`;
  const problem = v.filterProblem ? `<div class="note error">${esc(v.filterProblem)}</div>` : '';
  if (!v.recent) {
    return `<section id="decisions"><h2>Decisions</h2>${form}${problem}<p class="bad">${esc(v.logError ?? 'The log could not be read.')}</p></section>`;
  }
  const ds = v.recent.decisions;
  const limit = v.recent.truncated
    ? `Showing the newest ${ds.length} matching decisions (the console reads at most ${v.limits.decisions} decisions from the last ${Math.round(v.limits.bytes / 1048576)} MiB of the log); older ones: toolgate logs.`
    : `${ds.length} matching decision${ds.length === 1 ? '' : 's'}.`;
  const rows = ds.map(decisionRow);
  const table =
    ds.length === 0
      ? '<p class="muted">No decisions match.</p>'
      : `<table><thead><tr><th>Time (UTC)</th><th>Decision</th><th>Principal</th><th>Tool</th><th>Arguments</th><th>Outcome</th><th>Rules</th><th>Reasons</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table>`;
  return `<section id="chart"><h2>Decisions over time</h2>${decisionsChart(ds, v.now, v.since)}</section>
<section id="decisions"><h2>Decisions</h2>${form}${problem}<p class="muted">${esc(limit)}</p>${table}</section>`;
}

function decisionRow(d: DecisionLine): string {
  const outcome = d.outcome !== null ? `${d.outcome}${d.latency_ms !== null ? ` (${Math.round(d.latency_ms)} ms)` : ''}` : d.receipt === null ? '-' : 'pending';
  const approval = d.approval ? `<br><span class="muted">approval ${esc(d.approval)}</span>` : '';
  return `<tr><td class="time">${esc(shortTime(d.time))}</td><td class="${d.decision}">${esc(d.decision)}</td><td>${esc(d.principal)}</td><td>${esc(d.server === '' ? d.tool : `${d.server}/${d.tool}`)}</td><td class="args">${esc(previewArgs(d.args, 120))}</td><td>${esc(outcome)}</td><td>${esc(d.rules.join(', ') || '-')}${approval}</td><td class="reason">${esc(d.reasons.join('; '))}</td></tr>`;
}

function withQuery(fields: FilterFields, extra: Record<string, string>): string {
  const q = new URLSearchParams();
  for (const [k, val] of Object.entries({ ...fields, ...extra })) if (val !== '') q.set(k, val);
  const text = q.toString();
  return text === '' ? '/' : `/?${text}`;
}
