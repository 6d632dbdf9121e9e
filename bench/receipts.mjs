// Receipt costs per call: sign (EdDSA, ES256), verify, and argsSha256 of typical arguments; median and p99 in µs.
// Run after a build: `npx tsc -p tsconfig.build.json && node bench/receipts.mjs [--json]`.
import { performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalJWKSet, importJWK, SignJWT } from 'jose';
import { argsSha256 } from '../dist/receipts/digest.js';
import { generateKeyFiles, loadReceiptSigner } from '../dist/receipts/keys.js';
import { verifyReceiptToken } from '../dist/receipts/verify.js';

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 20_000);
const WARMUP = Math.min(2_000, ITERATIONS);

// What a typical tools/call carries: a path, some options, a short text body.
const ARGS = {
  path: './sandbox/reports/2026/q1/summary.md',
  options: { encoding: 'utf8', createDirs: true, mode: 420 },
  content: 'Quarterly summary\n\n'.padEnd(600, 'lorem ipsum dolor sit amet '),
  tags: ['finance', 'q1', 'draft'],
};
const INPUT = {
  sub: 'alice',
  aud: 'filesystem',
  tool: 'write_file',
  decision: 'allow',
  rules: ['writes-in-sandbox'],
  policy: 'a'.repeat(64),
  args_sha256: argsSha256(ARGS),
};

async function measure(name, fn) {
  for (let i = 0; i < WARMUP; i += 1) await fn(i);
  const samples = new Float64Array(ITERATIONS);
  for (let i = 0; i < ITERATIONS; i += 1) {
    const start = performance.now();
    await fn(i);
    samples[i] = (performance.now() - start) * 1000;
  }
  samples.sort();
  const at = (q) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))];
  return { name, iterations: ITERATIONS, median_us: round(at(0.5)), p99_us: round(at(0.99)) };
}

const round = (n) => Math.round(n * 10) / 10;

const results = [];
const dir = await mkdtemp(join(tmpdir(), 'toolgate-bench-'));
try {
  for (const alg of ['EdDSA', 'ES256']) {
    // The gateway's real path: a key file from `keys generate`, imported once by loadReceiptSigner.
    const made = await generateKeyFiles(join(dir, alg), alg);
    const { signer } = await loadReceiptSigner({ keyPath: made.keyPath, issuer: 'demo-gateway', ttlSeconds: 120 });
    const keys = createLocalJWKSet(signer.jwks());
    const joseKey = await importJWK(JSON.parse(await readFile(made.keyPath, 'utf8')), alg);
    results.push(await measure(`sign ${alg}`, () => signer.sign(INPUT)));
    results.push(
      await measure(`jose SignJWT ${alg} (baseline, not used)`, () =>
        new SignJWT({ ...INPUT, iss: 'demo-gateway', jti: randomUUID() })
          .setProtectedHeader({ alg, kid: signer.kid })
          .setIssuedAt()
          .setExpirationTime('120s')
          .sign(joseKey),
      ),
    );
    const tokens = await Promise.all(Array.from({ length: 256 }, () => signer.sign(INPUT).then((r) => r.token)));
    results.push(
      await measure(`verify ${alg} (sig, claims, aud, tool, args hash)`, (i) =>
        verifyReceiptToken(tokens[i % tokens.length], { keys, audience: 'filesystem', tool: 'write_file', argsSha256: INPUT.args_sha256 }),
      ),
    );
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
results.push(await measure(`argsSha256 (${JSON.stringify(ARGS).length}-byte arguments)`, () => argsSha256(ARGS)));
results.push(await measure('argsSha256 (small: {"path":"./notes.txt"})', () => argsSha256({ path: './notes.txt' })));

if (process.argv.includes('--json')) {
  console.log(JSON.stringify({ node: process.version, results }, null, 2));
} else {
  const width = Math.max(...results.map((r) => r.name.length));
  console.log(`receipts bench, node ${process.version}, ${ITERATIONS} iterations each (µs per operation)`);
  console.log(`${'operation'.padEnd(width)}  ${'median'.padStart(8)}  ${'p99'.padStart(8)}`);
  for (const r of results) console.log(`${r.name.padEnd(width)}  ${String(r.median_us).padStart(8)}  ${String(r.p99_us).padStart(8)}`);
}
