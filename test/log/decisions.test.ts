import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { appendFile, copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { GENESIS, checkLineText } from '../../src/log/chain.js';
import { openDecisionLog, type CheckpointSigner, type DecisionLog, type OpenDecisionLogOptions } from '../../src/log/decisions.js';
import { lockPathFor } from '../../src/log/lock.js';
import { verifyLog } from '../../src/log/verify.js';
import { INLINE_BACKOFF_MS } from '../../src/log/writer.js';
import { editLines, entry, linesOf, makeSigner, manualClock, recordsOf, tempDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
let signer: CheckpointSigner;
let jwks: Awaited<ReturnType<typeof makeSigner>>['jwks'];
const open: DecisionLog[] = [];

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
  ({ signer, jwks } = await makeSigner());
});
afterEach(async () => {
  for (const log of open.splice(0)) await log.close().catch(() => undefined);
  await cleanup();
});

async function openLog(over: Partial<OpenDecisionLogOptions> = {}): Promise<DecisionLog> {
  const log = await openDecisionLog({
    path: join(dir, 'logs', 'decisions.jsonl'),
    redact: [],
    checkpoint: { every: 1000, intervalMs: 60_000 },
    signer,
    ...over,
  });
  open.push(log);
  return log;
}

describe('openDecisionLog: writing', () => {
  test('a new log starts with an open checkpoint over the genesis', async () => {
    const log = await openLog();
    const [first] = await recordsOf(log.path);
    expect(first).toMatchObject({ type: 'checkpoint', trigger: 'open', lines: 0, head: GENESIS, prev: GENESIS, kid: 'test-key' });
    expect(log.recovered).toBeNull();
  });

  test('a decision line carries every contract field, chained onto the line before', async () => {
    const log = await openLog();
    await log.append(entry(1, { approval: 'ap-1' }));
    const [cp, line] = await recordsOf(log.path);
    expect(line).toEqual({
      type: 'decision',
      level: 30,
      msg: 'decision',
      time: entry(1).time,
      id: 'id-1',
      session: 's-1',
      principal: 'alice',
      server: 'filesystem',
      tool: 'read_text_file',
      args: { path: './sandbox/1.txt' },
      args_sha256: 'a'.repeat(64),
      decision: 'allow',
      rules: ['read-sandbox'],
      reasons: ['reads inside the sandbox'],
      receipt: 'jti-1',
      approval: 'ap-1',
      outcome: null,
      latency_ms: null,
      prev: cp?.hash,
      hash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
  });

  test('append resolves only once its line is in the file', async () => {
    const log = await openLog();
    const pending = log.append(entry(7));
    await pending;
    const text = await readFile(log.path, 'utf8');
    expect(text).toContain('"id":"id-7"');
    expect(text.endsWith('\n')).toBe(true);
  });

  test('redacts the configured paths before hashing, so the chain covers the stored line', async () => {
    const log = await openLog({ redact: ['args.token', 'args.auth.key'] });
    await log.append(entry(1, { args: { token: 's3cret-token', auth: { key: 'k3y', user: 'bob' }, path: './a' } }));
    const text = await readFile(log.path, 'utf8');
    expect(text).not.toContain('s3cret-token');
    expect(text).not.toContain('k3y');
    const line = (await linesOf(log.path))[1] as string;
    expect(JSON.parse(line)).toMatchObject({ args: { token: '[redacted]', auth: { key: '[redacted]', user: 'bob' }, path: './a' } });
    expect(checkLineText(line).ok).toBe(true);
  });

  test('an outcome line names the decision by id', async () => {
    const clock = manualClock();
    const log = await openLog({ now: clock.now });
    await log.append(entry(1));
    await log.outcome('id-1', { outcome: 'tool-error', latency_ms: 12.5 });
    const last = (await recordsOf(log.path)).at(-1);
    expect(last).toMatchObject({ type: 'outcome', id: 'id-1', outcome: 'tool-error', latency_ms: 12.5, time: new Date(clock.now()).toISOString() });
  });

  test("an outcome line waits to share the next decision's write instead of costing one of its own", async () => {
    const log = await openLog();
    await log.append(entry(1));
    const before = log.stats().commits;
    const outcome = log.outcome('id-1', { outcome: 'ok', latency_ms: 1 });
    await log.append(entry(2));
    await outcome;
    expect(log.stats().commits - before).toBe(1);
    const types = (await recordsOf(log.path)).slice(-3).map((r) => [r.type, r.id]);
    expect(types).toEqual([
      ['decision', 'id-1'],
      ['outcome', 'id-1'],
      ['decision', 'id-2'],
    ]);
  });

  test('an outcome with no decision after it is still written, on its own, soon', async () => {
    const log = await openLog();
    await log.append(entry(1));
    await log.outcome('id-1', { outcome: 'ok', latency_ms: 1 });
    expect((await recordsOf(log.path)).at(-1)).toMatchObject({ type: 'outcome', id: 'id-1' });
  });

  test('concurrent appends share one write+fsync and keep call order (group commit)', async () => {
    const log = await openLog();
    const before = log.stats().commits;
    await Promise.all(Array.from({ length: 200 }, (_, i) => log.append(entry(i))));
    const commits = log.stats().commits - before;
    expect(commits).toBeGreaterThanOrEqual(1);
    expect(commits).toBeLessThanOrEqual(3);
    const ids = (await recordsOf(log.path)).filter((r) => r.type === 'decision').map((r) => r.id);
    expect(ids).toEqual(Array.from({ length: 200 }, (_, i) => `id-${i}`));
  });

  test('a checkpoint follows every `every` lines', async () => {
    const log = await openLog({ checkpoint: { every: 5, intervalMs: 60_000 } });
    for (let i = 0; i < 12; i++) await log.append(entry(i));
    const records = await recordsOf(log.path);
    const at = records.flatMap((r, i) => (r.type === 'checkpoint' ? [{ line: i + 1, lines: r.lines, trigger: r.trigger }] : []));
    expect(at).toEqual([
      { line: 1, lines: 0, trigger: 'open' },
      { line: 7, lines: 6, trigger: 'every' },
      { line: 13, lines: 12, trigger: 'every' },
    ]);
  });

  test('a checkpoint follows `interval` after the last one, only when lines are unsealed', async () => {
    const clock = manualClock();
    const log = await openLog({ now: clock.now, checkpoint: { every: 1000, intervalMs: 60_000 } });
    clock.advance(61_000);
    await log.tick();
    expect((await recordsOf(log.path)).length).toBe(1);
    await log.append(entry(1));
    await log.tick();
    const sealedAt = clock.now();
    expect((await recordsOf(log.path)).at(-1)).toMatchObject({ type: 'checkpoint', trigger: 'interval', lines: 2, time: new Date(sealedAt).toISOString() });
    await log.append(entry(2));
    clock.advance(59_999);
    await log.tick();
    expect((await recordsOf(log.path)).at(-1)).toMatchObject({ type: 'decision', id: 'id-2' });
    clock.advance(1);
    await log.tick();
    expect((await recordsOf(log.path)).at(-1)).toMatchObject({ type: 'checkpoint', trigger: 'interval', lines: 4 });
  });

  test('close writes a closing checkpoint; later appends are refused with TG_LOG_FAILED', async () => {
    const log = await openLog();
    await log.append(entry(1));
    await log.close();
    await log.close();
    expect((await recordsOf(log.path)).at(-1)).toMatchObject({ type: 'checkpoint', trigger: 'close', lines: 2 });
    await expect(log.append(entry(2))).rejects.toMatchObject({ code: 'TG_LOG_FAILED' });
    expect((await verifyLog(log.path, { jwks })).ok).toBe(true);
  });
});

describe('openDecisionLog: restarts and crashes', () => {
  test('reopening after a clean close continues the chain without a recovery line', async () => {
    const first = await openLog();
    await first.append(entry(1));
    await first.close();
    const closeHash = (await recordsOf(first.path)).at(-1)?.hash;
    const second = await openLog();
    expect(second.recovered).toBeNull();
    await second.append(entry(2));
    await second.close();
    const records = await recordsOf(second.path);
    expect(records.map((r) => r.type)).toEqual(['checkpoint', 'decision', 'checkpoint', 'checkpoint', 'decision', 'checkpoint']);
    expect(records[3]).toMatchObject({ trigger: 'open', lines: 3, prev: closeHash });
    const result = await verifyLog(second.path, { jwks });
    expect(result).toMatchObject({ ok: true, lines: 6, checkpoints: 4, closed: true, recoveries: [] });
  });

  test('reopening a log its writer never closed records a recovery line, then seals', async () => {
    const live = await openLog();
    await live.append(entry(1));
    await live.append(entry(2));
    // The file as a kill -9 would leave it: every acknowledged line is on disk, no closing checkpoint.
    const crashed = join(dir, 'crashed.jsonl');
    await copyFile(live.path, crashed);
    const reopened = await openLog({ path: crashed });
    expect(reopened.recovered).toEqual({ unsealed: 2, tornBytes: 0, line: 4 });
    await reopened.close();
    const records = await recordsOf(crashed);
    expect(records[3]).toMatchObject({ type: 'recovery', unsealed: 2, torn_bytes: 0, torn: null });
    expect(records[4]).toMatchObject({ type: 'checkpoint', trigger: 'open', lines: 4 });
    expect(await verifyLog(crashed, { jwks })).toMatchObject({ ok: true, recoveries: [4] });
  });

  test('a torn last line is detected, cut off and kept in the recovery line, not chained over', async () => {
    const log = await openLog();
    await log.append(entry(1));
    await log.close();
    const fragment = '{"type":"decision","id":"id-2","args":{"pa';
    await appendFile(log.path, fragment);
    expect((await verifyLog(log.path, { jwks })).firstBad).toMatchObject({ line: 4, reason: 'torn-line' });

    const reopened = await openLog();
    expect(reopened.recovered).toEqual({ unsealed: 0, tornBytes: fragment.length, line: 4 });
    await reopened.append(entry(3));
    await reopened.close();
    const lines = await linesOf(log.path);
    expect(lines.every((l) => checkLineText(l).ok)).toBe(true);
    const recovery = JSON.parse(lines[3] as string) as Record<string, unknown>;
    expect(recovery).toMatchObject({ type: 'recovery', torn_bytes: fragment.length });
    expect(Buffer.from(recovery.torn as string, 'base64').toString('utf8')).toBe(fragment);
    expect(await verifyLog(log.path, { jwks })).toMatchObject({ ok: true, recoveries: [4] });
  });

  test('a log whose last line was edited is refused with TG_LOG_TAMPERED, never chained over', async () => {
    const log = await openLog();
    await log.append(entry(1));
    await log.close();
    await editLines(log.path, (lines) => [...lines.slice(0, -1), (lines.at(-1) as string).replace('"close"', '"every"')]);
    await expect(openLog()).rejects.toMatchObject({ code: 'TG_LOG_TAMPERED' });
  });

  test('reopening reads back only to the last checkpoint, however long the log', async () => {
    const first = await openLog({ checkpoint: { every: 100, intervalMs: 60_000 } });
    await Promise.all(Array.from({ length: 1050 }, (_, i) => first.append(entry(i))));
    await first.close();
    const second = await openLog({ checkpoint: { every: 100, intervalMs: 60_000 } });
    await second.append(entry(9999));
    await second.close();
    expect(await verifyLog(second.path, { jwks })).toMatchObject({ ok: true, lines: 1050 + 10 + 1 + 1 + 1 + 1 + 1 });
  });
});

describe('openDecisionLog: when the log cannot be written', () => {
  test('a path under a regular file is TG_LOG_FAILED', async () => {
    await writeFile(join(dir, 'not-a-dir'), 'x');
    await expect(openLog({ path: join(dir, 'not-a-dir', 'decisions.jsonl') })).rejects.toMatchObject({ code: 'TG_LOG_FAILED' });
  });

  test('a full disk (/dev/full) is TG_LOG_FAILED', async () => {
    await expect(openDecisionLog({ path: '/dev/full', redact: [], checkpoint: { every: 10, intervalMs: 60_000 }, signer })).rejects.toMatchObject({
      code: 'TG_LOG_FAILED',
      message: expect.stringContaining('ENOSPC'),
    });
  });

  test('a failed commit rejects its appends, leaves no trace, and the chain goes on after it', async () => {
    let failing = false;
    const flaky: CheckpointSigner = {
      kid: signer.kid,
      signPayload: (p) => (failing ? Promise.reject(new Error('hsm unavailable')) : signer.signPayload(p)),
    };
    const log = await openLog({ signer: flaky, checkpoint: { every: 3, intervalMs: 60_000 } });
    await log.append(entry(1));
    await log.append(entry(2));
    failing = true;
    await expect(log.append(entry(3))).rejects.toMatchObject({ code: 'TG_LOG_FAILED' });
    expect(await readFile(log.path, 'utf8')).not.toContain('"id-3"');
    failing = false;
    await log.append(entry(4));
    await log.close();
    const ids = (await recordsOf(log.path)).filter((r) => r.type === 'decision').map((r) => r.id);
    expect(ids).toEqual(['id-1', 'id-2', 'id-4']);
    expect((await verifyLog(log.path, { jwks })).ok).toBe(true);
  });

  test('arguments JSON cannot carry are refused for that append only', async () => {
    const log = await openLog();
    const bad = log.append(entry(1, { args: { n: Number.NaN } }));
    const good = log.append(entry(2));
    await expect(bad).rejects.toMatchObject({ code: 'TG_LOG_FAILED' });
    await good;
    await log.close();
    expect((await verifyLog(log.path, { jwks })).ok).toBe(true);
  });
});

describe('openDecisionLog: the lock file', () => {
  test('another live process holding the lock is TG_LOG_FAILED', async () => {
    const path = join(dir, 'decisions.jsonl');
    await writeFile(lockPathFor(path), `${process.ppid}\n`);
    await expect(openLog({ path })).rejects.toMatchObject({ code: 'TG_LOG_FAILED', message: expect.stringContaining(String(process.ppid)) });
  });

  test('a lock left by a process that is gone is taken over, and released on close', async () => {
    const path = join(dir, 'decisions.jsonl');
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    await writeFile(lockPathFor(path), `${gone}\n`);
    const log = await openLog({ path });
    expect((await readFile(lockPathFor(path), 'utf8')).trim()).toBe(String(process.pid));
    await log.close();
    await expect(readFile(lockPathFor(path))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('openDecisionLog: inline writes', () => {
  test('when allowed, the line is on disk before append returns; mixed with pool writes the chain verifies', async () => {
    let inline = true;
    const log = await openLog({ inline: { when: () => inline } });
    const first = log.append(entry(1));
    expect(readFileSync(log.path, 'utf8')).toContain('"id":"id-1"');
    await first;
    inline = false;
    await Promise.all([log.append(entry(2)), log.append(entry(3))]);
    inline = true;
    await log.append(entry(4));
    await log.close();
    expect((await recordsOf(log.path)).filter((r) => r.type === 'decision').map((r) => r.id)).toEqual(['id-1', 'id-2', 'id-3', 'id-4']);
    expect((await verifyLog(log.path, { jwks })).ok).toBe(true);
  });

  test('a slow inline write turns inline writes off for a while, then they come back', async () => {
    const clock = manualClock();
    let asked = 0;
    // Every write counts as slow.
    const log = await openLog({ now: clock.now, inline: { when: () => (asked += 1) > 0, slowMs: 0 } });
    await log.append(entry(1));
    const before = asked;
    await log.append(entry(2));
    expect(asked).toBe(before);
    clock.advance(INLINE_BACKOFF_MS);
    await log.append(entry(3));
    expect(asked).toBe(before + 1);
    expect((await recordsOf(log.path)).filter((r) => r.type === 'decision')).toHaveLength(3);
  });
});
