/** `toolgate approvals list | approve ID [--for …] | deny ID`: resolves pending challenges from another terminal. */
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { describeScope, formatDuration, parseScope } from '../approvals/scope.js';
import { escapeInvisible } from '../approvals/preview.js';
import { listPending, resolveApproval } from '../approvals/store.js';
import { DEFAULT_CONFIG } from '../config/load.js';
import { withState } from './with-state.js';
import type { ApprovalRecord } from '../state/store.js';
import { processIO, type CliIO } from './run.js';

/** Registers `approvals list`, `approvals approve` and `approvals deny`; output goes to `io`, time comes from `clock`. */
export function register(program: Command, io: CliIO = processIO, clock: () => number = Date.now): void {
  const approvals = program
    .command('approvals')
    .description('resolve pending challenges from another terminal: list them, approve or deny one by id');
  approvals
    .command('list')
    .description('show pending approvals: id, principal, server/tool, arguments, age, time left (JSON lines when not a terminal)')
    .option('-c, --config <file>', 'the gateway config', DEFAULT_CONFIG)
    .option('--json', 'one JSON object per line, even on a terminal')
    .action(async (opts: { config: string; json?: boolean }) => {
      await withState(opts.config, async (state) => {
        const now = clock();
        const pending = await listPending(state, now);
        if (opts.json || !io.isTTY) {
          for (const a of pending) io.out(JSON.stringify(asJson(a, now)));
          return;
        }
        if (pending.length === 0) {
          io.out('no pending approvals');
          return;
        }
        io.out(table(pending, now));
        io.out(`approve with: toolgate approvals approve ID [--for once|session|DURATION]   refuse with: toolgate approvals deny ID`);
      });
    });
  approvals
    .command('approve')
    .description('let the challenged call through: the same call, arguments and principal, once (default), for its session, or for a duration')
    .argument('<id>', 'the approval id (apr_…), as the tool error or `approvals list` shows it')
    .option('--for <scope>', 'once, session, or a duration such as 30m, 8h or 7d', 'once')
    .option('-c, --config <file>', 'the gateway config', DEFAULT_CONFIG)
    .action(async (id: string, opts: { for: string; config: string }) => {
      const scope = parseScope(opts.for);
      await withState(opts.config, async (state) => {
        const now = clock();
        const approved = await resolveApproval(state, normalize(id), { verdict: 'approve', scope, by: approver() }, now);
        const grant = (await state.grants.list(now)).find((g) => g.approval_id === approved.id);
        const until = grant ? `; valid for ${formatDuration(grant.expires_at - now)}` : '';
        io.out(`approved ${approved.id} ${describeScope(scope)}: ${callOf(approved)}${until}`);
      });
    });
  approvals
    .command('deny')
    .description('refuse the challenged call; retrying it is refused as denied by a person until the approval would have expired')
    .argument('<id>', 'the approval id (apr_…)')
    .option('-c, --config <file>', 'the gateway config', DEFAULT_CONFIG)
    .action(async (id: string, opts: { config: string }) => {
      await withState(opts.config, async (state) => {
        const now = clock();
        const denied = await resolveApproval(state, normalize(id), { verdict: 'deny', by: approver() }, now);
        io.out(`denied ${denied.id}: ${callOf(denied)}; retries are refused for ${formatDuration(denied.expires_at - now)}`);
      });
    });
}

// Ids are lowercase; people copy them with stray spaces or type them in capitals.
function normalize(id: string): string {
  return id.trim().toLowerCase();
}

function approver(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return `cli:${process.env.USER ?? 'unknown'}`;
  }
}

function callOf(a: ApprovalRecord): string {
  return `${safe(a.principal)} calling ${safe(a.server)}/${safe(a.tool)} with args ${a.args_sha256.slice(0, 8)} ${a.args_preview}`;
}

function asJson(a: ApprovalRecord, now: number): Record<string, unknown> {
  return {
    id: a.id,
    principal: a.principal,
    server: a.server,
    tool: a.tool,
    args_sha256: a.args_sha256,
    args_preview: a.args_preview,
    reason: a.reason,
    rules: a.rules,
    created_at: new Date(a.created_at).toISOString(),
    expires_at: new Date(a.expires_at).toISOString(),
    age_s: Math.floor((now - a.created_at) / 1000),
    expires_in_s: Math.floor((a.expires_at - now) / 1000),
  };
}

const PREVIEW_WIDTH = 48;

function table(pending: readonly ApprovalRecord[], now: number): string {
  const rows = [
    ['ID', 'PRINCIPAL', 'SERVER/TOOL', 'ARGS', 'AGE', 'EXPIRES IN'],
    ...pending.map((a) => [
      a.id,
      safe(a.principal),
      `${safe(a.server)}/${safe(a.tool)}`,
      `${a.args_sha256.slice(0, 8)} ${cut(a.args_preview, PREVIEW_WIDTH)}`,
      formatDuration(now - a.created_at),
      formatDuration(a.expires_at - now),
    ]),
  ];
  const widths = (rows[0] as string[]).map((_, col) => Math.max(...rows.map((r) => (r[col] as string).length)));
  return rows.map((r) => r.map((cell, col) => (col === r.length - 1 ? cell : cell.padEnd(widths[col] as number))).join('  ')).join('\n');
}

function cut(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

// Names come from configs and upstreams; nothing in them may steer the terminal.
function safe(text: string): string {
  return escapeInvisible(text).replace(/[\n\t]/g, ' ');
}
