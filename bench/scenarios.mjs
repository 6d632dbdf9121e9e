// The client-side scenarios: sequential calls, N concurrent callers, 64 KiB results; every result checked, rounds alternated between targets.
import { performance } from 'node:perf_hooks';
import { cpuMicros } from './procs.mjs';
import { blobOf } from './servers/blob.mjs';

/** Where toolgate puts the receipt in a result. */
export const RECEIPT_META = 'toolgate/receipt';
const JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const CALL_TIMEOUT_MS = 15_000;
/** A target with this many failed calls is dropped from the remaining rounds. */
const MAX_ERRORS = 10;
/** Receipts kept per target and scenario for cryptographic verification after it. */
const MAX_SAMPLES = 40;

/** Call bookkeeping for one target: counts, the first error, sampled receipts, and per-scenario totals. */
export function makeDriver(target, clients) {
  return { target, clients, seq: 0, ok: 0, errors: 0, firstError: null, broken: false, receipts: [], scenarios: {} };
}

function fail(d, message) {
  d.errors += 1;
  d.firstError ??= message;
  if (d.errors >= MAX_ERRORS) d.broken = true;
}

/**
 * One checked tools/call: `echo` with a text unique to this call, or `blob` of `bytes`. Returns the
 * latency in ms, or undefined when the call failed or its result was wrong (then counted).
 */
async function callOnce(d, client, kind, bytes) {
  d.seq += 1;
  const args = kind === 'echo' ? { text: `${d.target.id} call ${d.seq}` } : { bytes };
  const expected = kind === 'echo' ? args.text : blobOf(bytes);
  let result;
  const start = performance.now();
  try {
    result = await client.callTool({ name: d.target.tool(kind), arguments: args }, undefined, { timeout: CALL_TIMEOUT_MS });
  } catch (e) {
    fail(d, `${kind}: ${e instanceof Error ? e.message : String(e)}`.slice(0, 300));
    return undefined;
  }
  const latency = performance.now() - start;
  const problem = checkResult(d, result, expected);
  if (problem) {
    fail(d, `${kind}: ${problem}`);
    return undefined;
  }
  if (d.target.kind === 'toolgate' && d.ok % 53 === 0 && d.receipts.length < MAX_SAMPLES) {
    d.receipts.push({ token: result._meta[RECEIPT_META], tool: kind, args });
  }
  d.ok += 1;
  return latency;
}

function checkResult(d, result, expected) {
  const content = result?.content;
  const first = Array.isArray(content) ? content[0] : undefined;
  if (result?.isError) return `isError result: ${String(first?.text).slice(0, 200)}`;
  if (content.length !== 1 || first?.type !== 'text') return 'result is not one text block';
  if (first.text !== expected) return `wrong text (${first.text.length} chars where ${expected.length} were expected)`;
  if (d.target.kind === 'toolgate') {
    const receipt = result._meta?.[RECEIPT_META];
    if (typeof receipt !== 'string' || !JWS.test(receipt)) return 'no receipt in the result _meta';
  }
  return undefined;
}

function totals(d, name) {
  d.scenarios[name] ??= { latencies: [], calls: 0, elapsedMs: 0, cpuUs: 0, bytes: 0, cpuOk: true };
  return d.scenarios[name];
}

function cpuOf(pid) {
  try {
    return cpuMicros(pid);
  } catch {
    return NaN;
  }
}

// Runs `body` for one round on one target, adding its calls, time and the front process's CPU to the totals.
async function round(d, name, body) {
  const t = totals(d, name);
  const cpu0 = cpuOf(d.target.front);
  const start = performance.now();
  const { latencies, bytes = 0 } = await body();
  t.elapsedMs += performance.now() - start;
  const cpu = cpuOf(d.target.front) - cpu0;
  if (Number.isFinite(cpu)) t.cpuUs += cpu;
  else t.cpuOk = false;
  for (const l of latencies) t.latencies.push(l);
  t.calls += latencies.length;
  t.bytes += bytes;
}

/**
 * Runs `rounds` rounds; in each, every target that still works gets one turn, the order rotating
 * by one each round so no target always follows the same neighbour.
 */
export async function alternate(drivers, rounds, turn) {
  for (let r = 0; r < rounds; r += 1) {
    for (let i = 0; i < drivers.length; i += 1) {
      const d = drivers[(i + r) % drivers.length];
      if (!d.broken) await turn(d, r);
    }
  }
}

/** `count` echo calls one after another on the first caller. */
export function sequential(d, name, count) {
  return round(d, name, async () => {
    const latencies = [];
    for (let i = 0; i < count && !d.broken; i += 1) {
      const l = await callOnce(d, d.clients[0], 'echo');
      if (l !== undefined) latencies.push(l);
    }
    return { latencies };
  });
}

/**
 * `callers` echo loops at once for `durationMs`: separate HTTP sessions, or, on stdio (one
 * connection), concurrent requests on the one client. Each loop stops after `maxCalls`.
 */
export function concurrent(d, name, callers, durationMs, maxCalls = 5000) {
  return round(d, name, async () => {
    const latencies = [];
    const deadline = performance.now() + durationMs;
    const loop = async (client) => {
      for (let i = 0; i < maxCalls && performance.now() < deadline && !d.broken; i += 1) {
        const l = await callOnce(d, client, 'echo');
        if (l !== undefined) latencies.push(l);
      }
    };
    await Promise.all(Array.from({ length: callers }, (_, i) => loop(d.clients[i % d.clients.length])));
    return { latencies };
  });
}

/** `count` blob calls of `bytes` one after another on the first caller. */
export function blobs(d, name, count, bytes) {
  return round(d, name, async () => {
    const latencies = [];
    for (let i = 0; i < count && !d.broken; i += 1) {
      const l = await callOnce(d, d.clients[0], 'blob', bytes);
      if (l !== undefined) latencies.push(l);
    }
    return { latencies, bytes: latencies.length * bytes };
  });
}
