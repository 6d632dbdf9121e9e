// Micro-benchmarks, each in its own process: bench/policy.mjs, bench/receipts.mjs and bench/log.mjs (when present), results parsed.
// Run alone after a build: `node bench/micro.mjs [--quick]`; bench/run.mjs runs it too.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCH = fileURLToPath(new URL('.', import.meta.url));
const TIMEOUT_MS = 150_000;

function runScript(file, args, env) {
  return new Promise((resolve) => {
    const started = Date.now();
    execFile(
      process.execPath,
      [join(BENCH, file), ...args],
      { env: { ...process.env, ...env }, timeout: TIMEOUT_MS, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => resolve({ error, stdout, stderr, seconds: (Date.now() - started) / 1000 }),
    );
  });
}

function failure(file, r) {
  const why = r.error?.killed ? `killed after ${TIMEOUT_MS / 1000} s` : (r.stderr.trim().split('\n').pop() ?? r.error?.message);
  return { ok: false, error: `${file}: ${why}` };
}

// policy.mjs prints a table: rules, parse+compile ms, p50 µs, p99 µs, p50 vs 10 rules.
function parsePolicy(stdout) {
  const rows = [];
  for (const line of stdout.split('\n')) {
    const m = /^(\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)×\s*$/.exec(line.trim());
    if (m) rows.push({ rules: Number(m[1]), compile_ms: Number(m[2]), p50_us: Number(m[3]), p99_us: Number(m[4]), p50_vs_10: Number(m[5]) });
  }
  return rows;
}

/**
 * Runs the micro-benchmarks one after another. `quick` shortens the receipts and log runs.
 * Resolves `{ policy, receipts, log }`, each `{ ok, ... }`; a failed or missing one says why.
 */
export async function runMicro({ quick = false, onStart = () => {} } = {}) {
  const out = {};

  onStart('policy.mjs');
  const p = await runScript('policy.mjs', [], {});
  if (p.error) out.policy = failure('policy.mjs', p);
  else {
    const rows = parsePolicy(p.stdout);
    out.policy = rows.length === 3 ? { ok: true, seconds: p.seconds, rows } : { ok: false, error: 'policy.mjs: output not understood', raw: p.stdout };
  }

  onStart('receipts.mjs');
  const r = await runScript('receipts.mjs', ['--json'], { BENCH_ITERATIONS: quick ? '2000' : process.env.BENCH_ITERATIONS ?? '10000' });
  if (r.error) out.receipts = failure('receipts.mjs', r);
  else {
    try {
      out.receipts = { ok: true, seconds: r.seconds, ...JSON.parse(r.stdout) };
    } catch {
      out.receipts = { ok: false, error: 'receipts.mjs: output is not JSON', raw: r.stdout.slice(0, 2000) };
    }
  }

  if (!existsSync(join(BENCH, 'log.mjs'))) out.log = { ok: false, error: 'bench/log.mjs is not there (yet)' };
  else {
    onStart('log.mjs');
    const env = {
      BENCH_LOG_LINES: process.env.BENCH_LOG_LINES ?? (quick ? '20000' : '200000'),
      BENCH_APPENDS: process.env.BENCH_APPENDS ?? (quick ? '300' : '2000'),
    };
    const l = await runScript('log.mjs', ['--json'], env);
    if (l.error) out.log = failure('log.mjs', l);
    else {
      try {
        out.log = { ok: true, seconds: l.seconds, env, results: JSON.parse(l.stdout) };
      } catch {
        out.log = { ok: false, error: 'log.mjs: output is not JSON', raw: l.stdout.slice(0, 2000) };
      }
    }
  }
  return out;
}

/** Readable lines for the micro-benchmark results. */
export function microLines(micro) {
  const lines = [];
  if (micro.policy?.ok) {
    lines.push('policy evaluate (µs per decision)   rules   p50     p99     p50 vs 10 rules');
    for (const row of micro.policy.rows) {
      lines.push(`                                    ${String(row.rules).padStart(5)}   ${row.p50_us.toFixed(2).padStart(5)}   ${row.p99_us.toFixed(2).padStart(5)}   ${row.p50_vs_10.toFixed(2)}×`);
    }
  } else lines.push(`policy: FAILED: ${micro.policy?.error}`);
  if (micro.receipts?.ok) {
    lines.push('receipts (µs per operation)                                     median      p99');
    for (const res of micro.receipts.results) lines.push(`  ${res.name.padEnd(60)} ${String(res.median_us).padStart(8)} ${String(res.p99_us).padStart(8)}`);
  } else lines.push(`receipts: FAILED: ${micro.receipts?.error}`);
  if (micro.log?.ok) {
    const r = micro.log.results;
    if (r.append_serial) lines.push(`log append, one at a time (write + fsync):   median ${r.append_serial.median_us} µs, p99 ${r.append_serial.p99_us} µs`);
    for (const key of Object.keys(r).filter((k) => k.startsWith('append_concurrent_'))) {
      const c = r[key];
      lines.push(`log append, ${String(c.callers).padStart(2)} callers (group commit):    ${c.amortized_us_per_append} µs amortized, median latency ${c.median_latency_us} µs, ${c.appends_per_fsync} appends/fsync`);
    }
    if (r.verify) lines.push(`logs verify: ${r.verify.lines_per_second.toLocaleString('en')} lines/s (${r.verify.mib_per_second} MiB/s) on ${r.verify.lines.toLocaleString('en')} lines`);
  } else lines.push(`log: ${micro.log?.error}`);
  return lines;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const micro = await runMicro({ quick: process.argv.includes('--quick'), onStart: (f) => process.stderr.write(`running ${f}...\n`) });
  if (process.argv.includes('--json')) console.log(JSON.stringify(micro, null, 2));
  else console.log(microLines(micro).join('\n'));
}
