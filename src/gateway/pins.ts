/**
 * Pinned tool definitions: a hash of each tool's definition is recorded on first sight; a tool
 * whose upstream later shows another definition is held (`pins: enforce`) until a person
 * accepts it with `toolgate pins accept`.
 */
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import { canonicalJson, canonicalSha256 } from '../canonical.js';
import type { StateStore } from '../state/store.js';
import type { CatalogEntry } from '../upstream/catalog.js';

/** The part of a definition a pin covers. */
export function pinnedPart(tool: Tool): Record<string, unknown> {
  return {
    name: tool.name,
    description: tool.description ?? null,
    inputSchema: tool.inputSchema,
    annotations: tool.annotations ?? null,
  };
}

/** The hash a pin records for a definition. */
export function definitionHash(tool: Tool): string {
  return canonicalSha256(pinnedPart(tool));
}

/** The reason a held tool's calls are denied with. */
export const TOOL_CHANGED = 'tool-changed';

/**
 * Tracks which tools are held because their definition changed. `isHeld` is synchronous (no I/O
 * on the hot path); held tools are re-read from the store on each call and listing, so an
 * accept given from the CLI or another replica takes effect at once.
 */
export class PinGuard {
  readonly #state: StateStore;
  readonly #mode: 'enforce' | 'warn' | 'off';
  readonly #logger: Logger;
  readonly #now: () => number;
  // server \0 tool → the definition hash the upstream shows now, for held tools.
  readonly #held = new Map<string, string>();

  constructor(state: StateStore, mode: 'enforce' | 'warn' | 'off', logger: Logger, now: () => number) {
    this.#state = state;
    this.#mode = mode;
    this.#logger = logger;
    this.#now = now;
  }

  /** Records first sightings and notices changes for every entry of a (new) catalog. */
  async observe(entries: readonly CatalogEntry[]): Promise<void> {
    if (this.#mode === 'off') return;
    const now = this.#now();
    for (const entry of entries) {
      const hash = definitionHash(entry.definition);
      const key = keyOf(entry.server, entry.tool);
      const pin = await this.#state.pins.pinIfAbsent(
        { server: entry.server, tool: entry.tool, hash, definition: canonicalJson(pinnedPart(entry.definition)) },
        now,
      );
      if (pin.hash === hash) {
        if (pin.status === 'changed') await this.#state.pins.markChanged(entry.server, entry.tool, hash, canonicalJson(pinnedPart(entry.definition)), now);
        this.#held.delete(key);
        continue;
      }
      await this.#state.pins.markChanged(entry.server, entry.tool, hash, canonicalJson(pinnedPart(entry.definition)), now);
      this.#logger.warn(
        { upstream: entry.server, tool: entry.tool, mode: this.#mode },
        `tool ${entry.server}/${entry.tool} changed its definition since it was pinned; ${this.#mode === 'enforce' ? 'calls are denied' : 'allowed (pins: warn)'} until \`toolgate pins accept ${entry.server}/${entry.tool}\``,
      );
      if (this.#mode === 'enforce') this.#held.set(key, hash);
    }
  }

  /** True when calls to the tool must be denied with `tool-changed` (enforce mode only). */
  async isHeld(server: string, tool: string): Promise<boolean> {
    const key = keyOf(server, tool);
    const current = this.#held.get(key);
    if (current === undefined) return false;
    const pin = await this.#state.pins.get(server, tool);
    if (pin && pin.hash === current) {
      this.#held.delete(key);
      return false;
    }
    return true;
  }

  /** Held tools right now, re-checked against the store. */
  async heldSet(): Promise<ReadonlySet<string>> {
    const out = new Set<string>();
    for (const key of [...this.#held.keys()]) {
      const [server, tool] = key.split('\0') as [string, string];
      if (await this.isHeld(server, tool)) out.add(key);
    }
    return out;
  }
}

/** The key `heldSet` uses. */
export function keyOf(server: string, tool: string): string {
  return `${server}\0${tool}`;
}
