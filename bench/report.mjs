// Turns the benchmark's measurements into rows with ratios, the readable tables, and the issue's targets, met or not.
import { latencySummary, ratio, round } from './stats.mjs';

const MiB = 1024 * 1024;

/** The direct target each target is compared with: the one with the same client transport. */
export function baselineOf(target) {
  return target.transport === 'stdio' ? 'direct-stdio' : 'direct-http';
}

/** One target's numbers from its driver's totals (ms, calls/s, MiB/s, µs, KiB). */
export function summarize(d, memory) {
  const s = d.scenarios;
  const seq = latencySummary(s.seq?.latencies ?? []);
  const conc = (name) => {
    const t = s[name];
    if (!t || t.calls === 0) return { calls: 0, calls_per_s: NaN, p50_ms: NaN, p99_ms: NaN, cpu_us_per_call: NaN };
    const l = latencySummary(t.latencies);
    return {
      calls: t.calls,
      calls_per_s: t.calls / (t.elapsedMs / 1000),
      p50_ms: l.p50,
      p99_ms: l.p99,
      cpu_us_per_call: t.cpuOk ? t.cpuUs / t.calls : NaN,
    };
  };
  const blob = s.blob && s.blob.calls > 0 ? s.blob : undefined;
  return {
    id: d.target.id,
    label: d.target.label,
    kind: d.target.kind,
    transport: d.target.transport,
    baseline: baselineOf(d.target),
    calls_ok: d.ok,
    errors: d.errors,
    first_error: d.firstError,
    seq: {
      calls: seq.n,
      p50_ms: seq.p50,
      p90_ms: seq.p90,
      p99_ms: seq.p99,
      cpu_us_per_call: s.seq?.cpuOk && seq.n > 0 ? s.seq.cpuUs / seq.n : NaN,
    },
    c4: conc('c4'),
    c16: conc('c16'),
    blob: {
      calls: blob?.calls ?? 0,
      mib_per_s: blob ? blob.bytes / MiB / (blob.elapsedMs / 1000) : NaN,
      p50_ms: blob ? latencySummary(blob.latencies).p50 : NaN,
      cpu_us_per_call: blob?.cpuOk ? blob.cpuUs / blob.calls : NaN,
    },
    memory,
  };
}

/** Adds `vs` (ratios against the row's baseline) to each row. */
export function withRatios(rows) {
  const byId = new Map(rows.map((r) => [r.id, r]));
  return rows.map((r) => {
    const b = byId.get(r.baseline);
    return {
      ...r,
      vs: {
        seq_p50: ratio(r.seq.p50_ms, b?.seq.p50_ms),
        seq_p50_added_ms: r.seq.p50_ms - (b?.seq.p50_ms ?? NaN),
        seq_p90: ratio(r.seq.p90_ms, b?.seq.p90_ms),
        seq_p99: ratio(r.seq.p99_ms, b?.seq.p99_ms),
        c4_calls_per_s: ratio(r.c4.calls_per_s, b?.c4.calls_per_s),
        c4_p99: ratio(r.c4.p99_ms, b?.c4.p99_ms),
        c16_calls_per_s: ratio(r.c16.calls_per_s, b?.c16.calls_per_s),
        c16_p99: ratio(r.c16.p99_ms, b?.c16.p99_ms),
        blob_mib_per_s: ratio(r.blob.mib_per_s, b?.blob.mib_per_s),
      },
    };
  });
}

const num = (v, digits = 2) => (Number.isFinite(v) ? v.toFixed(digits) : '–');
const times = (v) => (Number.isFinite(v) ? `${v.toFixed(2)}×` : '–');
const mib = (kib) => (Number.isFinite(kib) ? (kib / 1024).toFixed(1) : '–');

function table(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}

