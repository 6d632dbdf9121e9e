import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { MIGRATIONS } from '../../src/state/migrations.js';
import { openSqliteState } from '../../src/state/sqlite.js';
import { pendingOf, stateStoreContract } from './contract.js';
import { runTogether } from './support/children.js';

let root: string;
let n = 0;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'tg-state-'));
});
afterAll(async () => rm(root, { recursive: true, force: true }));

stateStoreContract('sqlite', {
  fresh: async () => {
    const path = join(root, `contract-${n++}`, 'toolgate.db');
    return { open: () => openSqliteState(path), cleanup: async () => {} };
  },
});

describe('openSqliteState', () => {
  test('creates the folder and an owner-only file in WAL mode with a busy timeout and the schema version', async () => {
    const path = join(root, 'new', 'deeper', 'toolgate.db');
    const store = await openSqliteState(path);
    try {
      expect(store.location).toBe(path);
      expect((await stat(path)).mode & 0o777).toBe(0o600);
      const raw = new Database(path, { readonly: true });
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(raw.prepare('SELECT version FROM schema_version').all()).toEqual([{ version: MIGRATIONS.length }]);
      raw.close();
    } finally {
      await store.close();
    }
  });

  test('data survives closing and reopening, and reopening does not migrate again', async () => {
    const path = join(root, 'reopen.db');
    const first = await openSqliteState(path);
    await first.approvals.putPending(pendingOf('apr_1'), 0);
    await first.close();
    const second = await openSqliteState(path);
    expect((await second.approvals.get('apr_1'))?.id).toBe('apr_1');
    await second.close();
    const raw = new Database(path, { readonly: true });
    expect(raw.prepare('SELECT count(*) AS n FROM schema_version').get()).toEqual({ n: 1 });
    raw.close();
  });

  test('a file from a newer toolgate is TG_STATE_FAILED naming the file', async () => {
    const path = join(root, 'newer.db');
    (await openSqliteState(path)).close();
    const raw = new Database(path);
    raw.prepare('UPDATE schema_version SET version = ?').run(MIGRATIONS.length + 1);
    raw.close();
    await expect(openSqliteState(path)).rejects.toMatchObject({ code: 'TG_STATE_FAILED', details: { file: path } });
  });

  test('a file that is not SQLite is TG_STATE_FAILED naming the file', async () => {
    const path = join(root, 'not-a-db.db');
    await writeFile(path, 'this is not a database, just text that is long enough to have a header '.repeat(20));
    const failure = openSqliteState(path);
    await expect(failure).rejects.toMatchObject({ code: 'TG_STATE_FAILED', details: { file: path } });
    await expect(failure).rejects.toThrow(path);
  });

  test('a folder that cannot be made is TG_STATE_FAILED', async () => {
    const blocker = join(root, 'a-file');
    await writeFile(blocker, 'x');
    await expect(openSqliteState(join(blocker, 'toolgate.db'))).rejects.toMatchObject({ code: 'TG_STATE_FAILED' });
  });

  test('using a closed store is TG_STATE_FAILED', async () => {
    const store = await openSqliteState(join(root, 'closed.db'));
    await store.close();
    await expect(store.approvals.listPending(0)).rejects.toMatchObject({ code: 'TG_STATE_FAILED' });
    await expect(store.grants.consume(pendingOf('x'), 's', 0)).rejects.toMatchObject({ code: 'TG_STATE_FAILED' });
  });

  test('four processes creating one new file at once migrate it once and count every hit', async () => {
    const path = join(root, 'processes', 'toolgate.db');
    const child = fileURLToPath(new URL('./support/hit-child.ts', import.meta.url));
    const results = (await runTogether(child, Array.from({ length: 4 }, () => [path, '25']))) as number[][];
    const all = results.flat().sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    const store = await openSqliteState(path);
    expect((await store.rates.counts(['shared'], 1_750_000_000_000)).get('shared')).toBe(100);
    await store.close();
  });
});
