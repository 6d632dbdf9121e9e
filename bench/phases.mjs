// Phases of one tools/call inside toolgate, timed in process: handleToolCall driven directly (no downstream transport)
// with the gateway's signer, decision log, pin guard and upstream client wrapped in timers, against a stdio echo upstream.
// Phases may overlap (the decision line is written while the receipt is signed), so they need not add up to the whole.
// Run after a build: `node bench/phases.mjs [--calls N]`. It uses dist/ internals (startGateway,
// createSession, handleToolCall, Gateway fields), so a refactor there may need a line changed here.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { latencySummary } from './stats.mjs';
import { makeKeys, makeWorkspace, stdioEcho } from './targets.mjs';

const { loadConfig } = await import('../dist/config/load.js');
const { startGateway } = await import('../dist/gateway/start.js');
const { createSession } = await import('../dist/gateway/server.js');
const { handleToolCall } = await import('../dist/gateway/call.js');

process.env.TOOLGATE_LOG_LEVEL ??= 'warn'; // the gateway's own start-up lines would interleave with the table
const i = process.argv.indexOf('--calls');
const CALLS = i >= 0 ? Number(process.argv[i + 1]) : 3000;
const WARMUP = 300;

const dir = await mkdtemp(join(tmpdir(), 'toolgate-phases-'));
let running;
try {
  const keys = await makeKeys(dir);
  const ws = await makeWorkspace(join(dir, 'ws'), { listen: 'stdio', upstreams: { echo: stdioEcho() }, key: keys.key });
  running = await startGateway(await loadConfig(ws.config), { watchPolicy: false });
  const gw = running.gateway;
  const session = createSession(gw, 'phases', gw.config.gateway.principal);

  const times = new Map();
  const wrap = (obj, name, label) => {
    if (typeof obj?.[name] !== 'function') {
      console.log(`(not timed: ${label}: no such method in this build)`);
      return;
    }
    const original = obj[name].bind(obj);
    const samples = [];
    times.set(label, samples);
    obj[name] = async (...args) => {
      const start = performance.now();
      try {
        return await original(...args);
      } finally {
        samples.push(performance.now() - start);
      }
    };
  };
  wrap(gw.pins, 'isHeld', 'pins.isHeld');
  wrap(gw.signer, 'sign', 'signer.sign (receipt)');
  wrap(gw.log, 'append', 'log.append (decision line, on disk when it resolves)');
  wrap(gw.pool, 'request', 'pool.request (upstream stdio round trip)');

  const total = [];
  let cpu0;
  for (let n = 0; n < WARMUP + CALLS; n += 1) {
    if (n === WARMUP) {
      for (const samples of times.values()) samples.length = 0;
      cpu0 = process.cpuUsage();
    }
    const text = `phase ${n}`;
    const start = performance.now();
    const r = await handleToolCall(gw, session, { name: 'echo', arguments: { text } });
    if (n >= WARMUP) total.push(performance.now() - start);
    if (r.content?.[0]?.text !== text || typeof r._meta?.['toolgate/receipt'] !== 'string') throw new Error(`wrong result for call ${n}`);
  }
  const cpu = process.cpuUsage(cpu0);
  times.set('handleToolCall, whole', total);

  console.log(`handleToolCall in process, ${CALLS} sequential echo calls (ms)`);
  const width = Math.max(...[...times.keys()].map((k) => k.length));
  for (const [label, samples] of times) {
    const s = latencySummary(samples);
    const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
    console.log(`  ${label.padEnd(width)}  p50 ${s.p50.toFixed(3)}  p90 ${s.p90.toFixed(3)}  p99 ${s.p99.toFixed(3)}  mean ${mean.toFixed(3)}`);
  }
  console.log(`  this process's CPU per call (gateway side plus the SDK upstream client): user ${Math.round(cpu.user / CALLS)} µs, system ${Math.round(cpu.system / CALLS)} µs`);
} finally {
  await running?.close();
  await rm(dir, { recursive: true, force: true });
}
