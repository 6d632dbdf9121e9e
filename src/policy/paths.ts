/** The I/O edge for path conditions: resolves argument paths (and `under` roots) before evaluate. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { lookupArg } from './conditions.js';
import { NOT_A_PLAIN_PATH } from './schema.js';
import type { CompiledPolicy, ResolvedPaths, ToolCall } from './types.js';

// Symlink hops followed by hand (dangling links) before giving up, as the kernel's MAXSYMLINKS.
const MAX_LINKS = 40;

/**
 * Resolves one argument path: relative to `baseDir`, `..` normalised, symlinks followed through
 * the longest existing prefix (the file itself may not exist yet), dangling links included.
 * `null` (unresolvable, so allow rules fail and deny rules hold) for non-strings, NUL bytes,
 * `~` and URI forms, symlink loops, unreadable folders, and paths whose `..` after a symlink
 * would lead the kernel somewhere other than the normalised path.
 */
export async function resolvePath(raw: unknown, baseDir: string): Promise<string | null> {
  if (typeof raw !== 'string' || raw.includes('\0') || NOT_A_PLAIN_PATH.test(raw)) return null;
  const real = await realpathLongestPrefix(path.resolve(baseDir, raw), 0);
  if (real === null) return null;
  if (raw.split('/').includes('..')) {
    const physical = await physicalResolve(raw, baseDir);
    if (physical !== real) return null;
  }
  return real;
}

/**
 * Resolves every path argument the policy looks at for this (server, tool): the map
 * `evaluate` reads as `ctx.paths`, keyed like `args.path`.
 */
export async function resolveCallPaths(
  compiled: CompiledPolicy,
  call: ToolCall,
  baseDir: string = compiled.baseDir,
): Promise<ResolvedPaths> {
  const out = new Map<string, string | null>();
  for (const key of compiled.pathArgs(call.server, call.tool)) {
    const raw = lookupArg(call.args, key.slice('args.'.length).split('.'));
    out.set(key, await resolvePath(raw, baseDir));
  }
  return out;
}

// realpath of `p`, or of its longest existing prefix with the rest appended. A dangling
// symlink is followed to where it points, so a link to a not-yet-existing file outside
// cannot pass for a path inside.
async function realpathLongestPrefix(p: string, hops: number): Promise<string | null> {
  try {
    return await fs.realpath(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') return null;
  }
  const parent = path.dirname(p);
  if (parent === p) return p;
  const realParent = await realpathLongestPrefix(parent, hops);
  if (realParent === null) return null;
  const here = path.join(realParent, path.basename(p));
  let target: string | undefined;
  try {
    if ((await fs.lstat(here)).isSymbolicLink()) target = await fs.readlink(here);
  } catch {
    target = undefined;
  }
  if (target === undefined) return here;
  if (hops >= MAX_LINKS) return null;
  return realpathLongestPrefix(path.resolve(realParent, target), hops + 1);
}

// Where the kernel would go: `..` applied after symlinks, not before. Tries the whole
// un-normalised path, then shorter prefixes, appending the rest lexically.
async function physicalResolve(raw: string, baseDir: string): Promise<string | null> {
  const start = path.isAbsolute(raw) ? '/' : baseDir;
  const segments = raw.split('/').filter((s) => s !== '' && s !== '.');
  for (let k = segments.length; k >= 0; k--) {
    const prefix = [start, ...segments.slice(0, k)].join('/');
    try {
      const real = await fs.realpath(prefix);
      return path.resolve(real, ...segments.slice(k));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') return null;
    }
  }
  return null;
}
