/**
 * Runs TypeScript scripts as separate Node processes that start work together: each prints
 * `ready` when set up, then waits for `go` on stdin, then prints one JSON line as its result.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const REGISTER = fileURLToPath(new URL('./register-ts.mjs', import.meta.url));

/** Starts one process per argument list, releases them at once, returns each one's JSON result. */
export async function runTogether(script: string, argLists: readonly string[][]): Promise<unknown[]> {
  const children = argLists.map((args) => spawn(process.execPath, ['--import', REGISTER, script, ...args], { stdio: 'pipe' }));
  const results = children.map((child) => collect(child));
  await Promise.all(results.map((r) => r.ready));
  for (const child of children) child.stdin.end('go\n');
  return Promise.all(results.map((r) => r.done));
}

function collect(child: ChildProcessWithoutNullStreams): { ready: Promise<void>; done: Promise<unknown> } {
  let out = '';
  let err = '';
  let onReady: () => void = () => {};
  let onFail: (e: Error) => void = () => {};
  const ready = new Promise<void>((res, rej) => {
    onReady = res;
    onFail = rej;
  });
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    if (out.startsWith('ready\n')) onReady();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const done = new Promise<unknown>((res, rej) => {
    child.on('close', (code) => {
      const fail = new Error(`child exited ${code}: ${err.trim()}`);
      onFail(fail);
      if (code !== 0) return rej(fail);
      const line = out.split('\n').filter(Boolean).at(-1) ?? '';
      try {
        res(JSON.parse(line) as unknown);
      } catch {
        rej(new Error(`child printed no JSON result: ${out} ${err}`));
      }
    });
  });
  return { ready, done };
}

/** In a child: prints `ready`, resolves on `go`. */
export function waitForGo(): Promise<void> {
  process.stdout.write('ready\n');
  return new Promise((res) => {
    process.stdin.setEncoding('utf8').once('data', () => {
      process.stdin.pause();
      res();
    });
  });
}
