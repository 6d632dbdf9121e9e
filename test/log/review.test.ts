import { describe, expect, test } from 'vitest';
import type { DecisionLine } from '../../src/log/lines.js';
import { OutcomeJoiner, matches, type ReviewFilter, type ReviewItem } from '../../src/log/review.js';
import { formatRow, TABLE_HEADER } from '../../src/log/table.js';

const H = 'f'.repeat(64);
function decision(id: string, over: Partial<DecisionLine> = {}): DecisionLine {
  return {
    type: 'decision',
    time: '2025-01-01T00:00:00.000Z',
    id,
    session: 's',
    principal: 'alice',
    server: 'filesystem',
    tool: 'read_text_file',
    args: {},
    args_sha256: H,
    decision: 'allow',
    rules: ['r'],
    reasons: ['why'],
    receipt: `jti-${id}`,
    outcome: null,
    latency_ms: null,
    prev: H,
    hash: H,
    ...over,
  };
}
const outcome = (id: string, o = 'ok', latency = 5): Record<string, unknown> => ({ type: 'outcome', time: '2025-01-01T00:00:01.000Z', id, outcome: o, latency_ms: latency, prev: H, hash: H });

function run(values: unknown[], filter: ReviewFilter = {}, window = 50_000): { items: ReviewItem[]; joiner: OutcomeJoiner } {
  const items: ReviewItem[] = [];
  const joiner = new OutcomeJoiner(filter, (i) => items.push(i), window);
  values.forEach((v, i) => joiner.push(v, i + 1));
  joiner.flush();
  return { items, joiner };
}

describe('matches', () => {
  test('each filter narrows; all must hold', () => {
    const d = decision('a', { decision: 'deny', principal: 'bob', server: 'fs', tool: 'write_file', time: '2025-06-01T00:00:00.000Z' });
    expect(matches({}, d)).toBe(true);
    expect(matches({ decision: 'deny' }, d)).toBe(true);
    expect(matches({ decision: 'allow' }, d)).toBe(false);
    expect(matches({ tool: 'write_file' }, d)).toBe(true);
    expect(matches({ tool: 'fs/write_file' }, d)).toBe(true);
    expect(matches({ tool: 'other/write_file' }, d)).toBe(false);
    expect(matches({ principal: 'alice' }, d)).toBe(false);
    expect(matches({ since: Date.parse('2025-06-01T00:00:00.000Z') }, d)).toBe(true);
    expect(matches({ since: Date.parse('2025-06-01T00:00:00.001Z') }, d)).toBe(false);
    expect(matches({ decision: 'deny', principal: 'bob', tool: 'fs/write_file' }, d)).toBe(true);
  });
});

describe('OutcomeJoiner', () => {
  test('joins each decision with its outcome line and keeps log order', () => {
    const { items } = run([decision('a'), decision('b', { decision: 'deny', receipt: null }), decision('c'), outcome('c', 'tool-error', 9), outcome('a')]);
    expect(items.map((i) => [i.kind, i.record.id, i.record.outcome])).toEqual([
      ['decision', 'a', 'ok'],
      ['decision', 'b', null],
      ['decision', 'c', 'tool-error'],
    ]);
    expect(items.map((i) => i.line)).toEqual([1, 2, 3]);
  });

  test('a decision whose outcome never comes goes out at the end, or after the window', () => {
    expect(run([decision('a'), decision('b', { receipt: null })]).items.map((i) => i.record.id)).toEqual(['a', 'b']);
    const items: ReviewItem[] = [];
    const joiner = new OutcomeJoiner({}, (i) => items.push(i), 3);
    joiner.push(decision('a'), 1);
    joiner.push(decision('b', { receipt: null }), 2);
    expect(items).toHaveLength(0);
    joiner.push({ type: 'checkpoint' }, 3);
    joiner.push({ type: 'checkpoint' }, 4);
    expect(items.map((i) => i.record.id)).toEqual(['a', 'b']);
  });

  test('filters decisions, and their outcomes with them', () => {
    const { items } = run([decision('a', { principal: 'bob' }), decision('b'), outcome('a'), outcome('b')], { principal: 'alice' });
    expect(items.map((i) => i.record.id)).toEqual(['b']);
  });

  test('live: decisions go out at once and a later outcome goes out on its own', () => {
    const items: ReviewItem[] = [];
    const joiner = new OutcomeJoiner({}, (i) => items.push(i));
    joiner.live = true;
    joiner.push(decision('a'), 1);
    expect(items.map((i) => i.kind)).toEqual(['decision']);
    joiner.push(outcome('a'), 2);
    expect(items.map((i) => [i.kind, i.record.id])).toEqual([
      ['decision', 'a'],
      ['outcome', 'a'],
    ]);
  });

  test('shows recovery lines only without filters, and counts lines it cannot read', () => {
    const recovery = { type: 'recovery', time: '2025-01-01T00:00:00.000Z', unsealed: 2, torn_bytes: 0, torn_sha256: null, torn: null, prev: H, hash: H };
    expect(run([recovery]).items.map((i) => i.kind)).toEqual(['recovery']);
    expect(run([recovery], { decision: 'deny' }).items).toEqual([]);
    const { joiner } = run([{ type: 'decision', id: 1 }, { type: 'weird' }, { type: 'checkpoint' }]);
    expect(joiner.unreadable).toBe(2);
  });
});

describe('table rows', () => {
  test('a row per decision with outcome and latency; control characters cannot reach the terminal', () => {
    const d = decision('abcdefgh-1234', { outcome: 'ok', latency_ms: 1534, reasons: ['evil \u001b[31m red'], tool: 'rm\u0007' });
    const row = formatRow({ kind: 'decision', line: 1, record: d });
    expect(row).toContain('2025-01-01T00:00:00Z');
    expect(row).toContain('ok 1.5s');
    expect(row).toContain('filesystem/rm?');
    expect(row).toContain('evil ?[31m red');
    expect([...row].some((ch) => ch.charCodeAt(0) < 0x20)).toBe(false);
    expect(TABLE_HEADER.startsWith('TIME')).toBe(true);
  });
});
