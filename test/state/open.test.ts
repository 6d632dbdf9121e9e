import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openState } from '../../src/state/open.js';

describe('openState', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tg-open-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  test('state.path opens the SQLite store there', async () => {
    const store = await openState({ path: join(dir, 'toolgate.db') });
    expect(store.location).toBe(join(dir, 'toolgate.db'));
    await store.close();
  });

  test('state.redis is refused with TG_STATE_FAILED until Redis is implemented', async () => {
    await expect(openState({ path: join(dir, 'x.db'), redis: 'redis://127.0.0.1:6379' })).rejects.toMatchObject({
      code: 'TG_STATE_FAILED',
      details: { field: 'state.redis' },
    });
  });
});
