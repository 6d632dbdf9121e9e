/** The import's edge: read the client config, write the gateway's files (never over existing ones unless forced), check them with loadConfig. */
import { lstat, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { loadConfig } from '../config/load.js';
import { ToolgateError } from '../errors.js';
import { loadPolicy, validatePolicy } from '../policy/load.js';
import { generateKeyFiles } from '../receipts/keys.js';
import { formatIssue } from '../yaml.js';
import { parseClientConfig } from './input.js';
import { planImport, type ImportPlan } from './plan.js';
import { KEY_FILE, POLICY_FILE, renderClientConfig, renderConfig, renderPolicy, type ListenMode } from './render.js';

/** What to import, and where to. */
export interface ImportOptions {
  /** The client config file, as the user named it. */
  readonly file: string;
  /** The output folder, as the user named it. */
  readonly outDir: string;
  readonly listen: ListenMode;
  /** Overwrite toolgate.yaml, the policy and client-config.json if they exist (never the key). */
  readonly force: boolean;
  /** Absolute path of the Node.js binary the client should run. */
  readonly nodePath: string;
  /** Absolute path of `bin/toolgate`. */
  readonly toolgateBin: string;
  /** The environment the generated config is checked against (unset variables get a stand-in). */
  readonly env?: NodeJS.ProcessEnv;
}

/** The files an import wrote, by absolute path. */
export interface ImportedFiles {
  readonly config: string;
  readonly policy: string;
  readonly clientConfig: string;
  readonly key: string;
  /** False when a key was already there and was kept. */
  readonly keyCreated: boolean;
}

/** What an import did. */
export interface ImportResult {
  readonly plan: ImportPlan;
  readonly files: ImportedFiles;
  /** What `loadConfig` and the policy loader made of the written files. */
  readonly checked: { readonly upstreams: number; readonly rules: number; readonly policyHash: string };
}

/** The generated client config's file name. */
export const CLIENT_CONFIG_FILE = 'client-config.json';
/** The generated gateway config's file name. */
export const CONFIG_FILE = 'toolgate.yaml';

/**
 * Imports `options.file` into `options.outDir`. Throws `TG_FILE_NOT_FOUND` (unreadable input),
 * `TG_IMPORT_INVALID` (bad JSON with line and column, no servers, nothing importable), `TG_USAGE`
 * (an output exists and `force` is off; nothing is written then), and, should the written config
 * not load, the loader's own `TG_CONFIG_INVALID` / `TG_POLICY_INVALID` listing every issue.
 */
export async function importClientConfig(options: ImportOptions): Promise<ImportResult> {
  const text = await readInput(options.file);
  const client = parseClientConfig(text, options.file);
  if (client.servers.length === 0) {
    throw new ToolgateError('TG_IMPORT_INVALID', `${options.file}: "${client.shape}" lists no servers`, { details: { file: options.file } });
  }
  const plan = planImport(client);
  if (plan.servers.length === 0) {
    throw new ToolgateError(
      'TG_IMPORT_INVALID',
      [`nothing to import from ${options.file}: every server was skipped`, ...plan.skipped.map((s) => `skipped ${s.key}: ${s.reason}`)].join('\n'),
      { details: { file: options.file } },
    );
  }

  const dir = resolve(options.outDir);
  const files = { config: join(dir, CONFIG_FILE), policy: join(dir, POLICY_FILE), clientConfig: join(dir, CLIENT_CONFIG_FILE) };
  if (!options.force) {
    const existing = (await Promise.all(Object.values(files).map(async (f) => ((await exists(f)) ? f : undefined)))).filter(Boolean);
    if (existing.length > 0) {
      throw new ToolgateError('TG_USAGE', `refusing to overwrite ${existing.join(', ')}: use --force, or choose another --out`, {
        details: { file: existing[0] },
      });
    }
  }

  const render = { source: resolve(options.file), listen: options.listen, configPath: files.config, nodePath: options.nodePath, toolgateBin: options.toolgateBin };
  try {
    await mkdir(join(dir, 'policies'), { recursive: true });
  } catch (e) {
    throw new ToolgateError('TG_USAGE', `cannot create ${options.outDir}: ${errno(e)}`, { cause: e, details: { file: options.outDir } });
  }
  const flag = options.force ? 'w' : 'wx';
  await write(files.policy, renderPolicy(plan, render), flag, 0o644);
  await write(files.config, renderConfig(plan, render), flag, 0o644);
  // The person fills the variables' values in here before pasting it: keep it private.
  await write(files.clientConfig, renderClientConfig(plan, render), flag, 0o600);

  const keyPath = join(dir, KEY_FILE);
  const keyCreated = !(await exists(keyPath));
  if (keyCreated) await generateKeyFiles(join(dir, 'keys'));

  const env: NodeJS.ProcessEnv = { ...(options.env ?? process.env) };
  for (const v of plan.variables) if (!env[v.name]) env[v.name] = 'toolgate-import-check';
  const loaded = await loadConfig(files.config, env);
  const issues = await validatePolicy(loaded.policy.files, loaded.baseDir);
  if (issues.length > 0) throw new ToolgateError('TG_POLICY_INVALID', issues.map(formatIssue).join('\n'));
  const policy = await loadPolicy(loaded.policy.files, loaded.baseDir);

  return {
    plan,
    files: { ...files, key: keyPath, keyCreated },
    checked: { upstreams: Object.keys(loaded.upstreams).length, rules: policy.rules.length, policyHash: policy.hash },
  };
}

async function readInput(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code ?? 'error';
    throw new ToolgateError('TG_FILE_NOT_FOUND', `cannot read ${file}: ${why}`, { cause: e, details: { file } });
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

async function write(path: string, text: string, flag: 'w' | 'wx', mode: number): Promise<void> {
  try {
    await writeFile(path, text, { flag, mode });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new ToolgateError('TG_USAGE', `refusing to overwrite ${path}: use --force, or choose another --out`, { cause: e, details: { file: path } });
    }
    throw new ToolgateError('TG_USAGE', `cannot write ${path}: ${errno(e)}`, { cause: e, details: { file: path } });
  }
}

function errno(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? 'error';
}
