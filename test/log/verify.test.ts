import { appendFile, copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { CompactSign, generateKeyPair, type JSONWebKeySet } from 'jose';
import { GENESIS, sealLine } from '../../src/log/chain.js';
import { openDecisionLog, type CheckpointSigner } from '../../src/log/decisions.js';
import { verifyLog } from '../../src/log/verify.js';
import { editLines, entry, makeSigner, manualClock, tempDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
let signer: CheckpointSigner;
let jwks: JSONWebKeySet;
let path: string;

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
  ({ signer, jwks } = await makeSigner());
  path = join(dir, 'decisions.jsonl');
});
afterEach(async () => cleanup());

// 30 decisions, a checkpoint every 10 lines, closed cleanly: 35 lines. Line 1 is the open
// checkpoint, 2-11 decisions, 12 a checkpoint, 13-22, 23 a checkpoint, 24-33, 34 a checkpoint, 35 close.
async function writeLog(decisions = 30, every = 10): Promise<void> {
  const clock = manualClock();
  const log = await openDecisionLog({ path, redact: [], checkpoint: { every, intervalMs: 60_000 }, signer, now: clock.now });
  for (let i = 0; i < decisions; i++) await log.append(entry(i));
  await log.close();
}

// What an attacker who can write the file (but not sign) does after an edit: rehash from `from` on.
function rechain(lines: string[], from: number): string[] {
  const out = lines.slice(0, from);
  let prev = from === 0 ? GENESIS : (JSON.parse(out[from - 1] as string) as { hash: string }).hash;
  for (const line of lines.slice(from)) {
    const { hash: _hash, prev: _prev, ...body } = JSON.parse(line) as Record<string, unknown>;
    const sealed = sealLine(body, prev);
    out.push(sealed.text);
    prev = sealed.hash;
  }
  return out;
}

describe('verifyLog: an intact log', () => {
  test('passes with counts, closed, signatures checked', async () => {
    await writeLog();
    const result = await verifyLog(path, { jwks });
    // open cp + 10 decisions + cp + 10 + cp + 10 + cp(every) + close cp
    expect(result).toMatchObject({ ok: true, lines: 35, checkpoints: 5, closed: true, unsealed: 0, signaturesChecked: true, lastCheckpoint: 35 });
    expect(result.firstBad).toBeUndefined();
  });

  test('without a JWKS the chain is checked and the result says signatures were not', async () => {
    await writeLog();
    expect(await verifyLog(path)).toMatchObject({ ok: true, signaturesChecked: false });
  });

  test('reports progress up to the whole file', async () => {
    await writeLog();
    const seen: Array<{ bytes: number; total: number }> = [];
    await verifyLog(path, { onProgress: (p) => seen.push(p) });
    const last = seen.at(-1);
    expect(last?.bytes).toBe(last?.total);
    expect(last?.total).toBeGreaterThan(0);
  });

  test('an intact log of 100,000 decisions passes', async () => {
    const log = await openDecisionLog({ path, redact: ['args.token'], checkpoint: { every: 1000, intervalMs: 60_000 }, signer });
    for (let batch = 0; batch < 100; batch++) {
      await Promise.all(Array.from({ length: 1000 }, (_, i) => log.append(entry(batch * 1000 + i, { args: { path: `./f${i}`, token: 't' } }))));
    }
    await log.close();
    const result = await verifyLog(path, { jwks });
    expect(result).toMatchObject({ ok: true, closed: true, checkpoints: 102 });
    expect(result.lines).toBe(100_000 + 102);
  });
});

