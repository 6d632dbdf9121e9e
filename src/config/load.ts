/** Loads toolgate.yaml: YAML with line numbers, `${VAR}` from the environment, config-relative paths. */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ToolgateError } from '../errors.js';
import { checkWith, parseYaml, dotted, YamlInvalidError, type LocatedYaml, type YamlIssue } from '../yaml.js';
import { registerSecrets } from '../secrets.js';
import { configSchema, type RawConfig, type UpstreamConfig } from './schema.js';

/** An upstream with its paths resolved. */
export type LoadedUpstream =
  | (Extract<UpstreamConfig, { transport: 'stdio' }> & { readonly name: string; readonly cwd: string })
  | (Extract<UpstreamConfig, { transport: 'http' }> & { readonly name: string });

/** The config as the rest of toolgate sees it: typed, defaults filled, paths absolute, durations in ms. */
export interface LoadedConfig {
  /** Absolute path of the config file. */
  readonly file: string;
  /** Its folder: relative paths in the config, policies and call arguments are taken against it. */
  readonly baseDir: string;
  readonly gateway: RawConfig['gateway'];
  readonly upstreams: Readonly<Record<string, LoadedUpstream>>;
  readonly policy: { readonly files: readonly string[] };
  readonly receipts: { readonly key?: string; readonly ttlSeconds: number };
  readonly log: {
    readonly path: string;
    readonly redact: readonly string[];
    readonly checkpoint: { readonly every: number; readonly intervalMs: number };
  };
  readonly state: { readonly path: string; readonly redis?: string };
  readonly limits: RawConfig['limits'];
  readonly pins: RawConfig['pins'];
  readonly admin?: RawConfig['admin'];
  /** Every value that came from the environment, plus tokens and header values: never shown. */
  readonly secrets: readonly string[];
}

/** The default config file, relative to the working directory. */
export const DEFAULT_CONFIG = 'toolgate.yaml';

/**
 * Reads and checks a config file. Throws `TG_FILE_NOT_FOUND`, or a `YamlInvalidError` with code
 * `TG_CONFIG_INVALID` / `TG_ENV_UNSET` listing every problem as file:line: field: message.
 */
export async function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): Promise<LoadedConfig> {
  const path = resolve(file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ToolgateError('TG_FILE_NOT_FOUND', `cannot read config ${file}: ${code === 'ENOENT' ? 'no such file' : code ?? 'error'}`, {
      details: { file },
    });
  }
  return parseConfig(text, path, env);
}

/** Parses config text as if read from `path` (absolute). */
export function parseConfig(text: string, path: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const located = parseYaml(text, path, 'TG_CONFIG_INVALID');
  const secrets: string[] = [];
  const substituted = substitute(located, env, secrets);
  const raw = checkWith(located, substituted, configSchema, 'TG_CONFIG_INVALID');
  const config = resolveConfig(raw, path, secrets);
  registerSecrets(config.secrets);
  return config;
}

const VAR = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

// Replaces ${VAR} in every string scalar; collects unset variables as located issues.
function substitute(located: LocatedYaml, env: NodeJS.ProcessEnv, secrets: string[]): unknown {
  const issues: YamlIssue[] = [];
  const walk = (value: unknown, path: PropertyKey[]): unknown => {
    if (typeof value === 'string') {
      if (!value.includes('${')) return value;
      return value.replace(VAR, (_match, name: string, fallback: string | undefined) => {
        const found = env[name];
        if (found !== undefined && found !== '') {
          // Who the principal is, is not a secret (and must stay readable in logs).
          if (!dotted(path).startsWith('gateway.principal')) secrets.push(found);
          return found;
        }
        if (fallback !== undefined) return fallback;
        issues.push({ file: located.file, line: located.lineOf(path), field: dotted(path), message: `environment variable ${name} is not set` });
        return '';
      });
    }
    if (Array.isArray(value)) return value.map((item, i) => walk(item, [...path, i]));
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, [...path, k])]));
    }
    return value;
  };
  const out = walk(located.value, []);
  if (issues.length > 0) throw new YamlInvalidError('TG_ENV_UNSET', issues);
  return out;
}

function resolveConfig(raw: RawConfig, file: string, secrets: string[]): LoadedConfig {
  const baseDir = dirname(file);
  const at = (p: string): string => resolve(baseDir, p);
  const upstreams: Record<string, LoadedUpstream> = {};
  for (const [name, upstream] of Object.entries(raw.upstreams)) {
    if (upstream.transport === 'stdio') {
      upstreams[name] = { ...upstream, name, cwd: at(upstream.cwd ?? '.') };
    } else {
      secrets.push(...Object.values(upstream.headers));
      upstreams[name] = { ...upstream, name };
    }
  }
  for (const t of raw.gateway.listen.auth?.tokens ?? []) secrets.push(t.token);
  if (raw.admin) secrets.push(raw.admin.token);
  return {
    file,
    baseDir,
    gateway: raw.gateway,
    upstreams,
    policy: { files: raw.policy.files.map(at) },
    receipts: { ...(raw.receipts.key ? { key: at(raw.receipts.key) } : {}), ttlSeconds: Math.round(raw.receipts.ttl / 1000) },
    log: {
      path: at(raw.log.path),
      redact: raw.log.redact,
      checkpoint: { every: raw.log.checkpoint.every, intervalMs: raw.log.checkpoint.interval },
    },
    state: { path: at(raw.state.path ?? 'state/toolgate.db'), ...(raw.state.redis ? { redis: raw.state.redis } : {}) },
    limits: raw.limits,
    pins: raw.pins,
    ...(raw.admin ? { admin: raw.admin } : {}),
    secrets: [...new Set(secrets.filter((s) => s.length >= 4))],
  };
}
