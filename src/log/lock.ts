/** `<log>.lock`: one writing process per log file, so two gateways never interleave one chain. */
import { open, readFile, rm } from 'node:fs/promises';
import { ToolgateError } from '../errors.js';

/** The lock file's path for a log. */
export function lockPathFor(logPath: string): string {
  return `${logPath}.lock`;
}

/** A held lock; `release` removes the file (idempotent). */
export interface LogLock {
  readonly path: string;
  release(): Promise<void>;
}

/**
 * Takes the lock for `logPath`: creates `<log>.lock` holding this process's id. A lock left by
 * a process that no longer runs (a crash, kill -9) or by this very process id (a restarted
 * container's pid 1) is taken over. Throws `TG_LOG_FAILED` when another live process holds it,
 * or when the lock cannot be written.
 */
export async function acquireLogLock(logPath: string): Promise<LogLock> {
  const path = lockPathFor(logPath);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(path, 'wx', 0o644);
      try {
        await handle.writeFile(`${process.pid}\n`);
      } finally {
        await handle.close();
      }
      let released = false;
      return {
        path,
        release: async () => {
          if (released) return;
          released = true;
          await rm(path, { force: true });
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new ToolgateError('TG_LOG_FAILED', `cannot create the log lock ${path}: ${errnoOf(e)}`, { cause: e, details: { file: path } });
      }
    }
    const holder = await lockHolder(path);
    if (holder !== undefined && holder !== process.pid && isRunning(holder)) {
      throw new ToolgateError('TG_LOG_FAILED', `the decision log is in use by process ${holder} (lock file ${path})`, {
        details: { file: path },
      });
    }
    await rm(path, { force: true });
  }
  throw new ToolgateError('TG_LOG_FAILED', `cannot take the log lock ${path}`, { details: { file: path } });
}

/** The process id in a lock file, or undefined when there is none or it cannot be read. */
export async function lockHolder(path: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt((await readFile(path, 'utf8')).trim(), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** True when a process with this id exists (signal 0 probes without signalling). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** `EACCES`, `ENOSPC`… for a one-line message; never the path's contents. */
export function errnoOf(e: unknown): string {
  return (e as NodeJS.ErrnoException | undefined)?.code ?? 'error';
}
