/** Client entries → the upstreams toolgate will run, what was skipped and why, renames, variables: pure. */
import { isAbsolute } from 'node:path';
import type { ClientConfig, ClientEntry, ClientShape } from './input.js';
import { KNOWN_ENTRY_KEYS } from './input.js';
import { envVarName, upperSnake, upstreamName } from './names.js';
import {
  Variables,
  argsWithoutCredentials,
  clientOnlyVariable,
  envValue,
  gatewayRefs,
  headerValue,
  requiredRefs,
  urlWithoutCredentials,
  type CredentialHit,
  type RequiredVariable,
} from './secrets.js';

/** An upstream as it goes into toolgate.yaml (values already references where they were secret). */
export type PlannedUpstream =
  | { readonly transport: 'stdio'; readonly command: string; readonly args: readonly string[]; readonly env: Readonly<Record<string, string>>; readonly cwd?: string }
  | { readonly transport: 'http'; readonly url: string; readonly headers: Readonly<Record<string, string>> };

/** One imported server. */
export interface ImportedServer {
  /** The upstream name in toolgate.yaml and in policies (`server`). */
  readonly name: string;
  /** The key it had in the client config. */
  readonly key: string;
  readonly upstream: PlannedUpstream;
  /** Tools the client ran without asking (Cline's `autoApprove`, Roo's `alwaysAllow`): hints for allow rules. */
  readonly autoApproved: readonly string[];
  /** What was replaced by a variable in args or URL. */
  readonly credentials: readonly CredentialHit[];
}

/** A server the import left out, and why. */
export interface SkippedServer {
  readonly key: string;
  readonly reason: string;
}

/** What an import will write, before anything is written. */
export interface ImportPlan {
  readonly shape: ClientShape;
  readonly servers: readonly ImportedServer[];
  readonly skipped: readonly SkippedServer[];
  readonly renamed: readonly { readonly from: string; readonly to: string }[];
  /** Variables the gateway's environment must hold, names only. */
  readonly variables: readonly RequiredVariable[];
  /** Things a person should know (relative paths, ignored keys, SSE), one line each. */
  readonly notes: readonly string[];
}

type Kind = { kind: 'stdio'; command: string } | { kind: 'http'; url: string; sse: boolean } | { kind: 'skip'; reason: string };

/** Plans the import of `config`. Never throws: every problem with an entry becomes a skip. */
export function planImport(config: ClientConfig): ImportPlan {
  const skipped: SkippedServer[] = [];
  const usable: Array<{ key: string; entry: ClientEntry; kind: Exclude<Kind, { kind: 'skip' }> }> = [];
  for (const server of config.servers) {
    if (!server.ok) {
      skipped.push({ key: server.key, reason: server.reason });
      continue;
    }
    const kind = classify(server.entry);
    if (kind.kind === 'skip') skipped.push({ key: server.key, reason: kind.reason });
    else usable.push({ key: server.key, entry: server.entry, kind });
  }

  const vars = new Variables();
  const taken = new Set<string>();
  const names = usable.map(({ key }) => upstreamName(key, taken));
  // References the input already makes are the user's own variables: record them first, so a
  // value needing a fresh name never takes one of theirs.
  usable.forEach(({ entry }, i) => {
    for (const text of entryStrings(entry)) for (const ref of requiredRefs(gatewayRefs(text))) vars.reference(ref, `referenced by upstream ${names[i]}`);
  });
  const clashing = clashingEnvKeys(usable.map((u) => u.entry));

  const notes: string[] = [];
  const servers = usable.map(({ key, entry, kind }, i): ImportedServer => {
    const name = names[i] as string;
    const autoApproved = [...new Set([...(entry.autoApprove ?? []), ...(entry.alwaysAllow ?? [])])];
    const ignored = Object.keys(entry).filter((k) => !KNOWN_ENTRY_KEYS.has(k));
    if (ignored.length > 0) notes.push(`${name}: ignored client keys ${ignored.join(', ')}`);
    if (kind.kind === 'stdio') {
      const { args, hits } = argsWithoutCredentials(name, (entry.args ?? []).map(gatewayRefs), vars);
      const env: Record<string, string> = {};
      for (const [k, v] of Object.entries(entry.env ?? {})) {
        const candidates = clashing.has(k) ? [upperSnake(name, k)] : [envVarName(k), upperSnake(name, k)];
        env[k] = envValue(v, candidates, `env ${k} of upstream ${name}`, vars);
      }
      const relative = args.filter((a) => a.startsWith('./') || a.startsWith('../') || a.startsWith('.\\') || a.startsWith('..\\'));
      if (relative.length > 0) notes.push(`${name}: relative paths in args (${relative.join(', ')}) are now taken from the gateway's folder`);
      if (entry.cwd !== undefined && !isAbsolute(entry.cwd)) notes.push(`${name}: relative cwd ${entry.cwd} is now taken from the gateway's folder`);
      const upstream: PlannedUpstream = {
        transport: 'stdio',
        command: gatewayRefs(kind.command),
        args,
        env,
        ...(entry.cwd === undefined ? {} : { cwd: gatewayRefs(entry.cwd) }),
      };
      return { name, key, upstream, autoApproved, credentials: hits };
    }
    const hits: CredentialHit[] = [];
    const url = urlWithoutCredentials(name, gatewayRefs(kind.url), 'the url', vars, hits);
    const headers: Record<string, string> = {};
    for (const [h, v] of Object.entries(entry.headers ?? {})) {
      headers[h] = headerValue(v, [upperSnake(name, h)], `header ${h} of upstream ${name}`, vars);
    }
    if (kind.sse) notes.push(`${name}: an SSE server; toolgate tries Streamable HTTP first, then falls back to SSE`);
    return { name, key, upstream: { transport: 'http', url, headers }, autoApproved, credentials: hits };
  });

  return {
    shape: config.shape,
    servers,
    skipped,
    renamed: servers.filter((s) => s.name !== s.key).map((s) => ({ from: s.key, to: s.name })),
    variables: vars.list(),
    notes,
  };
}

