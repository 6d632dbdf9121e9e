// Decision log costs: `logs verify` throughput on a 1,000,000-line log, and the per-call cost of an append
// (write + fsync alone, and with concurrent appends sharing one write + fsync).
// Run after a build: `npx tsc -p tsconfig.build.json && node bench/log.mjs [--json]`.
// BENCH_LOG_LINES (default 1,000,000), BENCH_APPENDS (default 2,000), BENCH_DIR (default the OS temp dir).
import { performance } from 'node:perf_hooks';
import { open, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompactSign, exportJWK, generateKeyPair } from 'jose';
import { GENESIS, sealLine } from '../dist/log/chain.js';
import { checkpointPayload } from '../dist/log/lines.js';
import { openDecisionLog } from '../dist/log/decisions.js';
import { verifyLog } from '../dist/log/verify.js';

const LINES = Number(process.env.BENCH_LOG_LINES ?? 1_000_000);
const APPENDS = Number(process.env.BENCH_APPENDS ?? 2_000);
const EVERY = 1000;
const json = process.argv.includes('--json');

const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'bench', alg: 'EdDSA' }] };
const signer = {
  kid: 'bench',
  signPayload: (p) => new CompactSign(new TextEncoder().encode(JSON.stringify(p))).setProtectedHeader({ alg: 'EdDSA', kid: 'bench' }).sign(privateKey),
};

// A decision as the gateway logs it: a path, some options, a short text body (about 600 bytes a line).
function decision(n) {
  return {
    type: 'decision',
    level: 30,
    msg: 'decision',
    time: new Date(Date.UTC(2026, 0, 1) + n).toISOString(),
    id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    session: 'session-1',
    principal: n % 3 === 0 ? 'alice' : 'bob',
    server: 'filesystem',
    tool: n % 2 === 0 ? 'read_text_file' : 'write_file',
    args: { path: `./sandbox/reports/${n}.md`, options: { encoding: 'utf8', createDirs: true }, content: 'Quarterly summary '.repeat(8), token: '[redacted]' },
    args_sha256: 'c'.repeat(64),
    decision: n % 10 === 0 ? 'deny' : 'allow',
    rules: ['read-sandbox'],
    reasons: ['reads inside the sandbox'],
    receipt: n % 10 === 0 ? null : `jti-${n}`,
    outcome: null,
    latency_ms: null,
  };
}

// Writes a log the way the writer lays it out (open checkpoint, a checkpoint every EVERY lines,
// closing checkpoint), straight from sealLine: generating 1M lines through fsync'd appends would
// measure the disk, not the verifier.
async function generate(path, lines) {
  const handle = await open(path, 'w');
  let head = GENESIS;
  let count = 0;
  let unsealed = 0;
  let parts = [];
  const push = (body) => {
    const sealed = sealLine(body, head);
    parts.push(sealed.text, '\n');
    head = sealed.hash;
    count++;
  };
  const checkpoint = async (trigger) => {
    const time = new Date(Date.UTC(2026, 0, 1) + count).toISOString();
    const payload = checkpointPayload(count, head, time, trigger);
    push({ type: 'checkpoint', level: 30, msg: 'checkpoint', time, lines: count, head, trigger, kid: 'bench', sig: await signer.signPayload({ ...payload }) });
    unsealed = 0;
  };
  await checkpoint('open');
  for (let n = 0; count < lines - 1; n++) {
    push(decision(n));
    if (++unsealed >= EVERY && count < lines - 1) await checkpoint('every');
    if (parts.length > 20_000) {
      await handle.write(parts.join(''));
      parts = [];
    }
  }
  await checkpoint('close');
  await handle.write(parts.join(''));
  await handle.close();
  return count;
}

function quantile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}
const round = (n, d = 1) => Math.round(n * 10 ** d) / 10 ** d;

