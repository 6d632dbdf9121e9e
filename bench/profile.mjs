// Where toolgate spends a call: runs `toolgate serve` (HTTP→stdio echo) under `node --cpu-prof`, drives checked echo calls,
// then prints the gateway's CPU by area (toolgate files, SDK files, packages, Node internals, GC) and its top functions,
// and the latency split the decision log records. Run after a build: `node bench/profile.mjs [--calls N] [--concurrent N]`.
// The raw profile stays in bench/results/ (open it in Chrome DevTools → Performance, or VS Code).
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { cpuMicros, killAll, stop, threadCpu } from './procs.mjs';
import { latencySummary } from './stats.mjs';
import { ROOT, httpClient, makeKeys, stdioEcho, toolgateHttp } from './targets.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const CALLS = arg('--calls', 3000);
const CONCURRENT = arg('--concurrent', 1);
const WARMUP = 300;

const dir = await mkdtemp(join(tmpdir(), 'toolgate-profile-'));
try {
  const keys = await makeKeys(dir);
  const profDir = join(dir, 'prof');
  const t = await toolgateHttp(join(dir, 'ws'), keys.key, {
    id: 'toolgate-http-stdio',
    label: 'toolgate HTTP→stdio',
    upstreams: { echo: stdioEcho() },
    nodeArgs: ['--cpu-prof', '--cpu-prof-dir', profDir, '--cpu-prof-interval', '200'],
  });
  const clients = await Promise.all(Array.from({ length: CONCURRENT }, () => httpClient(t.url)));
  let n = 0;
  const call = async (client) => {
    const text = `profile call ${(n += 1)}`;
    const start = performance.now();
    const r = await client.callTool({ name: 'echo', arguments: { text } });
    const ms = performance.now() - start;
    if (r.content?.[0]?.text !== text || typeof r._meta?.['toolgate/receipt'] !== 'string') throw new Error(`wrong result for call ${n}`);
    return ms;
  };
  for (let i = 0; i < WARMUP; i += 1) await call(clients[0]);
  const cpu0 = cpuMicros(t.front);
  const threads0 = threadCpu(t.front);
  const wall0 = performance.now();
  const latencies = [];
  const perClient = Math.ceil(CALLS / CONCURRENT);
  await Promise.all(
    clients.map(async (c) => {
      for (let i = 0; i < perClient; i += 1) latencies.push(await call(c));
    }),
  );
  const wallMs = performance.now() - wall0;
  const cpuUs = cpuMicros(t.front) - cpu0;
  const threads = threadCpu(t.front, threads0);
  await Promise.allSettled(clients.map((c) => c.close()));
  await stop(t.proc);

  const files = (await readdir(profDir)).filter((f) => f.endsWith('.cpuprofile'));
  if (files.length === 0) throw new Error('the gateway wrote no .cpuprofile (did it exit cleanly?)');
  const profile = JSON.parse(await readFile(join(profDir, files[0]), 'utf8'));
  await mkdir(join(ROOT, 'bench/results'), { recursive: true });
  const kept = join(ROOT, 'bench/results/toolgate-http-stdio.cpuprofile');
  await copyFile(join(profDir, files[0]), kept);

  const l = latencySummary(latencies);
  console.log(`toolgate HTTP→stdio, ${latencies.length} echo calls after ${WARMUP} warm-up, ${CONCURRENT} caller(s)`);
  console.log(`client latency p50 ${l.p50.toFixed(2)} ms, p99 ${l.p99.toFixed(2)} ms; ${Math.round(latencies.length / (wallMs / 1000))} calls/s`);
  const per = (us) => Math.round(us / latencies.length);
  console.log(
    `gateway CPU (from /proc): ${per(cpuUs)} µs per call; main thread user ${per(threads.main.user)} + system ${per(threads.main.system)} µs, ` +
      `other threads (libuv pool: fs writes and fdatasync; V8 GC) user ${per(threads.other.user)} + system ${per(threads.other.system)} µs`,
  );
  console.log(await logSplit(t.workspace.logFile, latencies.length));
  console.log('');
  console.log(summarize(profile).join('\n'));
  console.log(`profile: ${kept} (the whole run including start-up; the tables above count all of it)`);
} finally {
  await killAll();
  await rm(dir, { recursive: true, force: true });
}