const HTTP_TYPES = new Set(['http', 'streamable-http', 'streamablehttp', 'sse']);

// What kind of upstream an entry is, or why toolgate cannot run it.
function classify(entry: ClientEntry): Kind {
  if (entry.disabled === true) return { kind: 'skip', reason: 'disabled in the client config' };
  const type = (entry.type ?? entry.transportType)?.toLowerCase();
  const url = entry.url ?? entry.serverUrl;
  if (entry.command !== undefined && url !== undefined) return { kind: 'skip', reason: 'has both command and url' };
  if (type !== undefined && type !== 'stdio' && !HTTP_TYPES.has(type)) return { kind: 'skip', reason: `transport type ${JSON.stringify(type)} is not supported (stdio, http, sse)` };
  if (type === 'stdio' && entry.command === undefined) return { kind: 'skip', reason: 'type stdio without a command' };
  if (type !== undefined && HTTP_TYPES.has(type) && url === undefined) return { kind: 'skip', reason: `type ${type} without a url` };
  if (entry.envFile !== undefined) return { kind: 'skip', reason: 'uses envFile, which toolgate does not read: move its variables into env and import again' };
  const clientOnly = [entry.command, url, entry.cwd, ...(entry.args ?? [])].map((s) => (s === undefined ? undefined : clientOnlyVariable(s))).find(Boolean);
  if (clientOnly !== undefined) return { kind: 'skip', reason: `uses the client variable ${clientOnly}, which only the client can resolve: write the value instead and import again` };
  if (entry.command !== undefined) {
    if (isToolgate(entry.command, entry.args ?? [])) return { kind: 'skip', reason: 'already runs toolgate' };
    return { kind: 'stdio', command: entry.command };
  }
  if (url !== undefined) {
    if (!url.includes('${') && !/^https?:\/\/[^/\s]/i.test(url)) return { kind: 'skip', reason: 'url is not an http(s) URL' };
    if (!url.includes('${') && !URL.canParse(url)) return { kind: 'skip', reason: 'url is not a valid URL' };
    return { kind: 'http', url, sse: type === 'sse' };
  }
  return { kind: 'skip', reason: 'has neither command nor url' };
}

function isToolgate(command: string, args: readonly string[]): boolean {
  const base = (p: string): string => p.split(/[\\/]/).pop() ?? p;
  return [command, ...args.slice(0, 2)].some((p) => base(p) === 'toolgate') && args.includes('serve');
}

// Every string an entry passes on, for references the input already makes.
function entryStrings(entry: ClientEntry): string[] {
  return [entry.command, entry.url, entry.serverUrl, entry.cwd, ...(entry.args ?? []), ...Object.values(entry.env ?? {}), ...Object.values(entry.headers ?? {})].filter(
    (s): s is string => s !== undefined,
  );
}

// Env keys that several servers set to different values: each server gets its own variable.
function clashingEnvKeys(entries: readonly ClientEntry[]): Set<string> {
  const values = new Map<string, Set<string>>();
  for (const entry of entries) {
    for (const [k, v] of Object.entries(entry.env ?? {})) {
      if (v === '' || gatewayRefs(v).includes('${')) continue;
      const seen = values.get(k) ?? new Set<string>();
      seen.add(v);
      values.set(k, seen);
    }
  }
  return new Set([...values].filter(([, v]) => v.size > 1).map(([k]) => k));
}