/** The readable tables: latency, concurrency, 64 KiB results, and CPU/RSS, with ratios against direct. */
export function tables(rows, failed) {
  const out = [];
  out.push('Sequential echo calls, one client (ms; × = against direct with the same client transport)');
  out.push(
    ...table(
      ['target', 'calls', 'p50', 'p90', 'p99', 'p50 added', 'p50 ×', 'p90 ×', 'p99 ×'],
      rows.map((r) => [
        r.label,
        r.seq.calls,
        num(r.seq.p50_ms),
        num(r.seq.p90_ms),
        num(r.seq.p99_ms),
        r.kind === 'direct' ? '' : `+${num(r.vs.seq_p50_added_ms)}`,
        times(r.vs.seq_p50),
        times(r.vs.seq_p90),
        times(r.vs.seq_p99),
      ]),
    ),
  );
  out.push('');
  out.push('Concurrent callers (HTTP: one session each; stdio: concurrent requests on the one connection)');
  out.push(
    ...table(
      ['target', '4: calls/s', '×', 'p99 ms', '16: calls/s', '×', 'p99 ms'],
      rows.map((r) => [r.label, num(r.c4.calls_per_s, 0), times(r.vs.c4_calls_per_s), num(r.c4.p99_ms), num(r.c16.calls_per_s, 0), times(r.vs.c16_calls_per_s), num(r.c16.p99_ms)]),
    ),
  );
  out.push('');
  out.push('64 KiB results, and the front process (the gateway or proxy; the echo server itself when direct)');
  out.push(
    ...table(
      ['target', '64K MiB/s', '×', 'p50 ms', 'CPU µs/call seq', 'CPU µs/call 16', 'RSS MiB', 'RSS+children MiB', 'calls ok', 'errors'],
      rows.map((r) => [
        r.label,
        num(r.blob.mib_per_s, 1),
        times(r.vs.blob_mib_per_s),
        num(r.blob.p50_ms),
        num(r.seq.cpu_us_per_call, 0),
        num(r.c16.cpu_us_per_call, 0),
        mib(r.memory?.rss),
        mib(r.memory?.treeRss),
        r.calls_ok,
        r.errors,
      ]),
    ),
  );
  for (const r of rows) if (r.first_error) out.push(`  ${r.label}: first error: ${r.first_error}`);
  for (const f of failed) out.push(`  ${f.label}: NOT RUN: ${f.error}`);
  return out;
}

/**
 * The issue's targets, each `{ name, met, detail }`; `met` is false when a number is missing.
 * `checks` says whether every result, receipt and log was right.
 */
export function goals({ rows, idle, micro, checks }) {
  const byId = new Map(rows.map((r) => [r.id, r]));
  const hs = byId.get('toolgate-http-stdio');
  const ss = byId.get('toolgate-stdio-stdio');
  const proxies = ['mcp-proxy', 'supergateway'].map((id) => byId.get(id));
  const out = [];
  const goal = (name, met, detail) => out.push({ name, met: Boolean(met), detail });
  const lessThan = (a, b) => Number.isFinite(a) && Number.isFinite(b) && a < b;
  const p50 = hs?.vs.seq_p50;
  goal('toolgate HTTP→stdio p50 ≤ 1.15× direct Streamable HTTP', p50 <= 1.15, `${times(p50)} (${num(hs?.seq.p50_ms)} ms)`);
  const c4 = hs?.vs.c4_calls_per_s;
  goal('toolgate HTTP→stdio calls/s at 4 callers ≥ 0.9× direct', c4 >= 0.9, `${times(c4)} (${num(hs?.c4.calls_per_s, 0)} calls/s)`);
  goal(
    'toolgate HTTP→stdio p50 lower than mcp-proxy and supergateway',
    proxies.every((p) => lessThan(hs?.seq.p50_ms, p?.seq.p50_ms)),
    `${num(hs?.seq.p50_ms)} ms vs ${proxies.map((p) => `${p?.label ?? '?'} ${num(p?.seq.p50_ms)} ms`).join(', ')}`,
  );
  goal(
    'toolgate HTTP→stdio calls/s at 4 callers higher than mcp-proxy and supergateway',
    proxies.every((p) => lessThan(p?.c4.calls_per_s, hs?.c4.calls_per_s)),
    `${num(hs?.c4.calls_per_s, 0)} vs ${proxies.map((p) => `${p?.label ?? '?'} ${num(p?.c4.calls_per_s, 0)}`).join(', ')}`,
  );
  const sp = ss?.vs.seq_p50;
  goal('toolgate stdio→stdio p50 ≤ 2× direct stdio', sp <= 2, `${times(sp)} (${num(ss?.seq.p50_ms)} ms)`);
  const policyRows = micro?.policy?.ok ? micro.policy.rows : [];
  const p10 = policyRows.find((r) => r.rules === 10);
  const p10k = policyRows.find((r) => r.rules === 10_000);
  goal('policy evaluation at 10,000 rules ≤ 20 µs p50', p10k?.p50_us <= 20, p10k ? `${p10k.p50_us} µs` : micro?.policy?.error ?? 'not run');
  const growth = ratio(p10k?.p50_us, p10?.p50_us);
  goal('policy evaluation at 10,000 rules ≤ 2× the 10-rule p50', growth <= 2, `${times(growth)} (${p10?.p50_us ?? '–'} → ${p10k?.p50_us ?? '–'} µs)`);
  goal(
    'RSS of toolgate with 3 upstreams and 100 idle HTTP sessions ≤ 150 MiB',
    idle?.ok && idle.rssKiB / 1024 <= 150,
    idle?.ok ? `${mib(idle.rssKiB)} MiB (${mib(idle.baseRssKiB)} MiB before the sessions)` : (idle?.error ?? 'not run'),
  );
  goal('every result checked and right; receipts and decision logs verify', checks.ok, checks.detail);
  return out;
}

