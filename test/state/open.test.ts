import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
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

  test('state.redis opens Redis instead of SQLite: a Redis that is not there is TG_STATE_FAILED, and no SQLite file is made', async () => {
    const port = await freePort();
    await expect(openState({ path: join(dir, 'x.db'), redis: `redis://:hunter2-secret@127.0.0.1:${port}` })).rejects.toSatisfy(
      (e: { code?: string; message?: string }) => e.code === 'TG_STATE_FAILED' && !String(e.message).includes('hunter2-secret'),
    );
    expect(existsSync(join(dir, 'x.db'))).toBe(false);
  });
});

// A port nothing listens on: bind one, note it, release it.
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
