/** What `toolgate import` prints: upstreams, skips, variables to set (names only), files, next commands. */
import { join } from 'node:path';
import type { ImportedServer } from './plan.js';
import { KEY_FILE, POLICY_FILE, type ListenMode } from './render.js';
import { CLIENT_CONFIG_FILE, CONFIG_FILE, type ImportResult } from './write.js';

/** How the user named things on the command line, so printed paths read like theirs. */
export interface SummaryContext {
  readonly file: string;
  readonly outDir: string;
  readonly listen: ListenMode;
}

/** The summary as text for people. Holds names, paths and commands, never a value from env or headers. */
export function formatSummary(result: ImportResult, ctx: SummaryContext): string {
  const { plan, files, checked } = result;
  const out = (p: string): string => join(ctx.outDir, p);
  const lines: string[] = [];
  const width = Math.max(...plan.servers.map((s) => s.name.length), ...plan.skipped.map((s) => s.key.length));
  lines.push(`imported ${count(plan.servers.length, 'upstream')} from ${ctx.file}:`);
  for (const s of plan.servers) {
    const was = s.name === s.key ? '' : `  (renamed from ${JSON.stringify(s.key)})`;
    lines.push(`  ${s.name.padEnd(width)}  ${s.upstream.transport.padEnd(5)}  ${describe(s)}${was}`);
  }
  if (plan.skipped.length > 0) {
    lines.push(`skipped ${plan.skipped.length} (not in the generated files):`);
    for (const s of plan.skipped) lines.push(`  ${s.key.padEnd(width)}  ${s.reason}`);
  }
  if (plan.variables.length > 0) {
    lines.push(`variables the gateway needs (names only; the values are the ones in ${ctx.file}):`);
    const w = Math.max(...plan.variables.map((v) => v.name.length));
    for (const v of plan.variables) lines.push(`  ${v.name.padEnd(w)}  ${v.uses.join('; ')}`);
    lines.push(
      ctx.listen === 'http'
        ? '  export them where you run the gateway'
        : plan.shape === 'mcpServers'
          ? `  put their values in the "env" of ${out(CLIENT_CONFIG_FILE)}`
          : `  VS Code asks for them when it starts the gateway ("inputs" in ${out(CLIENT_CONFIG_FILE)})`,
    );
  }
  const notes = [...plan.notes];
  if (plan.servers.length > 1) notes.push('with several upstreams the client sees each tool as <upstream>__<tool>; policies name the upstream and the tool');
  if (plan.skipped.length > 0) notes.push('skipped servers are not routed through toolgate; keep their entries from your client config if you still want them');
  if (notes.length > 0) {
    lines.push('notes:');
    for (const n of notes) lines.push(`  ${n}`);
  }
  lines.push(
    'wrote:',
    `  ${out(CONFIG_FILE)}  (checked: ${count(checked.upstreams, 'upstream')}, ${ctx.listen} listener)`,
    `  ${out(POLICY_FILE)}  (${count(checked.rules, 'rule')}: every tool needs a person until you write allow rules)`,
    `  ${out(CLIENT_CONFIG_FILE)}  (mode 0600)`,
    files.keyCreated ? `  ${out(KEY_FILE)}  (new receipt key, mode 0600)` : `  kept the existing receipt key ${out(KEY_FILE)}`,
  );
  const config = out(CONFIG_FILE);
  const exportFirst = plan.variables.length > 0 ? 'with the variables above exported, ' : '';
  lines.push('next:', `  ${exportFirst}toolgate validate --config ${config}`);
  if (ctx.listen === 'http') {
    lines.push(`  ${exportFirst}toolgate serve --config ${config}`);
    lines.push(`  point the client at ${out(CLIENT_CONFIG_FILE)}'s entry (http://127.0.0.1:8787/mcp) in place of the imported servers`);
  } else {
    const fill = plan.variables.length > 0 && plan.shape === 'mcpServers' ? 'fill in the "env" values of ' : 'take ';
    lines.push(`  ${fill}${out(CLIENT_CONFIG_FILE)}, paste its "toolgate" entry into your client config in place of the imported servers, and restart the client`);
  }
  return lines.join('\n');
}

/** The summary as one JSON object (for `--json`): same facts, no values. */
export function summaryJson(result: ImportResult): Record<string, unknown> {
  const { plan, files, checked } = result;
  return {
    upstreams: plan.servers.map((s) => ({ name: s.name, from: s.key, transport: s.upstream.transport })),
    skipped: plan.skipped,
    renamed: plan.renamed,
    variables: plan.variables,
    notes: plan.notes,
    files,
    checked,
  };
}

function describe(s: ImportedServer): string {
  const u = s.upstream;
  const text = u.transport === 'stdio' ? [u.command, ...u.args].join(' ') : u.url;
  return text.length > 72 ? `${text.slice(0, 71)}…` : text;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
