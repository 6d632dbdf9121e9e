// Shared by the report tests: a small real decision log (written by the real writer, signed checkpoints) with known numbers.
import { readFile } from 'node:fs/promises';
import { openDecisionLog, type CheckpointSigner, type DecisionEntry } from '../../src/log/decisions.js';
import { OutcomeJoiner, type ReviewItem } from '../../src/log/review.js';
import { entry } from '../log/helpers.js';

/** The period the sample log is written for: one day, so hour buckets. */
export const DAY_START = Date.UTC(2025, 0, 1);
export const DAY_END = Date.UTC(2025, 0, 2);

const at = (h: number, m: number): string => new Date(DAY_START + h * 3_600_000 + m * 60_000).toISOString();

/**
 * Writes the sample log at `path` and closes it (unless `keepOpen`): ten decisions, one of them
 * before the day. In the day: 3 allow, 2 challenge, 4 deny; alice 3, bob 3, carol 2, dave 1;
 * approvals: 1 forwarded, 1 refused, 1 waiting; outcomes: ok 10 ms and 30 ms, tool-error 20 ms, one without.
 */
export async function writeSampleLog(path: string, signer: CheckpointSigner, over: Partial<DecisionEntry> = {}): Promise<void> {
  const log = await openDecisionLog({ path, redact: ['args.token'], checkpoint: { every: 5, intervalMs: 60_000 }, signer, now: () => DAY_END });
  const e = (n: number, fields: Partial<DecisionEntry>): DecisionEntry => entry(n, { ...fields, ...over });
  await log.append(e(0, { time: new Date(DAY_START - 3_600_000).toISOString(), principal: 'early' }));
  await log.append(e(1, { time: at(0, 10) }));
  await log.append(e(2, { time: at(0, 20) }));
  await log.outcome('id-1', { outcome: 'ok', latency_ms: 10 });
  await log.outcome('id-2', { outcome: 'tool-error', latency_ms: 20 });
  const write = { principal: 'bob', tool: 'write_file', rules: ['writes-need-a-person'], reasons: ['writes change files on disk'] };
  await log.append(e(3, { ...write, time: at(1, 5), decision: 'challenge', receipt: null, approval: 'ap-1' }));
  await log.append(e(4, { ...write, time: at(1, 30), decision: 'challenge', approval: 'ap-1' }));
  await log.outcome('id-4', { outcome: 'ok', latency_ms: 30 });
  await log.append(e(5, { ...write, time: at(2, 0), decision: 'deny', receipt: null, approval: 'ap-2', reasons: ['a person denied this call (approval ap-2)'] }));
  const dotenv = { principal: 'carol', decision: 'deny' as const, receipt: null, rules: ['never-dotenv'], reasons: ['dotenv files hold secrets'] };
  await log.append(e(6, { ...dotenv, time: at(2, 10), args: { path: './sandbox/.env' } }));
  await log.append(e(7, { ...dotenv, time: at(2, 20), args: { path: './.env.local', token: 'sekret' } }));
  await log.append(e(8, { time: at(3, 0), server: 'other', tool: 'search', decision: 'deny', receipt: null, rules: [], reasons: ['no rule matched; default deny'] }));
  await log.append(e(9, { time: at(3, 30), principal: 'dave' }));
  await log.close();
}

/** The log's review items for decisions at or after `since`, as the report reads them. */
export async function itemsOf(path: string, since: number, windowLines = 50_000): Promise<ReviewItem[]> {
  const items: ReviewItem[] = [];
  const joiner = new OutcomeJoiner({ since }, (i) => items.push(i), windowLines);
  const text = await readFile(path, 'utf8');
  text
    .split('\n')
    .filter(Boolean)
    .forEach((line, i) => joiner.push(JSON.parse(line), i + 1));
  joiner.flush();
  return items;
}