const dir = await mkdtemp(join(process.env.BENCH_DIR ?? tmpdir(), 'toolgate-bench-log-'));
const results = {};
try {
  // 1. verify throughput
  const path = join(dir, 'big.jsonl');
  const generated = await generate(path, LINES);
  const bytes = (await stat(path)).size;
  const runs = [];
  for (let i = 0; i < 3; i++) {
    const start = performance.now();
    const result = await verifyLog(path, { jwks });
    const seconds = (performance.now() - start) / 1000;
    if (!result.ok) throw new Error(`bench log did not verify: ${JSON.stringify(result.firstBad)}`);
    runs.push(seconds);
  }
  runs.sort((a, b) => a - b);
  const median = runs[1];
  results.verify = {
    lines: generated,
    bytes,
    avg_line_bytes: Math.round(bytes / generated),
    seconds_median: round(median, 2),
    lines_per_second: Math.round(generated / median),
    mib_per_second: round(bytes / median / 1048576),
  };
  await rm(path);

  // 2. append, one at a time: every call pays its own write + fsync
  const serialPath = join(dir, 'serial.jsonl');
  const serial = await openDecisionLog({ path: serialPath, redact: ['args.token'], checkpoint: { every: EVERY, intervalMs: 60_000 }, signer });
  const samples = new Float64Array(APPENDS);
  const args = decision(0).args;
  for (let i = 0; i < APPENDS; i++) {
    const entry = { ...decision(i), args };
    const start = performance.now();
    await serial.append(entry);
    samples[i] = (performance.now() - start) * 1000;
  }
  await serial.close();
  samples.sort();
  results.append_serial = {
    appends: APPENDS,
    median_us: round(quantile(samples, 0.5)),
    p99_us: round(quantile(samples, 0.99)),
    appends_per_second: Math.round(1e6 / (samples.reduce((a, b) => a + b, 0) / APPENDS)),
  };

  // 3. append, 64 callers at once (the gateway under load): appends share write + fsync rounds
  for (const callers of [8, 64]) {
    const concPath = join(dir, `concurrent-${callers}.jsonl`);
    const log = await openDecisionLog({ path: concPath, redact: ['args.token'], checkpoint: { every: EVERY, intervalMs: 60_000 }, signer });
    const before = log.stats().commits;
    const per = Math.ceil((APPENDS * 4) / callers);
    const latencies = [];
    const start = performance.now();
    await Promise.all(
      Array.from({ length: callers }, async (_, c) => {
        for (let i = 0; i < per; i++) {
          const t = performance.now();
          await log.append({ ...decision(c * per + i), args });
          latencies.push((performance.now() - t) * 1000);
        }
      }),
    );
    const seconds = (performance.now() - start) / 1000;
    const commits = log.stats().commits - before;
    await log.close();
    latencies.sort((a, b) => a - b);
    const total = callers * per;
    results[`append_concurrent_${callers}`] = {
      appends: total,
      callers,
      amortized_us_per_append: round((seconds * 1e6) / total),
      appends_per_second: Math.round(total / seconds),
      median_latency_us: round(quantile(latencies, 0.5)),
      p99_latency_us: round(quantile(latencies, 0.99)),
      appends_per_fsync: round(total / commits),
    };
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}

if (json) {
  console.log(JSON.stringify(results, null, 2));
} else {
  const v = results.verify;
  console.log(`logs verify: ${v.lines.toLocaleString('en')} lines (${(v.bytes / 1048576).toFixed(0)} MiB, ${v.avg_line_bytes} B/line) in ${v.seconds_median} s = ${v.lines_per_second.toLocaleString('en')} lines/s (${v.mib_per_second} MiB/s)`);
  const s = results.append_serial;
  console.log(`append, one at a time (write + fsync each): median ${s.median_us} µs, p99 ${s.p99_us} µs, ${s.appends_per_second} appends/s`);
  for (const key of Object.keys(results).filter((k) => k.startsWith('append_concurrent_'))) {
    const c = results[key];
    console.log(
      `append, ${c.callers} callers at once (group commit): ${c.amortized_us_per_append} µs per append amortized, ${c.appends_per_second} appends/s, ` +
        `${c.appends_per_fsync} appends per fsync, latency median ${c.median_latency_us} µs, p99 ${c.p99_latency_us} µs`,
    );
  }
}
