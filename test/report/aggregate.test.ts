import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { DecisionLine } from '../../src/log/lines.js';
import { ReportAggregator } from '../../src/report/aggregate.js';
import type { ReportData } from '../../src/report/types.js';
import { reportPeriod } from '../../src/report/period.js';
import { entry, linesOf, makeSigner, tempDir } from '../log/helpers.js';
import { DAY_END, DAY_START, itemsOf, writeSampleLog } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
let logPath: string;

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir('tg-report-agg-'));
  logPath = join(dir, 'decisions.jsonl');
  await writeSampleLog(logPath, (await makeSigner()).signer);
});
afterEach(async () => cleanup());

async function aggregate(windowLines?: number): Promise<ReportData> {
  const aggregator = new ReportAggregator(reportPeriod(DAY_START, DAY_END));
  for (const item of await itemsOf(logPath, DAY_START, windowLines)) aggregator.add(item);
  return aggregator.result();
}

describe('ReportAggregator', () => {
  test('counts the decisions of the period by kind, leaving earlier ones out', async () => {
    const data = await aggregate();
    expect(data.total).toBe(9);
    expect(data.decisions).toEqual({ allow: 3, challenge: 2, deny: 4 });
    expect(data.first).toBe('2025-01-01T00:10:00.000Z');
    expect(data.last).toBe('2025-01-01T03:30:00.000Z');
    expect(data.principals.rows.map((r) => r.principal)).not.toContain('early');
  });

  test('a one-day period has 24 hour buckets, each decision in its hour', async () => {
    const data = await aggregate();
    expect(data.overTime).toHaveLength(24);
    expect(data.overTime.slice(0, 5)).toEqual([
      { allow: 2, challenge: 0, deny: 0 },
      { allow: 0, challenge: 2, deny: 0 },
      { allow: 0, challenge: 0, deny: 3 },
      { allow: 1, challenge: 0, deny: 1 },
      { allow: 0, challenge: 0, deny: 0 },
    ]);
    expect(data.overTime.slice(4).every((c) => c.allow + c.challenge + c.deny === 0)).toBe(true);
  });

  test('by tool and by principal: busiest first, ties by name', async () => {
    const data = await aggregate();
    expect(data.tools.rows.map((r) => [`${r.server}/${r.tool}`, r.total, r.counts])).toEqual([
      ['filesystem/read_text_file', 5, { allow: 3, challenge: 0, deny: 2 }],
      ['filesystem/write_file', 3, { allow: 0, challenge: 2, deny: 1 }],
      ['other/search', 1, { allow: 0, challenge: 0, deny: 1 }],
    ]);
    expect(data.principals.rows.map((r) => [r.principal, r.total])).toEqual([
      ['alice', 3],
      ['bob', 3],
      ['carol', 2],
      ['dave', 1],
    ]);
    expect(data.tools.other).toBeUndefined();
  });

  test('denials grouped by rules and reason; a person refusing is one group whatever the approval id', async () => {
    const data = await aggregate();
    expect(data.denials.groups).toEqual([
      { rules: ['never-dotenv'], reason: 'dotenv files hold secrets', byPerson: false, count: 2, last: '2025-01-01T02:20:00.000Z' },
      { rules: ['writes-need-a-person'], reason: 'a person denied the call', byPerson: true, count: 1, last: '2025-01-01T02:00:00.000Z' },
      { rules: [], reason: 'no rule matched; default deny', byPerson: false, count: 1, last: '2025-01-01T03:00:00.000Z' },
    ]);
    expect(data.denials.recent.map((d) => d.principal)).toEqual(['bob', 'carol', 'carol', 'alice']);
    const lines = await linesOf(logPath);
    for (const d of data.denials.recent) expect(JSON.parse(lines[d.line - 1] as string)).toMatchObject({ decision: 'deny', time: d.time });
    expect(data.denials.recent[2]).toMatchObject({ principal: 'carol', rules: ['never-dotenv'], args: '{"path":"./.env.local","token":"[redacted]"}' });
  });

  test('approvals: approved and forwarded, denied by a person, waiting', async () => {
    const data = await aggregate();
    expect(data.approvals).toMatchObject({ forwarded: 1, refused: 1, waiting: 1 });
    expect(data.approvals.recent.map((a) => [a.approval, a.status, a.decision])).toEqual([
      ['ap-1', 'waiting', 'challenge'],
      ['ap-1', 'forwarded', 'challenge'],
      ['ap-2', 'refused', 'deny'],
    ]);
  });

  test('outcomes of forwarded calls, one without an outcome line, and latency percentiles', async () => {
    const data = await aggregate();
    expect(data.forwarded).toBe(4);
    expect(data.outcomes).toEqual({ ok: 2, 'tool-error': 1, error: 0, 'upstream-unavailable': 0, none: 1 });
    expect(data.latency?.count).toBe(3);
    expect(data.latency?.p50).toBeCloseTo(20, 0);
    expect(data.latency?.p90).toBeCloseTo(30, 0);
    expect(data.latency?.p99).toBeCloseTo(30, 0);
    expect(data.latency?.max).toBe(30);
  });

  test('an outcome logged after its decision left the join window still counts once', async () => {
    const late = await aggregate(1);
    const joined = await aggregate();
    expect(late.outcomes).toEqual(joined.outcomes);
    expect(late.latency).toEqual(joined.latency);
  });

  test('no decisions: zeros, empty rows, no latency', async () => {
    const aggregator = new ReportAggregator(reportPeriod(DAY_END, DAY_END + 3_600_000));
    for (const item of await itemsOf(logPath, DAY_END)) aggregator.add(item);
    const data = aggregator.result();
    expect(data).toMatchObject({ total: 0, forwarded: 0, latency: null, first: null, last: null });
    expect(data.tools.rows).toEqual([]);
    expect(data.overTime).toEqual([{ allow: 0, challenge: 0, deny: 0 }]);
  });

  test('memory stays bounded: keys beyond the limits are summed as other, recent lists keep the latest', () => {
    const aggregator = new ReportAggregator(reportPeriod(DAY_START, DAY_END), { tools: 2, principals: 3, denialGroups: 2, recent: 4 });
    const d = (n: number): DecisionLine =>
      ({
        ...entry(n, { tool: `t${n % 5}`, principal: `p${n}`, decision: 'deny', receipt: null, rules: ['r'], reasons: [`why ${n}`] }),
        type: 'decision',
        outcome: null,
        latency_ms: null,
        prev: '0'.repeat(64),
        hash: '0'.repeat(64),
      }) as DecisionLine;
    for (let n = 0; n < 1000; n++) aggregator.add({ kind: 'decision', line: n + 1, record: d(n) });
    const data = aggregator.result();
    expect(data.tools.rows).toHaveLength(2);
    expect(data.tools.other?.total).toBe(600);
    expect(data.principals.rows).toHaveLength(3);
    expect(data.principals.other?.total).toBe(997);
    expect(data.denials.groups).toHaveLength(2);
    expect(data.denials.other).toBe(998);
    expect(data.denials.recent.map((r) => r.line)).toEqual([997, 998, 999, 1000]);
  });
});