/** Rounds every number in a JSON-bound value (3 decimals); NaN becomes null. */
export function rounded(value) {
  if (typeof value === 'number') return Number.isInteger(value) ? value : round(value);
  if (Array.isArray(value)) return value.map(rounded);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rounded(v)]));
  return value;
}

/**
 * About the least a write-ahead gateway can add, from numbers of the same run (an estimate: it
 * assumes the gateway's own front costs what the direct server's does): every call waits for its
 * decision line to reach the disk (the append + fdatasync probe, mean of start and end), and a
 * gateway in front of a stdio upstream adds that hop (a direct stdio round trip). Returns one entry
 * per toolgate target with a stdio upstream: `{ label, floor_ms, floor_x, measured_ms, above_ms }`.
 */
export function floors({ rows, machine }) {
  const byId = new Map(rows.map((r) => [r.id, r]));
  const stdio = byId.get('direct-stdio')?.seq.p50_ms;
  const http = byId.get('direct-http')?.seq.p50_ms;
  const syncs = [machine.fdatasync_at_start?.p50_ms, machine.fdatasync_at_end?.p50_ms].filter(Number.isFinite);
  const sync = syncs.length > 0 ? syncs.reduce((a, b) => a + b, 0) / syncs.length : NaN;
  const out = [];
  for (const [id, front] of [
    ['toolgate-http-stdio', http],
    ['toolgate-stdio-stdio', stdio],
  ]) {
    const row = byId.get(id);
    if (!row) continue;
    const floor = front + stdio + sync;
    out.push({ label: row.label, floor_ms: floor, floor_x: ratio(floor, front), measured_ms: row.seq.p50_ms, above_ms: row.seq.p50_ms - floor });
  }
  return out;
}

/** The floor lines of the printed report. */
export function floorLines(list) {
  if (list.length === 0) return [];
  const out = [
    'Floor estimate for a write-ahead gateway, from this run: the direct target p50 (a front that costs what the direct server costs)',
    '+ a direct stdio round trip p50 (the hop to the upstream) + a durable append p50 (the decision line on disk before forwarding)',
  ];
  for (const f of list) {
    out.push(`  ${f.label}: floor ${num(f.floor_ms)} ms = ${times(f.floor_x)} direct; measured ${num(f.measured_ms)} ms, ${num(f.above_ms)} ms above the floor`);
  }
  return out;
}
