import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { approveRounds } from '../approvals/support/rounds.js';
import { openRedisState } from '../../src/state/redis.js';
import { startRedisServer, type RedisServer } from './redis-server.js';
import { runTogether } from './support/children.js';

const T0 = 1_750_000_000_000;
const PROCESSES = 5;
const CONNECTIONS = 4; // 5 processes × 4 connections = 20 identical calls per approval
const ROUNDS = 10;
const CHILD = fileURLToPath(new URL('./redis-race-child.ts', import.meta.url));

describe('Redis state under a race between processes', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => server.stop());

  test('20 concurrent identical calls from 5 processes against one single-use approval: exactly one goes through, every round', async () => {
    const prefix = 'race:';
    const state = await openRedisState(server.url, { prefix });
    const ids = await approveRounds(state, ROUNDS, T0);
    const results = (await runTogether(
      CHILD,
      Array.from({ length: PROCESSES }, () => [server.url, prefix, String(CONNECTIONS), String(ROUNDS), String(T0 + 1)]),
    )) as string[][];
    expect(results.flat().sort()).toEqual([...ids].sort());
    expect(await state.grants.list(T0 + 1)).toEqual([]);
    await state.close();
  });

  test('a grant with three uses, raced by 20 calls from 5 processes: exactly three go through', async () => {
    const prefix = 'race-3:';
    const state = await openRedisState(server.url, { prefix });
    const call = { principal: 'alice', session: 'asker', server: 'filesystem', tool: 'write_file', args_sha256: '0'.repeat(64), args_preview: '{}', reason: 'w', rules: ['w'] };
    await state.approvals.putPending({ ...call, id: 'apr_three', status: 'pending', created_at: T0, expires_at: T0 + 600_000 }, T0);
    await state.approvals.resolve('apr_three', { status: 'approved', scope: 'once', grant: { sessionBound: false, uses: 3, expires_at: T0 + 600_000 } }, T0);
    const results = (await runTogether(
      CHILD,
      Array.from({ length: PROCESSES }, () => [server.url, prefix, String(CONNECTIONS), '1', String(T0 + 1)]),
    )) as string[][];
    expect(results.flat()).toEqual(['apr_three', 'apr_three', 'apr_three']);
    await state.close();
  });

  test('rate hits from 5 processes on one counter are all counted, each count handed out once', async () => {
    const prefix = 'race-rate:';
    const child = fileURLToPath(new URL('./redis-hit-child.ts', import.meta.url));
    const results = (await runTogether(child, Array.from({ length: PROCESSES }, () => [server.url, prefix, '40']))) as number[][];
    expect(results.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    const state = await openRedisState(server.url, { prefix });
    expect((await state.rates.counts(['shared'], T0)).get('shared')).toBe(200);
    await state.close();
  });
});
