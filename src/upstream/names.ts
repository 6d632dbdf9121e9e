/** Tool names as clients see them: `<upstream>__<tool>` both ways, charset checks, clashes and look-alikes. */
import { ToolgateError } from '../errors.js';

/** What every major client accepts for a tool name. */
export const CLIENT_TOOL_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** The separator between upstream and tool names. */
export const SEPARATOR = '__';

/** A tool as seen by the client, tied to its upstream's own name. */
export interface NamedTool {
  readonly exposed: string;
  readonly server: string;
  readonly tool: string;
}

/** A tool name that cannot be shown to clients, and why. */
export interface RejectedName {
  readonly server: string;
  readonly tool: string;
  readonly reason: string;
}

/**
 * Names every upstream tool for clients. With one configured upstream tools keep their names; with several
 * each becomes `<upstream>__<tool>`. Names outside `[A-Za-z0-9_-]{1,64}` are rejected (returned,
 * not shown). Two tools that would show the same name, or names equal after Unicode NFKC folding
 * and look-alike mapping, throw `TG_TOOL_NAME_CLASH` naming both.
 */
export function nameTools(
  toolsByServer: ReadonlyMap<string, readonly string[]>,
  prefixed: boolean,
): { named: NamedTool[]; rejected: RejectedName[] } {
  const named: NamedTool[] = [];
  const rejected: RejectedName[] = [];
  const bySkeleton = new Map<string, NamedTool>();
  for (const [server, tools] of toolsByServer) {
    for (const tool of tools) {
      const exposed = prefixed ? `${server}${SEPARATOR}${tool}` : tool;
      const candidate = { exposed, server, tool };
      const key = skeleton(exposed);
      const other = bySkeleton.get(key);
      if (other) {
        const how = other.exposed === exposed ? 'both show as' : 'look alike:';
        throw new ToolgateError(
          'TG_TOOL_NAME_CLASH',
          `tool name clash: ${describe(other)} and ${describe(candidate)} ${how} ${JSON.stringify(other.exposed)}${other.exposed === exposed ? '' : ` and ${JSON.stringify(exposed)}`}`,
          { details: { first: `${other.server}/${other.tool}`, second: `${server}/${tool}` } },
        );
      }
      bySkeleton.set(key, candidate);
      if (!CLIENT_TOOL_NAME.test(exposed)) {
        rejected.push({ server, tool, reason: `name ${JSON.stringify(exposed)} is not 1-64 characters of [A-Za-z0-9_-]` });
        continue;
      }
      named.push(candidate);
    }
  }
  return { named, rejected };
}

function describe(t: NamedTool): string {
  return `${t.server}/${JSON.stringify(t.tool)}`;
}

/**
 * The form two names are compared in: NFKC-folded, with common look-alike letters (Cyrillic,
 * Greek, fullwidth and mathematical forms fold through NFKC) mapped to their Latin twins.
 */
export function skeleton(name: string): string {
  let out = '';
  for (const ch of name.normalize('NFKC')) out += LOOK_ALIKES.get(ch) ?? ch;
  return out;
}

// Letters that render like ASCII but survive NFKC: Unicode confusables (UTS #39) for Latin,
// limited to the scripts names are realistically spoofed with.
const LOOK_ALIKES = new Map<string, string>(
  Object.entries({
    а: 'a', в: 'B', е: 'e', к: 'k', м: 'M', н: 'H', о: 'o', р: 'p', с: 'c', т: 'T', у: 'y', х: 'x',
    ѕ: 's', і: 'i', ј: 'j', ԁ: 'd', ԛ: 'q', ԝ: 'w', ү: 'y', һ: 'h', ɡ: 'g', ӏ: 'l',
    А: 'A', В: 'B', Е: 'E', К: 'K', М: 'M', Н: 'H', О: 'O', Р: 'P', С: 'C', Т: 'T', Х: 'X', Ѕ: 'S', І: 'I', Ј: 'J',
    α: 'a', ο: 'o', ρ: 'p', ν: 'v', τ: 't', ι: 'i', κ: 'k', υ: 'u',
    Α: 'A', Β: 'B', Ε: 'E', Ζ: 'Z', Η: 'H', Ι: 'I', Κ: 'K', Μ: 'M', Ν: 'N', Ο: 'O', Ρ: 'P', Τ: 'T', Υ: 'Y', Χ: 'X',
    '‐': '-', '‑': '-', '‒': '-', '–': '-', '−': '-',
  }),
);
