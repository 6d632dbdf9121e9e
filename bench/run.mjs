// `npm run bench`: starts every target, alternates rounds of each scenario between them, checks every result,
// runs the micro-benchmarks, prints tables of ratios against direct and which targets are met, writes bench/results/latest.json.
// Flags: --quick (a short smoke run), --no-micro, --only-micro. Needs a build (`npm run bench` does it).
import { constants, existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, freemem, platform, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createLocalJWKSet } from 'jose';
import { runMicro, microLines } from './micro.mjs';
import { descendants, killAll, memoryKiB, stop } from './procs.mjs';
import { floorLines, floors, goals, rounded, summarize, tables, withRatios } from './report.mjs';
import { alternate, blobs, concurrent, makeDriver, sequential } from './scenarios.mjs';
import { latencySummary } from './stats.mjs';
import * as targets from './targets.mjs';

const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick');
const MICRO = !argv.includes('--no-micro');
const E2E = !argv.includes('--only-micro');
/** Whole-run limit: past it, everything started is stopped and the run fails. */
const RUN_LIMIT_MS = 9 * 60_000;
const BLOB_BYTES = 64 * 1024;

/** How much of each scenario; rounds alternate between targets. */
const PLAN = QUICK
  ? { warmup: 50, seqRounds: 2, seqCalls: 50, concRounds: 2, concMs: 300, blobRounds: 2, blobCalls: 10, idleSessions: 20 }
  : { warmup: 300, seqRounds: 8, seqCalls: 150, concRounds: 6, concMs: 700, blobRounds: 6, blobCalls: 40, idleSessions: 100 };

const say = (line) => process.stderr.write(`${line}\n`);

if (!existsSync(new URL('../dist/cli/main.js', import.meta.url))) {
  say('bench: dist/ is missing; run `npm run bench` (it builds first) or `npx tsc -p tsconfig.build.json`');
  process.exit(2);
}

let cleaning;
const cleanup = () => (cleaning ??= killAll());
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => {
    say(`bench: ${sig}, stopping every process it started`);
    void cleanup().finally(() => process.exit(130));
  });
}
const watchdog = setTimeout(() => {
  say(`bench: over the ${RUN_LIMIT_MS / 60_000}-minute limit, stopping`);
  void cleanup().finally(() => process.exit(1));
}, RUN_LIMIT_MS);

