import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { approveRounds } from './support/rounds.js';
import { openSqliteState } from '../../src/state/sqlite.js';
import { runTogether } from '../state/support/children.js';

const T0 = 1_750_000_000_000;
const PROCESSES = 5;
const CONNECTIONS = 4; // 5 processes × 4 connections = 20 identical calls per approval
const ROUNDS = 10;

describe('single-use approvals under a race between processes', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tg-race-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  test('20 concurrent identical calls from 5 processes against one single-use approval: exactly one goes through, every round', async () => {
    const path = join(dir, 'toolgate.db');
    const state = await openSqliteState(path);
    const ids = await approveRounds(state, ROUNDS, T0);
    const child = fileURLToPath(new URL('./support/race-child.ts', import.meta.url));
    const results = (await runTogether(
      child,
      Array.from({ length: PROCESSES }, () => [path, String(CONNECTIONS), String(ROUNDS), String(T0 + 1)]),
    )) as string[][];
    expect(results.flat().sort()).toEqual([...ids].sort());
    expect(await state.grants.list(T0 + 1)).toEqual([]);
    await state.close();
  });
});
