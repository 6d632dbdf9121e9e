/** An MCP client's server list (Claude Desktop, Cursor, Claude Code, VS Code) → typed entries, loose about client keys. */
import { join, win32 } from 'node:path';
import { z } from 'zod';
import { ToolgateError } from '../errors.js';

/** Where the servers were found: `mcpServers` (Claude Desktop, Cursor, Claude Code), `servers` (VS Code mcp.json), `mcp.servers` (VS Code settings). */
export type ClientShape = 'mcpServers' | 'servers' | 'mcp.servers';

/** One server entry as the client wrote it, after the loose schema. */
export type ClientEntry = z.infer<typeof entrySchema>;

/** One entry by its key: parsed, or the reason it could not be. */
export type ClientServer =
  | { readonly key: string; readonly ok: true; readonly entry: ClientEntry }
  | { readonly key: string; readonly ok: false; readonly reason: string };

/** A client config file, read. */
export interface ClientConfig {
  readonly shape: ClientShape;
  /** In file order. */
  readonly servers: readonly ClientServer[];
}

// Clients write numbers and booleans in env and args now and then; they mean the text.
const text = z.union([z.string(), z.number(), z.boolean()]).transform(String);

const entrySchema = z.looseObject({
  type: z.string().optional(),
  /** Cline's spelling of `type`. */
  transportType: z.string().optional(),
  command: z.string().min(1, 'command is empty').optional(),
  args: z.array(text).optional(),
  env: z.record(z.string(), text).optional(),
  cwd: z.string().min(1, 'cwd is empty').optional(),
  url: z.string().min(1, 'url is empty').optional(),
  /** Windsurf's spelling of `url`. */
  serverUrl: z.string().min(1, 'serverUrl is empty').optional(),
  headers: z.record(z.string(), text).optional(),
  disabled: z.boolean().optional(),
  envFile: z.string().optional(),
  /** Cline and Roo: tools the client runs without asking. Kept for the starter policy's comments. */
  autoApprove: z.array(z.string()).optional(),
  alwaysAllow: z.array(z.string()).optional(),
});

/** Keys the importer reads or deliberately drops; any other key is reported as ignored. */
export const KNOWN_ENTRY_KEYS: ReadonlySet<string> = new Set(Object.keys(entrySchema.shape));

const serverMap = z.record(z.string(), z.unknown());

/**
 * Parses a client config file's text (JSON, or JSONC with comments and trailing commas as VS Code
 * writes it). Throws `TG_IMPORT_INVALID` with `file:line:column` for bad JSON, and when the file
 * has no `mcpServers` / `servers` object. A bad entry does not fail the file: it comes back with
 * `ok: false` and a reason.
 */
export function parseClientConfig(source: string, file: string): ClientConfig {
  const root = parseJsonc(source, file);
  if (root === null || typeof root !== 'object' || Array.isArray(root)) {
    throw new ToolgateError('TG_IMPORT_INVALID', `${file}: expected a JSON object with "mcpServers"`, { details: { file } });
  }
  const found = findServers(root as Record<string, unknown>);
  if (found === undefined) {
    throw new ToolgateError('TG_IMPORT_INVALID', `${file}: no "mcpServers" (or VS Code "servers") object to import`, { details: { file } });
  }
  const map = serverMap.safeParse(found.value);
  if (!map.success || Array.isArray(found.value)) {
    throw new ToolgateError('TG_IMPORT_INVALID', `${file}: "${found.shape}" must be an object of servers by name`, {
      details: { file, field: found.shape },
    });
  }
  const servers = Object.entries(map.data).map(([key, value]): ClientServer => {
    const parsed = entrySchema.safeParse(value);
    if (parsed.success) return { key, ok: true, entry: parsed.data };
    return { key, ok: false, reason: describeIssue(parsed.error.issues[0]) };
  });
  return { shape: found.shape, servers };
}

function findServers(root: Record<string, unknown>): { shape: ClientShape; value: unknown } | undefined {
  if (root.mcpServers !== undefined) return { shape: 'mcpServers', value: root.mcpServers };
  if (root.servers !== undefined) return { shape: 'servers', value: root.servers };
  const mcp = root.mcp;
  if (mcp !== null && typeof mcp === 'object' && (mcp as Record<string, unknown>).servers !== undefined) {
    return { shape: 'mcp.servers', value: (mcp as Record<string, unknown>).servers };
  }
  return undefined;
}

function describeIssue(issue: z.core.$ZodIssue | undefined): string {
  if (issue === undefined) return 'not a valid server entry';
  if (issue.path.length === 0) return issue.code === 'invalid_type' ? 'expected an object' : issue.message;
  const field = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
  // Zod's own wording names the expected type only; values never appear in it.
  return `${field}: ${issue.message}`;
}

/**
 * JSON with `//` and `/* *\/` comments and trailing commas → value. Comments and trailing commas
 * are blanked in place, so JSON.parse's positions still point into the original text.
 */
export function parseJsonc(source: string, file: string): unknown {
  const text = source.charCodeAt(0) === 0xfeff ? ` ${source.slice(1)}` : source;
  const cleaned = blankCommentsAndTrailingCommas(text);
  try {
    return JSON.parse(cleaned) as unknown;
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const at = /at position (\d+)/.exec(message);
    const offset = at?.[1] !== undefined ? Number(at[1]) : cleaned.trimEnd().length;
    const { line, column } = lineColumn(text, offset);
    const reason = message
      .replace(/\s*\(line \d+ column \d+\)/, '')
      .replace(/ in JSON at position \d+.*$/, '')
      .replace(/, ".*" is not valid JSON$/, '')
      .replace(/^Unexpected end of JSON input$/, 'unexpected end of input');
    throw new ToolgateError('TG_IMPORT_INVALID', `${file}:${line}:${column}: invalid JSON: ${reason}`, { details: { file, line } });
  }
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, offset));
  const lines = before.split('\n');
  return { line: lines.length, column: (lines[lines.length - 1]?.length ?? 0) + 1 };
}

// One pass, string-aware: comments become spaces (newlines kept), a comma followed only by
// whitespace or comments before `}` or `]` becomes a space.
function blankCommentsAndTrailingCommas(text: string): string {
  const out = text.split('');
  let lastComma = -1;
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      lastComma = -1;
      i++;
      while (i < text.length && text[i] !== '"' && text[i] !== '\n') i += text[i] === '\\' ? 2 : 1;
      i++;
      continue;
    }
    if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') out[i++] = ' ';
      continue;
    }
    if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end === -1 ? text.length : end + 2;
      for (; i < stop; i++) if (text[i] !== '\n') out[i] = ' ';
      continue;
    }
    if (c === ',') lastComma = i;
    else if ((c === '}' || c === ']') && lastComma !== -1) out[lastComma] = ' ';
    if (c !== undefined && !/\s/.test(c) && c !== ',') lastComma = -1;
    i++;
  }
  return out.join('');
}

/** Where Claude Desktop keeps its config on `platform` (the default FILE of `toolgate import claude-desktop`). */
export function claudeDesktopConfigPath(platform: NodeJS.Platform, env: NodeJS.ProcessEnv, home: string): string {
  const file = 'claude_desktop_config.json';
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'Claude', file);
  if (platform === 'win32') return win32.join(env.APPDATA ?? win32.join(home, 'AppData', 'Roaming'), 'Claude', file);
  return join(env.XDG_CONFIG_HOME || join(home, '.config'), 'Claude', file);
}
