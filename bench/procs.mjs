// Child processes for the benchmark: spawn and track them, wait for ports, read CPU time and RSS from /proc, kill them all.
import { spawn, execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';

const tracked = new Set();

/**
 * Spawns `args` with this Node (`process.execPath`) as its own process group, tracked for
 * killAll(). stdout/stderr are kept (the last 64 KiB each) for error messages.
 */
export function spawnNode(args, options = {}) {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, ...options });
  const proc = { child, pid: child.pid, out: '', err: '', exited: false };
  const keep = (key) => (chunk) => {
    proc[key] = (proc[key] + chunk.toString()).slice(-65536);
  };
  child.stdout?.on('data', keep('out'));
  child.stderr?.on('data', keep('err'));
  proc.exit = new Promise((resolve) =>
    child.once('exit', (code, signal) => {
      proc.exited = true;
      tracked.delete(proc);
      resolve(code ?? signal);
    }),
  );
  tracked.add(proc);
  return proc;
}

/** Tracks a process someone else spawned (the SDK's StdioClientTransport), by pid. */
export function trackPid(pid) {
  const proc = { pid, external: true };
  tracked.add(proc);
  return proc;
}

/** Waits until `proc`'s stdout matches `re`; resolves the first capture group. */
export function waitForOutput(proc, re, timeoutMs = 20_000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`timed out waiting for ${re} (stderr: ${tail(proc.err)})`)), timeoutMs);
    const check = () => {
      const m = re.exec(proc.out);
      if (m) done(undefined, m[1]);
    };
    const onExit = () => done(new Error(`exited before printing ${re} (stderr: ${tail(proc.err)})`));
    const done = (e, value) => {
      clearTimeout(timer);
      proc.child.stdout?.off('data', check);
      proc.child.off('exit', onExit);
      if (e) reject(e);
      else resolve(value);
    };
    proc.child.stdout?.on('data', check);
    proc.child.once('exit', onExit);
    check();
  });
}

/** A port that was free on 127.0.0.1 a moment ago. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Resolves once 127.0.0.1:`port` accepts a TCP connection; rejects after `timeoutMs` or if `proc` exits. */
export async function waitForPort(port, proc, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc?.exited) throw new Error(`exited before listening on ${port} (stderr: ${tail(proc.err)})`);
    const ok = await new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listened on 127.0.0.1:${port} within ${timeoutMs} ms`);
}

let clockTicks;
/** Clock ticks per second for /proc/<pid>/stat (getconf CLK_TCK; 100 on Linux almost always). */
function ticksPerSecond() {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** User + system CPU time of `pid` so far, in µs (10 ms resolution with CLK_TCK 100). */
export function cpuMicros(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may contain spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of stat(5))
  return (ticks * 1e6) / ticksPerSecond();
}

/**
 * User and system CPU (µs) of `pid`'s main thread and of its other threads together (libuv pool,
 * V8 GC and compiler threads), minus `since` (an earlier result) when given.
 */
export function threadCpu(pid, since) {
  const sum = { main: { user: 0, system: 0 }, other: { user: 0, system: 0 } };
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let stat;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended meanwhile
    }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const into = tid === String(pid) ? sum.main : sum.other;
    into.user += (Number(fields[11]) * 1e6) / ticksPerSecond();
    into.system += (Number(fields[12]) * 1e6) / ticksPerSecond();
  }
  if (since) {
    for (const k of ['main', 'other']) for (const m of ['user', 'system']) sum[k][m] -= since[k][m];
  }
  return sum;
}

/** Resident set size of `pid` now and at its peak, in KiB, from /proc/<pid>/status. */
export function memoryKiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: field('VmRSS'), hwm: field('VmHWM') };
}

/**
 * Ends every tracked process: SIGTERM to each one (so a gateway shuts down cleanly and stops its
 * upstreams), then, after `graceMs`, SIGKILL to each one's process group and to every process
 * it had started (some proxies start their upstreams in process groups of their own).
 */
export async function killAll(graceMs = 3000) {
  const all = [...tracked];
  const offspring = all.flatMap((p) => descendants(p.pid));
  for (const proc of all) signal(proc.pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && all.some((p) => !p.exited && alive(p.pid))) await new Promise((r) => setTimeout(r, 50));
  for (const proc of all) {
    if (!proc.external) signal(-proc.pid, 'SIGKILL');
    else if (alive(proc.pid)) signal(proc.pid, 'SIGKILL');
  }
  for (const pid of offspring) if (alive(pid)) signal(pid, 'SIGKILL');
  tracked.clear();
}

/** Stops one tracked process with SIGTERM and waits for it; SIGKILL to its group and offspring after `graceMs`, and to what is left at the end. */
export async function stop(proc, graceMs = 5000) {
  const offspring = descendants(proc.pid);
  const finish = () => {
    signal(-proc.pid, 'SIGKILL');
    for (const pid of offspring) if (alive(pid)) signal(pid, 'SIGKILL');
  };
  if (!proc.exited) signal(proc.pid, 'SIGTERM');
  const timer = setTimeout(finish, graceMs);
  const code = await proc.exit;
  clearTimeout(timer);
  // Give the upstreams it stopped a moment to go, then end whatever is left.
  await new Promise((r) => setTimeout(r, 200));
  finish();
  return code;
}

/** Every live process below `pid` (children, their children, ...), from /proc. */
export function descendants(pid) {
  const parentOf = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parentOf.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // exited while we looked
    }
  }
  const found = [];
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.shift();
    for (const [child, parent] of parentOf) {
      if (parent === p) {
        found.push(child);
        queue.push(child);
      }
    }
  }
  return found;
}

function signal(pid, name) {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function tail(text) {
  return text.trim().split('\n').slice(-3).join(' | ').slice(-400);
}