describe('verifyLog: tampering is reported at the first bad line', () => {
  test('one edited field: that line, edited', async () => {
    await writeLog();
    await editLines(path, (lines) => lines.map((l, i) => (i === 14 ? l.replace('"decision":"allow"', '"decision":"deny"') : l)));
    expect((await verifyLog(path, { jwks })).firstBad).toMatchObject({ line: 15, reason: 'edited' });
  });

  test('an edited line whose hash was recomputed: the next line no longer follows it', async () => {
    await writeLog();
    await editLines(path, (lines) => {
      const edited = lines.map((l, i) => (i === 14 ? l.replace('"principal":"alice"', '"principal":"mallory"') : l));
      return [...rechain(edited, 14).slice(0, 15), ...edited.slice(15)];
    });
    expect((await verifyLog(path, { jwks })).firstBad).toMatchObject({ line: 16, reason: 'deleted-or-reordered' });
  });

  test('a deleted middle line: the line now in its place', async () => {
    await writeLog();
    await editLines(path, (lines) => lines.filter((_, i) => i !== 5));
    expect((await verifyLog(path, { jwks })).firstBad).toMatchObject({ line: 6, reason: 'deleted-or-reordered' });
  });

  test('two swapped lines: the first of them', async () => {
    await writeLog();
    await editLines(path, (lines) => {
      const out = [...lines];
      [out[7], out[8]] = [out[8] as string, out[7] as string];
      return out;
    });
    expect((await verifyLog(path, { jwks })).firstBad).toMatchObject({ line: 8, reason: 'deleted-or-reordered' });
  });

  test('a cut tail: the first missing line, truncated', async () => {
    await writeLog();
    await editLines(path, (lines) => lines.slice(0, 30));
    const result = await verifyLog(path, { jwks });
    expect(result.firstBad).toMatchObject({ line: 31, reason: 'truncated' });
    expect(result.firstBad?.message).toContain('line 23');
  });

  test('a tail cut back exactly to a periodic checkpoint is still truncated', async () => {
    await writeLog();
    await editLines(path, (lines) => lines.slice(0, 23));
    expect((await verifyLog(path, { jwks })).firstBad).toMatchObject({ line: 24, reason: 'truncated' });
  });

  test('cut lines at the start: line 1 does not start a chain', async () => {
    await writeLog();
    await editLines(path, (lines) => lines.slice(3));
    expect((await verifyLog(path, { jwks })).firstBad).toMatchObject({ line: 1, reason: 'deleted-or-reordered' });
  });

  test('a deleted line with every later hash recomputed: the next checkpoint does not match', async () => {
    await writeLog();
    await editLines(path, (lines) => rechain(lines.filter((_, i) => i !== 5), 5));
    expect((await verifyLog(path, { jwks })).firstBad).toMatchObject({ line: 11, reason: 'checkpoint-mismatch' });
  });

  test('a checkpoint re-signed with another key: bad signature at that line', async () => {
    await writeLog();
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const lines = (await readFile(path, 'utf8')).trimEnd().split('\n');
    const { hash: _hash, prev: _prev, ...cp } = JSON.parse(lines[11] as string) as Record<string, unknown>;
    const payload = Buffer.from((cp.sig as string).split('.')[1] as string, 'base64url');
    const forged = await new CompactSign(payload).setProtectedHeader({ alg: 'EdDSA', kid: 'test-key' }).sign(privateKey);
    lines[11] = JSON.stringify({ ...cp, sig: forged, prev: _prev, hash: _hash });
    await writeFile(path, `${rechain(lines, 11).join('\n')}\n`);
    expect((await verifyLog(path, { jwks })).firstBad).toMatchObject({ line: 12, reason: 'bad-checkpoint-signature' });
    // Without the JWKS the forgery itself goes unseen, but the next checkpoint signs the old chain.
    expect((await verifyLog(path)).firstBad).toMatchObject({ line: 23, reason: 'checkpoint-mismatch' });
  });

  test('a checkpoint by a key not in the JWKS: bad signature', async () => {
    await writeLog();
    const other = await makeSigner('other-key');
    expect((await verifyLog(path, { jwks: other.jwks })).firstBad).toMatchObject({ line: 1, reason: 'bad-checkpoint-signature' });
  });

  test('a line that is not JSON: malformed', async () => {
    await writeLog();
    await editLines(path, (lines) => lines.map((l, i) => (i === 3 ? 'garbage' : l)));
    expect((await verifyLog(path, { jwks })).firstBad).toMatchObject({ line: 4, reason: 'malformed' });
  });
});

describe('verifyLog: ends of logs', () => {
  test('a half-written last line is torn-line', async () => {
    await writeLog();
    await appendFile(path, '{"type":"decision","id":"x');
    expect((await verifyLog(path, { jwks })).firstBad).toMatchObject({ line: 36, reason: 'torn-line' });
  });

  test('an empty log is truncated at line 1', async () => {
    await writeFile(path, '');
    expect((await verifyLog(path, { jwks })).firstBad).toMatchObject({ line: 1, reason: 'truncated' });
  });

  test('no log file is TG_FILE_NOT_FOUND', async () => {
    await expect(verifyLog(join(dir, 'nope.jsonl'))).rejects.toMatchObject({ code: 'TG_FILE_NOT_FOUND' });
  });

  test('a log a running gateway is writing fails by default and passes with allowUnsealed', async () => {
    const log = await openDecisionLog({ path, redact: [], checkpoint: { every: 10, intervalMs: 60_000 }, signer });
    for (let i = 0; i < 13; i++) await log.append(entry(i));
    const snapshot = join(dir, 'live.jsonl');
    await copyFile(path, snapshot);
    await log.close();
    expect((await verifyLog(snapshot, { jwks })).firstBad).toMatchObject({ line: 16, reason: 'truncated' });
    expect(await verifyLog(snapshot, { jwks, allowUnsealed: true })).toMatchObject({ ok: true, closed: false, unsealed: 3, lastCheckpoint: 12 });
  });
});
