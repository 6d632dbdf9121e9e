/**
 * Resources, resource templates and prompts of every upstream, named for clients, and the way
 * back: which upstream a prompt name or a resource URI belongs to. Pure: built from listings.
 *
 * Naming follows the tool rules. With one upstream nothing is renamed. With several, prompts
 * become `<upstream>__<prompt>`; resource URIs and templates stay as they are unless more than one
 * upstream claims them, and only those are shown as `toolgate://<upstream>/<original>` (the
 * original follows verbatim, so stripping the prefix gives it back). The explicit form is always
 * accepted when several upstreams are configured.
 */
import type { Prompt, Resource, ResourceTemplate } from '@modelcontextprotocol/sdk/types.js';
import { UriTemplate } from '@modelcontextprotocol/sdk/shared/uriTemplate.js';
import { SEPARATOR } from './names.js';

/** What one upstream listed. */
export interface UpstreamListing {
  readonly resources: readonly Resource[];
  readonly templates: readonly ResourceTemplate[];
  readonly prompts: readonly Prompt[];
}

/** An upstream that lists nothing. */
export const EMPTY_LISTING: UpstreamListing = Object.freeze({ resources: [], templates: [], prompts: [] });

/** The scheme of the explicit `toolgate://<upstream>/<uri>` form. */
export const EXPLICIT_PREFIX = 'toolgate://';

/** Where a URI (or template) a client sent goes. */
export type UriRoute =
  | { readonly kind: 'upstream'; readonly server: string; readonly uri: string; readonly explicit: boolean }
  | { readonly kind: 'ambiguous'; readonly servers: readonly string[] }
  | { readonly kind: 'unknown' };

/** A prompt that could not be shown, and why. */
export interface RejectedPrompt {
  readonly server: string;
  readonly prompt: string;
  readonly reason: string;
}

/** An immutable snapshot of everything but tools, as clients see it. */
export interface Listings {
  readonly resources: readonly Resource[];
  readonly templates: readonly ResourceTemplate[];
  readonly prompts: readonly Prompt[];
  readonly rejected: readonly RejectedPrompt[];
  /** The upstream and its own name for a prompt name a client sent. */
  prompt(exposed: string): { readonly server: string; readonly name: string } | undefined;
  /** The upstream for a resource URI a client sent. */
  routeUri(uri: string): UriRoute;
  /** The upstream for a `ref/resource` of `completion/complete`: a template as listed, or a URI. */
  routeTemplate(uriOrTemplate: string): UriRoute;
  /** The URI clients see for an upstream's own `uri`. */
  exposeUri(server: string, uri: string): string;
}

/** `toolgate://<server>/<uri>`. */
export function explicitUri(server: string, uri: string): string {
  return `${EXPLICIT_PREFIX}${server}/${uri}`;
}

/**
 * Builds the client view of the listings of the upstreams in `byServer` (the ones that are up).
 * `configured` names every configured upstream in config order (it decides prefixing, the order
 * of entries, and which explicit forms are recognised). `remembered` holds the last listings of
 * upstreams that are down: never shown, but names and URIs that only they claim still route to
 * them, so that a request is answered "unavailable" rather than "unknown".
 */
