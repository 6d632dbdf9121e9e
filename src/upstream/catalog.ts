/** Every upstream's tools, named for clients, with argument validators compiled once. */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import type { JsonSchemaType } from '@modelcontextprotocol/sdk/validation/types.js';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { SEPARATOR, nameTools, type RejectedName } from './names.js';

/** One tool the gateway can show, with its upstream's own definition. */
export interface CatalogEntry {
  readonly exposed: string;
  readonly server: string;
  readonly tool: string;
  readonly definition: Tool;
  /**
   * True for a name in the namespace of an upstream that is down: its tools are not listed, but a
   * call still reaches policy and the log, and is answered as unavailable, never forwarded.
   */
  readonly placeholder?: boolean;
  /** Checks arguments against the tool's input schema; returns a one-line problem or undefined. */
  checkArgs(args: Record<string, unknown>): string | undefined;
}

/** An immutable snapshot of all tools; rebuilt, never edited, when an upstream's list changes. */
export interface Catalog {
  /** The tools of the upstreams that are up: what clients are shown. */
  readonly entries: readonly CatalogEntry[];
  /** The tool a client names; a placeholder entry when the name belongs to an upstream that is down. */
  byExposed(name: string): CatalogEntry | undefined;
  readonly rejected: readonly RejectedName[];
}

const validator = new AjvJsonSchemaValidator();

/** Reads every page of an upstream's `tools/list`. */
export async function listAllTools(client: Client, timeoutMs: number): Promise<Tool[]> {
  const tools: Tool[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.listTools(cursor === undefined ? {} : { cursor }, { timeout: timeoutMs });
    tools.push(...page.tools);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return tools;
}

/**
 * Builds a catalog from each upstream's tools; `prefixed` when more than one upstream is configured. Throws `TG_TOOL_NAME_CLASH` (see `nameTools`);
 * tools whose names clients could not accept are left out and listed in `rejected`. `down` names
 * configured upstreams that are unavailable now: any name in their namespace (`<down>__…` when
 * prefixed, any unknown name when the one upstream is down) resolves to a placeholder entry.
 */
export function buildCatalog(toolsByServer: ReadonlyMap<string, readonly Tool[]>, prefixed: boolean, down: readonly string[] = []): Catalog {
  const names = new Map<string, string[]>();
  const definitions = new Map<string, Tool>();
  for (const [server, tools] of toolsByServer) {
    names.set(server, tools.map((t) => t.name));
    for (const t of tools) definitions.set(`${server}\0${t.name}`, t);
  }
  const { named, rejected } = nameTools(names, prefixed);
  const entries = named.map((n): CatalogEntry => {
    const definition = definitions.get(`${n.server}\0${n.tool}`) as Tool;
    return { ...n, definition, checkArgs: compileArgsCheck(definition) };
  });
  const index = new Map(entries.map((e) => [e.exposed, e]));
  // Longest names first, so that `a__b__tool` belongs to upstream `a__b` rather than `a`.
  const downByLength = [...down].sort((x, y) => y.length - x.length);
  const placeholder = (name: string): CatalogEntry | undefined => {
    if (!prefixed) {
      const server = downByLength[0];
      return server === undefined ? undefined : placeholderEntry(name, server, name);
    }
    const server = downByLength.find((s) => name.startsWith(`${s}${SEPARATOR}`) && name.length > s.length + SEPARATOR.length);
    return server === undefined ? undefined : placeholderEntry(name, server, name.slice(server.length + SEPARATOR.length));
  };
  return { entries, byExposed: (name) => index.get(name) ?? placeholder(name), rejected };
}

function placeholderEntry(exposed: string, server: string, tool: string): CatalogEntry {
  return { exposed, server, tool, definition: { name: tool, inputSchema: { type: 'object' } }, placeholder: true, checkArgs: () => undefined };
}

function compileArgsCheck(tool: Tool): (args: Record<string, unknown>) => string | undefined {
  let check: ((args: unknown) => { valid: boolean; errorMessage?: string }) | undefined;
  try {
    check = validator.getValidator(tool.inputSchema as JsonSchemaType);
  } catch {
    // A schema ajv cannot compile is the upstream's to enforce; the policy still applies.
    check = undefined;
  }
  return (args) => {
    if (!check) return undefined;
    const result = check(args);
    return result.valid ? undefined : (result.errorMessage ?? 'arguments do not match the input schema');
  };
}