const started = Date.now();
const dir = await mkdtemp(join(tmpdir(), 'toolgate-bench-'));
let exitCode = 0;
try {
  const result = { date: new Date().toISOString(), machine: machine(), plan: PLAN, quick: QUICK };
  result.machine.fdatasync_at_start = await syncFloor(dir);
  if (E2E) Object.assign(result, await endToEnd());
  if (MICRO) {
    say('micro-benchmarks...');
    result.micro = await runMicro({ quick: QUICK, onStart: (f) => say(`  ${f}`) });
  }
  result.seconds = Math.round((Date.now() - started) / 1000);
  result.machine.loadavg_at_end = loadavg();
  result.machine.fdatasync_at_end = await syncFloor(dir);
  result.floors = E2E && result.rows ? floors({ rows: result.rows, machine: result.machine }) : [];
  result.goals = E2E && MICRO ? goals({ rows: result.rows, idle: result.idle, micro: result.micro, checks: result.checks }) : [];
  print(result);
  const resultsDir = new URL('./results/', import.meta.url);
  await mkdir(resultsDir, { recursive: true });
  await writeFile(new URL('latest.json', resultsDir), `${JSON.stringify(rounded(result), null, 2)}\n`);
  say(`\nwritten: bench/results/latest.json (${result.seconds} s in all)`);
  if (E2E && !result.checks.ok) exitCode = 1;
} catch (e) {
  say(`bench: failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  exitCode = 1;
} finally {
  await cleanup();
  clearTimeout(watchdog);
  await rm(dir, { recursive: true, force: true });
}
process.exit(exitCode);

async function endToEnd() {
  const keys = await targets.makeKeys(dir);
  const jwks = JSON.parse(await readFile(keys.jwks, 'utf8'));
  say('starting targets...');
  const up = [];
  const failed = [];
  const start = async (label, fn) => {
    try {
      up.push(await fn());
      say(`  ${label}: up`);
    } catch (e) {
      failed.push({ label, error: oneLine(e) });
      say(`  ${label}: FAILED: ${oneLine(e)}`);
    }
  };
  await start('direct stdio', () => targets.directStdio());
  await start('direct Streamable HTTP', () => targets.directHttp());
  const directHttp = up.find((t) => t.id === 'direct-http');
  await start('toolgate stdio→stdio', () => targets.toolgateStdio(join(dir, 'tg-stdio-stdio'), keys.key));
  await start('toolgate HTTP→stdio', () =>
    targets.toolgateHttp(join(dir, 'tg-http-stdio'), keys.key, { id: 'toolgate-http-stdio', label: 'toolgate HTTP→stdio', upstreams: { echo: targets.stdioEcho() } }),
  );
  if (directHttp) {
    await start('toolgate HTTP→HTTP', () =>
      targets.toolgateHttp(join(dir, 'tg-http-http'), keys.key, { id: 'toolgate-http-http', label: 'toolgate HTTP→HTTP', upstreams: { echo: targets.httpEcho(directHttp.url) } }),
    );
  } else failed.push({ label: 'toolgate HTTP→HTTP', error: 'no direct HTTP echo server to front' });
  await start('mcp-proxy', () => targets.mcpProxy());
  await start('supergateway', () => targets.supergateway());

  say('opening callers (16 HTTP sessions per HTTP target)...');
  const drivers = [];
  for (const t of up) {
    try {
      drivers.push(makeDriver(t, await t.open(t.transport === 'http' ? 16 : 1)));
    } catch (e) {
      failed.push({ label: t.label, error: `opening sessions: ${oneLine(e)}` });
    }
  }

  say('warming up...');
  for (const d of drivers) {
    await sequential(d, 'warmup', PLAN.warmup);
    await concurrent(d, 'warmup', 16, PLAN.concMs / 2);
    await blobs(d, 'warmup', 5, BLOB_BYTES);
  }
  const receiptChecks = [];
  const checkReceipts = async () => receiptChecks.push(...(await verifyReceipts(drivers, jwks)));
  say(`sequential: ${PLAN.seqRounds} rounds × ${PLAN.seqCalls} calls per target...`);
  await alternate(drivers, PLAN.seqRounds, (d) => sequential(d, 'seq', PLAN.seqCalls));
  await checkReceipts();
  for (const callers of [4, 16]) {
    say(`${callers} concurrent callers: ${PLAN.concRounds} rounds × ${PLAN.concMs} ms per target...`);
    await alternate(drivers, PLAN.concRounds, (d) => concurrent(d, `c${callers}`, callers, PLAN.concMs));
    await checkReceipts();
  }
  say(`64 KiB results: ${PLAN.blobRounds} rounds × ${PLAN.blobCalls} calls per target...`);
  await alternate(drivers, PLAN.blobRounds, (d) => blobs(d, 'blob', PLAN.blobCalls, BLOB_BYTES));
  await checkReceipts();

  const memory = new Map(drivers.map((d) => [d.target.id, treeMemory(d.target.front)]));
  const rows = withRatios(drivers.map((d) => summarize(d, memory.get(d.target.id))));

  say('stopping targets, verifying decision logs...');
  for (const t of up) await t.close().catch(() => undefined);
  for (const t of up) if (t.proc) await stop(t.proc);
  const logChecks = [];
  for (const d of drivers.filter((x) => x.target.workspace)) logChecks.push(await checkLog(d, jwks));

  say(`${PLAN.idleSessions} idle HTTP sessions on a toolgate with 3 upstreams...`);
  const idle = await idleSessions(keys.key);

  const problems = [
    ...rows.filter((r) => r.errors > 0).map((r) => `${r.label}: ${r.errors} failed calls (${r.first_error})`),
    ...failed.map((f) => `${f.label}: not run (${f.error})`),
    ...receiptChecks.filter((c) => !c.ok).map((c) => `${c.label}: receipt refused: ${c.error}`),
    ...logChecks.filter((c) => !c.ok).map((c) => `${c.label}: decision log: ${c.error}`),
    ...(idle.ok ? [] : [`idle sessions: ${idle.error}`]),
  ];
  const calls = rows.reduce((n, r) => n + r.calls_ok, 0);
  const checks = {
    ok: problems.length === 0,
    detail:
      problems.length === 0
        ? `${calls} calls checked, ${receiptChecks.length} receipts verified, ${logChecks.length} decision logs verified`
        : problems.join('; '),
    problems,
    receipts_verified: receiptChecks.filter((c) => c.ok).length,
    logs: logChecks,
  };
  return { rows, failed, idle, checks };
}

// Verifies the receipts sampled since the last check: signature, issuer, audience, tool, args hash, expiry.
async function verifyReceipts(drivers, jwks) {
  const { verifyReceiptToken } = await import('../dist/receipts/verify.js');
  const { argsSha256 } = await import('../dist/receipts/digest.js');
  const keys = createLocalJWKSet(jwks);
  const out = [];
  for (const d of drivers) {
    for (const r of d.receipts.splice(0)) {
      try {
        await verifyReceiptToken(r.token, { keys, issuer: 'bench-gateway', audience: d.target.upstreamName, tool: r.tool, argsSha256: argsSha256(r.args) });
        out.push({ label: d.target.label, ok: true });
      } catch (e) {
        out.push({ label: d.target.label, ok: false, error: oneLine(e) });
      }
    }
  }
  return out;
}

// After the gateway stopped: the chain and checkpoint signatures verify, the log was closed, and it
// holds an allow decision (with a receipt) for every call the client saw succeed, and no other decision.
async function checkLog(d, jwks) {
  const { verifyLog } = await import('../dist/log/verify.js');
  const label = d.target.label;
  const path = d.target.workspace.logFile;
  try {
    const v = await verifyLog(path, { jwks });
    if (!v.ok) return { label, ok: false, error: `${v.firstBad.reason} at line ${v.firstBad.line}: ${v.firstBad.message}` };
    let allowed = 0;
    let other = 0;
    let outcomes = 0;
    for (const line of readFileSync(path, 'utf8').split('\n')) {
      if (!line) continue;
      const entry = JSON.parse(line);
      if (entry.type === 'decision') {
        if (entry.decision === 'allow' && typeof entry.receipt === 'string') allowed += 1;
        else other += 1;
      } else if (entry.type === 'outcome') outcomes += 1;
    }
    const summary = { lines: v.lines, checkpoints: v.checkpoints, closed: v.closed, allowed, other, outcomes };
    if (!v.closed) return { label, ok: false, error: 'the log was not closed cleanly', ...summary };
    if (allowed < d.ok) return { label, ok: false, error: `${allowed} allow decisions for ${d.ok} successful calls`, ...summary };
    if (other > 0) return { label, ok: false, error: `${other} decisions other than allow`, ...summary };
    return { label, ok: true, ...summary };
  } catch (e) {
    return { label, ok: false, error: oneLine(e) };
  }
}

// toolgate fronting 3 stdio echo servers, with `idleSessions` SDK clients that only initialized.
async function idleSessions(key) {
  let t;
  const clients = [];
  try {
    t = await targets.toolgateHttp(join(dir, 'tg-idle'), key, {
      id: 'toolgate-idle',
      label: 'toolgate, 3 upstreams',
      upstreams: { e1: targets.stdioEcho(), e2: targets.stdioEcho(), e3: targets.stdioEcho() },
    });
    const first = await targets.httpClient(t.url);
    clients.push(first);
    for (const up of ['e1', 'e2', 'e3']) {
      const r = await first.callTool({ name: `${up}__echo`, arguments: { text: up } });
      if (r.content?.[0]?.text !== up || !r._meta?.['toolgate/receipt']) throw new Error(`${up}__echo did not answer as expected`);
    }
    await settle();
    const base = memoryKiB(t.front);
    for (let i = 1; i < PLAN.idleSessions; i += 10) {
      const batch = Math.min(10, PLAN.idleSessions - i);
      clients.push(...(await Promise.all(Array.from({ length: batch }, () => targets.httpClient(t.url)))));
    }
    await settle();
    const after = memoryKiB(t.front);
    return { ok: true, sessions: clients.length, upstreams: 3, baseRssKiB: base.rss, rssKiB: after.rss, hwmKiB: after.hwm };
  } catch (e) {
    return { ok: false, error: oneLine(e) };
  } finally {
    await Promise.allSettled(clients.map((c) => c.close()));
    if (t?.proc) await stop(t.proc);
  }
}

function settle() {
  return new Promise((r) => setTimeout(r, 1500));
}

// RSS of a process, and of it with every process below it (upstreams it started).
function treeMemory(pid) {
  try {
    const own = memoryKiB(pid);
    let treeRss = own.rss;
    for (const child of descendants(pid)) {
      try {
        treeRss += memoryKiB(child).rss;
      } catch {
        // gone
      }
    }
    return { rss: own.rss, hwm: own.hwm, treeRss };
  } catch {
    return { rss: NaN, hwm: NaN, treeRss: NaN };
  }
}

function machine() {
  const cpu = cpus();
  return {
    cores: cpu.length,
    cpu: cpu[0]?.model ?? 'unknown',
    memory_gib: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    free_gib: Math.round((freemem() / 2 ** 30) * 10) / 10,
    loadavg_at_start: loadavg(),
    platform: `${platform()} ${release()}`,
    node: process.version,
  };
}

// What one durable 600-byte append costs in the temp dir now (ms), written as the decision log writes
// (O_DSYNC, one write): the floor under every toolgate call, since a decision is on disk before the
// call goes on; other writers on the disk raise it.
async function syncFloor(where) {
  const handle = await open(join(where, 'sync-probe'), constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | (constants.O_DSYNC ?? 0));
  const line = Buffer.from(`${'x'.repeat(599)}\n`);
  const samples = [];
  try {
    for (let i = 0; i < 60; i += 1) {
      const start = performance.now();
      await handle.write(line);
      if (constants.O_DSYNC === undefined) await handle.datasync();
      if (i >= 10) samples.push(performance.now() - start);
    }
  } finally {
    await handle.close();
  }
  const s = latencySummary(samples);
  return { p50_ms: s.p50, p90_ms: s.p90 };
}

// 1, 5 and 15-minute load averages: other work on the machine skews every number.
function loadavg() {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);
  } catch {
    return null;
  }
}

function print(result) {
  const m = result.machine;
  const out = [];
  out.push('');
  out.push(`toolgate bench, ${result.date}${result.quick ? ' (QUICK: too short to judge)' : ''}`);
  out.push(`${m.cores} cores (${m.cpu}), ${m.memory_gib} GiB, ${m.platform}, node ${m.node}, load average at start ${m.loadavg_at_start?.join(' ') ?? '?'}, at end ${m.loadavg_at_end?.join(' ') ?? '?'}`);
  const sync = (f) => (f ? `p50 ${f.p50_ms.toFixed(2)} ms, p90 ${f.p90_ms.toFixed(2)} ms` : '?');
  out.push(`durable append (O_DSYNC) in the temp dir, the floor under each toolgate call: at start ${sync(m.fdatasync_at_start)}; at end ${sync(m.fdatasync_at_end)}`);
  out.push('every toolgate call: policy (rules with conditions), an EdDSA receipt, and a hash-chained, fsync\'d decision log line');
  out.push('');
  if (result.rows) {
    out.push(...tables(result.rows, result.failed));
    out.push('');
    const idle = result.idle;
    out.push(
      idle?.ok
        ? `idle: toolgate with 3 stdio upstreams and ${idle.sessions} idle HTTP sessions: RSS ${(idle.rssKiB / 1024).toFixed(1)} MiB (${(idle.baseRssKiB / 1024).toFixed(1)} MiB with one session, peak ${(idle.hwmKiB / 1024).toFixed(1)} MiB)`
        : `idle sessions: FAILED: ${idle?.error}`,
    );
    out.push(`checks: ${result.checks.ok ? 'OK' : 'PROBLEMS'}: ${result.checks.detail}`);
    out.push('');
  }
  if (result.micro) {
    out.push(...microLines(result.micro));
    out.push('');
  }
  if (result.goals.length > 0) {
    const met = result.goals.filter((g) => g.met).length;
    out.push(`Targets (issue 9): ${met} of ${result.goals.length} met`);
    for (const g of result.goals) out.push(`  ${g.met ? 'MET    ' : 'NOT MET'}  ${g.name}: ${g.detail}`);
  }
  if (result.floors?.length > 0) {
    out.push('');
    out.push(...floorLines(result.floors));
  }
  console.log(out.join('\n'));
}

function oneLine(e) {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0].slice(0, 300);
}
