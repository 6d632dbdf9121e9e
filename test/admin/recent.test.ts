// Reading the newest decisions backwards from a real decision log (written by the real writer).
import { appendFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { readRecentDecisions } from '../../src/admin/recent.js';
import { openDecisionLog, type DecisionLog } from '../../src/log/decisions.js';
import type { DecisionLine } from '../../src/log/lines.js';
import { readLines } from '../../src/log/read.js';
import { OutcomeJoiner } from '../../src/log/review.js';
import { entry, makeSigner, tempDir } from '../log/helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
let path: string;
let log: DecisionLog;

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir('tg-admin-recent-'));
  path = join(dir, 'decisions.jsonl');
  const { signer } = await makeSigner();
  log = await openDecisionLog({ path, redact: [], checkpoint: { every: 7, intervalMs: 60_000 }, signer });
});
afterEach(async () => {
  await log.close().catch(() => undefined);
  await cleanup();
});

const ids = (ds: readonly DecisionLine[]): string[] => ds.map((d) => d.id);
const big = { decisions: 1000, bytes: 64 * 1024 * 1024 };

// What a forward read (the `toolgate logs` path) finds, newest first.
async function forwardRead(): Promise<DecisionLine[]> {
  const out: DecisionLine[] = [];
  const joiner = new OutcomeJoiner({}, (item) => {
    if (item.kind === 'decision') out.push(item.record);
  });
  let line = 0;
  await readLines(path, (buf, start, end) => joiner.push(JSON.parse(buf.toString('utf8', start, end)), ++line));
  joiner.flush();
  return out.reverse();
}

describe('readRecentDecisions', () => {
  test('returns decisions newest first, each joined with its later outcome line; checkpoints are skipped', async () => {
    for (let n = 1; n <= 10; n++) await log.append(entry(n, n % 3 === 0 ? { decision: 'deny', receipt: null } : {}));
    await log.outcome('id-2', { outcome: 'ok', latency_ms: 12 });
    await log.outcome('id-4', { outcome: 'tool-error', latency_ms: 40 });
    const { decisions, truncated } = await readRecentDecisions(path, {}, big);
    expect(ids(decisions)).toEqual(['id-10', 'id-9', 'id-8', 'id-7', 'id-6', 'id-5', 'id-4', 'id-3', 'id-2', 'id-1']);
    expect(decisions.find((d) => d.id === 'id-2')).toMatchObject({ outcome: 'ok', latency_ms: 12 });
    expect(decisions.find((d) => d.id === 'id-4')).toMatchObject({ outcome: 'tool-error', latency_ms: 40 });
    expect(decisions.find((d) => d.id === 'id-5')).toMatchObject({ outcome: null });
    expect(truncated).toBe(false);
  });

  test('applies the filter of toolgate logs', async () => {
    await log.append(entry(1, { principal: 'bob' }));
    await log.append(entry(2, { decision: 'deny', receipt: null }));
    await log.append(entry(3, { server: 'payments', tool: 'create_refund' }));
    expect(ids((await readRecentDecisions(path, { principal: 'bob' }, big)).decisions)).toEqual(['id-1']);
    expect(ids((await readRecentDecisions(path, { decision: 'deny' }, big)).decisions)).toEqual(['id-2']);
    expect(ids((await readRecentDecisions(path, { tool: 'payments/create_refund' }, big)).decisions)).toEqual(['id-3']);
    expect(ids((await readRecentDecisions(path, { tool: 'read_text_file' }, big)).decisions)).toEqual(['id-2', 'id-1']);
  });

  test('stops at the decision limit and says older ones exist', async () => {
    for (let n = 1; n <= 20; n++) await log.append(entry(n));
    const { decisions, truncated } = await readRecentDecisions(path, {}, { decisions: 5, bytes: big.bytes });
    expect(ids(decisions)).toEqual(['id-20', 'id-19', 'id-18', 'id-17', 'id-16']);
    expect(truncated).toBe(true);
  });

  test('reads no further back than the byte limit, and never a line cut by it', async () => {
    for (let n = 1; n <= 50; n++) await log.append(entry(n));
    const all = await readRecentDecisions(path, {}, big);
    const { decisions, truncated, bytesRead } = await readRecentDecisions(path, {}, { decisions: 1000, bytes: 3000 });
    expect(truncated).toBe(true);
    expect(bytesRead).toBe(3000);
    expect(decisions.length).toBeGreaterThan(0);
    expect(decisions.length).toBeLessThan(all.decisions.length);
    expect(decisions).toEqual(all.decisions.slice(0, decisions.length));
  });

  test('with since, stops at the first older decision', async () => {
    for (let n = 1; n <= 10; n++) await log.append(entry(n, { time: new Date(Date.UTC(2025, 0, 1, n)).toISOString() }));
    const { decisions, truncated } = await readRecentDecisions(path, { since: Date.UTC(2025, 0, 1, 8) }, big);
    expect(ids(decisions)).toEqual(['id-10', 'id-9', 'id-8']);
    expect(truncated).toBe(false);
  });

  test('ignores a last line that is still being written', async () => {
    await log.append(entry(1));
    await log.close();
    await appendFile(path, '{"type":"decision","id":"half-writ');
    expect(ids((await readRecentDecisions(path, {}, big)).decisions)).toEqual(['id-1']);
  });

  test('reads lines longer than its read chunk whole', async () => {
    await log.append(entry(1));
    await log.append(entry(2, { args: { text: 'x'.repeat(700_000) } }));
    await log.append(entry(3));
    const { decisions } = await readRecentDecisions(path, {}, big);
    expect(ids(decisions)).toEqual(['id-3', 'id-2', 'id-1']);
    expect((decisions[1]?.args.text as string).length).toBe(700_000);
  });

  test('finds exactly what a forward read finds, across many chunk boundaries', async () => {
    for (let n = 1; n <= 1500; n++) {
      await log.append(entry(n, { args: { pad: 'p'.repeat((n * 7919) % 1500) }, ...(n % 4 === 0 ? { decision: 'deny', receipt: null } : {}) }));
      if (n % 4 === 1) await log.outcome(`id-${n}`, { outcome: 'ok', latency_ms: n });
    }
    const { decisions, truncated } = await readRecentDecisions(path, {}, { decisions: 5000, bytes: big.bytes });
    expect(truncated).toBe(false);
    expect(decisions).toEqual(await forwardRead());
  });

  test('an empty log has no decisions; a missing one is TG_FILE_NOT_FOUND', async () => {
    await writeFile(join(dir, 'empty.jsonl'), '');
    expect((await readRecentDecisions(join(dir, 'empty.jsonl'), {}, big)).decisions).toEqual([]);
    await expect(readRecentDecisions(join(dir, 'missing.jsonl'), {}, big)).rejects.toMatchObject({ code: 'TG_FILE_NOT_FOUND' });
  });
});
