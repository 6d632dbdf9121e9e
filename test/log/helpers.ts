// Shared by the log tests: a real Ed25519 checkpoint signer, temp dirs, decision entries, line edits.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompactSign, exportJWK, generateKeyPair, type JSONWebKeySet } from 'jose';
import type { CheckpointSigner, DecisionEntry } from '../../src/log/decisions.js';

/** A checkpoint signer over a fresh Ed25519 key, and the JWKS that verifies it. */
export async function makeSigner(kid = 'test-key'): Promise<{ signer: CheckpointSigner; jwks: JSONWebKeySet }> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' };
  const signer: CheckpointSigner = {
    kid,
    signPayload: (payload) =>
      new CompactSign(new TextEncoder().encode(JSON.stringify(payload))).setProtectedHeader({ alg: 'EdDSA', kid }).sign(privateKey),
  };
  return { signer, jwks: { keys: [jwk] } };
}

/** A temp folder and its cleanup. */
export async function tempDir(prefix = 'tg-log-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A decision entry; `n` makes the id, time and args distinct. */
export function entry(n: number, over: Partial<DecisionEntry> = {}): DecisionEntry {
  return {
    id: `id-${n}`,
    time: new Date(Date.UTC(2025, 0, 1, 0, 0, 0, n)).toISOString(),
    session: 's-1',
    principal: 'alice',
    server: 'filesystem',
    tool: 'read_text_file',
    args: { path: `./sandbox/${n}.txt` },
    args_sha256: 'a'.repeat(64),
    decision: 'allow',
    rules: ['read-sandbox'],
    reasons: ['reads inside the sandbox'],
    receipt: `jti-${n}`,
    ...over,
  };
}

/** A clock the tests move by hand. */
export function manualClock(start = Date.UTC(2025, 0, 1)): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

/** The log's lines (without the final newline's empty string). */
export async function linesOf(path: string): Promise<string[]> {
  const text = await readFile(path, 'utf8');
  return text.split('\n').filter((l, i, all) => i < all.length - 1 || l !== '');
}

/** Parsed lines. */
export async function recordsOf(path: string): Promise<Array<Record<string, unknown>>> {
  return (await linesOf(path)).map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Rewrites the file with `edit` applied to its lines. */
export async function editLines(path: string, edit: (lines: string[]) => string[]): Promise<void> {
  const lines = await linesOf(path);
  const out = edit(lines);
  await writeFile(path, out.length > 0 ? `${out.join('\n')}\n` : '');
}

/**
 * Writes a toolgate.yaml in `dir` whose log is `logs/decisions.jsonl` (a checkpoint every 5 lines)
 * and, with `withKey`, whose receipts key is `keys/gateway.key.json`; returns its path.
 */
export async function writeLogConfig(dir: string, withKey: boolean, name = 'toolgate.yaml'): Promise<string> {
  const file = join(dir, name);
  await writeFile(
    file,
    [
      'gateway: { name: demo }',
      'upstreams:',
      '  fs: { transport: stdio, command: node, args: [x.js] }',
      'policy: { files: [p.yaml] }',
      ...(withKey ? ['receipts: { key: keys/gateway.key.json }'] : []),
      'log: { path: logs/decisions.jsonl, checkpoint: { every: 5 } }',
      '',
    ].join('\n'),
  );
  return file;
}
