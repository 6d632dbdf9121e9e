import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JSONWebKeySet } from 'jose';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { collectReport, type CollectProgress } from '../../src/report/collect.js';
import { makeSigner, tempDir } from '../log/helpers.js';
import { DAY_END, DAY_START, writeSampleLog } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
let logPath: string;
let jwks: JSONWebKeySet;

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir('tg-report-collect-'));
  logPath = join(dir, 'decisions.jsonl');
  const made = await makeSigner();
  jwks = made.jwks;
  await writeSampleLog(logPath, made.signer);
});
afterEach(async () => cleanup());

describe('collectReport', () => {
  test('verifies the whole chain and counts the period, reporting progress of both passes', async () => {
    const seen: CollectProgress[] = [];
    const { data, chain, unreadable } = await collectReport({ logPath, since: DAY_START, now: DAY_END, jwks, onProgress: (p) => seen.push(p) });
    expect(chain).toMatchObject({ ok: true, closed: true, signaturesChecked: true });
    expect(data.total).toBe(9);
    expect(unreadable).toBe(0);
    expect(seen.map((p) => p.stage)).toEqual(['verify', 'count']);
    expect(seen.every((p) => p.bytes === p.total && p.total > 0)).toBe(true);
  });

  test('the period filters the counts, not the chain check', async () => {
    const { data, chain } = await collectReport({ logPath, since: DAY_START + 3 * 3_600_000, now: DAY_END });
    expect(data.total).toBe(2);
    expect(chain.ok).toBe(true);
    expect(chain.signaturesChecked).toBe(false);
  });

  test('a garbage line is an unreadable line and breaks the chain there', async () => {
    await appendFile(logPath, 'not json\n');
    const { data, chain, unreadable } = await collectReport({ logPath, since: DAY_START, now: DAY_END, jwks });
    expect(unreadable).toBe(1);
    expect(chain.firstBad).toMatchObject({ reason: 'malformed', line: chain.lines + 1 });
    expect(data.total).toBe(9);
  });

  test('no log: TG_FILE_NOT_FOUND', async () => {
    await expect(collectReport({ logPath: join(dir, 'none.jsonl'), since: DAY_START, now: DAY_END })).rejects.toMatchObject({ code: 'TG_FILE_NOT_FOUND' });
  });
});