// The decision log's latency_ms (gateway: call handler start → upstream result) for the last `n` calls.
async function logSplit(path, n) {
  const lines = (await readFile(path, 'utf8')).split('\n').filter(Boolean).map((x) => JSON.parse(x));
  const ms = lines.filter((x) => x.type === 'outcome').slice(-n).map((x) => x.latency_ms);
  const s = latencySummary(ms);
  return `inside handleToolCall (decision log latency_ms: policy, sign, log fsync, upstream round trip): p50 ${s.p50.toFixed(2)} ms, p99 ${s.p99.toFixed(2)} ms`;
}

// Self time per profile node, grouped by area and by function; and inclusive time of toolgate and SDK functions
// (the synchronous part of each: time under an await is not on the stack).
function summarize(profile) {
  const self = new Map();
  const { nodes, samples, timeDeltas } = profile;
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const label = (frame) => `${frame.functionName || '(anonymous)'}  ${shortUrl(frame.url)}:${frame.lineNumber + 1}`;
  const inclusive = new Map();
  for (let i = 0; i < samples.length; i += 1) {
    const dt = timeDeltas[i] ?? 0;
    self.set(samples[i], (self.get(samples[i]) ?? 0) + dt);
    if (areaOf(byId.get(samples[i]).callFrame) === '(idle)') continue;
    const seen = new Set();
    for (let id = samples[i]; id !== undefined; id = parent.get(id)) {
      const frame = byId.get(id).callFrame;
      const area = areaOf(frame);
      if (!area.startsWith('toolgate ') && !area.startsWith('sdk ')) continue;
      const key = label(frame);
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + dt);
    }
  }
  let total = 0;
  const byArea = new Map();
  const byFunction = new Map();
  for (const node of nodes) {
    const us = self.get(node.id) ?? 0;
    if (us === 0) continue;
    const area = areaOf(node.callFrame);
    if (area === '(idle)') continue;
    total += us;
    byArea.set(area, (byArea.get(area) ?? 0) + us);
    const fn = label(node.callFrame);
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
  }
  const top = (map, count) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, count)
      .map(([k, us]) => `  ${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${k}`);
  return [
    `busy main thread sampled: ${(total / 1000).toFixed(0)} ms (idle excluded; wall-clock samples, so a native call includes time the thread waited for a CPU); self time by area:`,
    ...top(byArea, 30),
    '',
    'top functions by self time:',
    ...top(byFunction, 30),
    '',
    'toolgate and SDK functions by inclusive time (synchronous part):',
    ...top(inclusive, 30),
  ];
}

function areaOf(frame) {
  const { url, functionName } = frame;
  if (!url) {
    if (functionName === '(idle)') return '(idle)';
    if (functionName === '(garbage collector)') return '(garbage collector)';
    if (functionName === '(program)') return '(program: native, not JS)';
    return `(native) ${functionName}`;
  }
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/');
    const pkg = rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
    if (pkg === '@modelcontextprotocol/sdk') return `sdk ${rest.slice(4).join('/')}`; // dist/esm/<area>/<file>
    return pkg;
  }
  const dist = url.indexOf('/dist/');
  if (dist >= 0 && url.includes(ROOT.replace(/\/$/, ''))) return `toolgate ${url.slice(dist + 1)}`;
  if (url.startsWith('node:')) return `node ${url.split('/').slice(0, 3).join('/')}`;
  return url;
}

function shortUrl(url) {
  if (!url) return '';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) return url.slice(nm + '/node_modules/'.length);
  const dist = url.indexOf('/dist/');
  return dist >= 0 ? url.slice(dist + 1) : url.replace(/^file:\/\//, '');
}
