// Policy evaluation cost at 10, 1,000 and 10,000 rules: µs per evaluate(), p50 and p99.
// Run: npx tsc -p tsconfig.build.json && node bench/policy.mjs
import { compilePolicy } from '../dist/policy/compile.js';
import { evaluate } from '../dist/policy/evaluate.js';
import { policyFileSchema } from '../dist/policy/schema.js';

const CALLS = 200_000;
const WARMUP = 20_000;

// N rules spread over servers of 100 tools each; 1 in 10 has an argument condition, 1 in 50 a
// glob tool pattern, and two any-server rules (a deny glob and a challenge) apply to every call.
function policyOf(n) {
  const servers = Math.max(1, Math.ceil(n / 100));
  const rules = [
    { id: 'never-dotenv', effect: 'deny', tools: ['*'], when: { 'args.path': { glob: '**/.env*' } } },
    { id: 'big-amounts', effect: 'challenge', tools: ['*'], when: { 'args.amount': { min: 1000 } } },
  ];
  for (let i = rules.length; i < n; i++) {
    const server = `s${i % servers}`;
    const tool = i % 50 === 0 ? `t${Math.floor(i / servers) % 10}*` : `t${Math.floor(i / servers) % 100}`;
    const rule = { id: `r${i}`, effect: i % 7 === 0 ? 'deny' : 'allow', server, tools: [tool] };
    if (i % 10 === 0) rule.when = { 'args.path': { under: './sandbox' }, 'args.amount': { max: 500 } };
    rules.push(rule);
  }
  const value = policyFileSchema.parse({ version: 1, default: 'deny', rules: rules.slice(0, n) });
  const targets = value.rules.filter((r) => r.server && !r.tools[0].includes('*')).map((r) => [r.server, r.tools[0]]);
  return { compiled: compilePolicy([{ file: `bench-${n}.yaml`, value }], { baseDir: '/base' }), targets };
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function bench(n) {
  const t0 = process.hrtime.bigint();
  const { compiled, targets } = policyOf(n);
  const compileMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const ctx = {
    principal: { id: 'alice', roles: ['dev'] },
    session: 's1',
    now: Date.now(),
    paths: new Map([['args.path', '/base/sandbox/notes.txt']]),
    rateCounts: new Map(),
  };
  // A fixed pseudo-random sequence of calls, each to a (server, tool) some rule names exactly,
  // so every size does the same kind of work per call and only the rule count differs.
  let seed = 42;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
  const calls = Array.from({ length: 1024 }, () => {
    const [server, tool] = targets[next() % targets.length];
    return { server, tool, args: { path: './sandbox/notes.txt', amount: next() % 800 } };
  });
  const times = new Float64Array(CALLS);
  let sink = 0;
  for (let i = 0; i < WARMUP; i++) sink += evaluate(compiled, calls[i & 1023], ctx).rules.length;
  for (let i = 0; i < CALLS; i++) {
    const start = process.hrtime.bigint();
    const d = evaluate(compiled, calls[i & 1023], ctx);
    times[i] = Number(process.hrtime.bigint() - start) / 1000;
    sink += d.rules.length;
  }
  times.sort();
  return { n, compileMs, p50: percentile(times, 50), p99: percentile(times, 99), sink };
}

const rows = [10, 1_000, 10_000].map(bench);
const base = rows[0].p50;
console.log(`policy evaluate, ${CALLS.toLocaleString('en')} calls each (node ${process.version})`);
console.log('rules     parse+compile ms   p50 µs   p99 µs   p50 vs 10 rules');
for (const r of rows) {
  console.log(
    `${String(r.n).padEnd(9)} ${r.compileMs.toFixed(1).padStart(16)} ${r.p50.toFixed(2).padStart(8)} ${r.p99.toFixed(2).padStart(8)} ${`${(r.p50 / base).toFixed(2)}×`.padStart(17)}`,
  );
}