export function buildListings(
  byServer: ReadonlyMap<string, UpstreamListing>,
  configured: readonly string[],
  remembered: ReadonlyMap<string, UpstreamListing> = new Map(),
): Listings {
  const prefixed = configured.length > 1;
  const live = index(byServer, configured, prefixed);
  const down = index(remembered, configured, prefixed);

  const exposeUri = (server: string, uri: string): string => (prefixed && live.claims(uri).size > 1 ? explicitUri(server, uri) : uri);
  const exposeTemplate = (server: string, uriTemplate: string): string =>
    prefixed && (live.templatesBy.get(uriTemplate)?.size ?? 0) > 1 ? explicitUri(server, uriTemplate) : uriTemplate;

  const resources: Resource[] = [];
  const templates: ResourceTemplate[] = [];
  const prompts: Prompt[] = [];
  for (const server of live.servers) {
    const listing = byServer.get(server) ?? EMPTY_LISTING;
    for (const r of listing.resources) resources.push({ ...r, uri: exposeUri(server, r.uri) });
    for (const t of listing.templates) templates.push({ ...t, uriTemplate: exposeTemplate(server, t.uriTemplate) });
    for (const p of listing.prompts) {
      const exposed = prefixed ? `${server}${SEPARATOR}${p.name}` : p.name;
      if (live.prompts.get(exposed)?.server === server && live.prompts.get(exposed)?.name === p.name) prompts.push({ ...p, name: exposed });
    }
  }

  const explicit = (value: string): UriRoute | undefined => {
    if (!prefixed || !value.startsWith(EXPLICIT_PREFIX)) return undefined;
    const rest = value.slice(EXPLICIT_PREFIX.length);
    const slash = rest.indexOf('/');
    if (slash <= 0) return undefined;
    const server = rest.slice(0, slash);
    return configured.includes(server) ? { kind: 'upstream', server, uri: rest.slice(slash + 1), explicit: true } : undefined;
  };
  const routeUri = (uri: string): UriRoute => {
    const named = explicit(uri);
    if (named) return named;
    const claimed = live.claims(uri);
    return routeBy(claimed.size > 0 ? claimed : down.claims(uri), uri);
  };

  return {
    resources,
    templates,
    prompts,
    rejected: live.rejected,
    prompt: (exposed) => live.prompts.get(exposed) ?? down.prompts.get(exposed),
    routeUri,
    routeTemplate: (value) => {
      const named = explicit(value);
      if (named) return named;
      const offering = live.templatesBy.get(value) ?? down.templatesBy.get(value);
      if (offering && offering.size > 0) return routeBy(offering, value);
      return routeUri(value);
    },
    exposeUri,
  };
}

interface Index {
  readonly servers: readonly string[];
  readonly templatesBy: ReadonlyMap<string, ReadonlySet<string>>;
  readonly prompts: ReadonlyMap<string, { readonly server: string; readonly name: string }>;
  readonly rejected: readonly RejectedPrompt[];
  claims(uri: string): Set<string>;
}

// Who lists which URI and template, whose templates match what, and the prompt names.
function index(byServer: ReadonlyMap<string, UpstreamListing>, configured: readonly string[], prefixed: boolean): Index {
  const servers = configured.filter((name) => byServer.has(name));
  const listedBy = new Map<string, Set<string>>();
  const templatesBy = new Map<string, Set<string>>();
  const matchers: Array<{ server: string; template: UriTemplate }> = [];
  const prompts = new Map<string, { server: string; name: string }>();
  const rejected: RejectedPrompt[] = [];
  for (const server of servers) {
    const listing = byServer.get(server) ?? EMPTY_LISTING;
    for (const r of listing.resources) addTo(listedBy, r.uri, server);
    for (const t of listing.templates) {
      addTo(templatesBy, t.uriTemplate, server);
      const template = compileTemplate(t.uriTemplate);
      if (template) matchers.push({ server, template });
    }
    for (const p of listing.prompts) {
      const exposed = prefixed ? `${server}${SEPARATOR}${p.name}` : p.name;
      const other = prompts.get(exposed);
      if (other) {
        rejected.push({ server, prompt: p.name, reason: `prompt ${JSON.stringify(exposed)} is already shown for ${other.server}/${JSON.stringify(other.name)}` });
        continue;
      }
      prompts.set(exposed, { server, name: p.name });
    }
  }
  return {
    servers,
    templatesBy,
    prompts,
    rejected,
    claims: (uri) => {
      const found = new Set(listedBy.get(uri) ?? []);
      for (const m of matchers) if (!found.has(m.server) && matches(m.template, uri)) found.add(m.server);
      return found;
    },
  };
}

function routeBy(servers: ReadonlySet<string>, uri: string): UriRoute {
  if (servers.size === 1) return { kind: 'upstream', server: [...servers][0] as string, uri, explicit: false };
  if (servers.size > 1) return { kind: 'ambiguous', servers: [...servers] };
  return { kind: 'unknown' };
}

function addTo(map: Map<string, Set<string>>, key: string, server: string): void {
  const set = map.get(key);
  if (set) set.add(server);
  else map.set(key, new Set([server]));
}

function compileTemplate(uriTemplate: string): UriTemplate | undefined {
  try {
    return new UriTemplate(uriTemplate);
  } catch {
    // A template the SDK cannot parse routes only by its exact text.
    return undefined;
  }
}

function matches(template: UriTemplate, uri: string): boolean {
  try {
    return template.match(uri) !== null;
  } catch {
    return false;
  }
}
