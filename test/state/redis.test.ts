import { createServer, type Server, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openRedisState, REDIS_KEY_PREFIX } from '../../src/state/redis.js';
import type { StateStore } from '../../src/state/store.js';
import { bindingOf, pendingOf, stateStoreContract } from './contract.js';
import { freePort, startRedisServer, type RedisServer } from './redis-server.js';

const T0 = 1_750_000_000_000;
const MIN = 60_000;

let server: RedisServer;
let raw: Redis;
let n = 0;
beforeAll(async () => {
  server = await startRedisServer();
  raw = new Redis(server.url);
});
afterAll(async () => {
  raw.disconnect();
  await server.stop();
});

// Each fixture is its own key prefix on the one server: fresh and empty, as the suite needs.
stateStoreContract('redis', {
  fresh: async () => {
    const prefix = `contract-${n++}:`;
    return { open: () => openRedisState(server.url, { prefix }), cleanup: async () => {} };
  },
});

describe('openRedisState', () => {
  const opened: StateStore[] = [];
  const open = async (prefix = `t-${n++}:`): Promise<StateStore> => {
    const store = await openRedisState(server.url, { prefix });
    opened.push(store);
    return store;
  };
  afterAll(async () => {
    for (const s of opened) await s.close();
  });

  test('the location is the URL; every key starts with the prefix, toolgate: by default', async () => {
    const store = await openRedisState(server.url);
    opened.push(store);
    expect(store.location).toBe(server.url);
    expect(REDIS_KEY_PREFIX).toBe('toolgate:');
    const before = new Set(await raw.keys('*'));
    await store.approvals.putPending(pendingOf('apr_1'), T0);
    await store.approvals.resolve('apr_1', { status: 'approved', scope: 'once', grant: { sessionBound: false, uses: 1, expires_at: T0 + MIN } }, T0);
    await store.rates.hit('r', MIN, T0);
    await store.replay.claim('j', T0 + MIN, T0);
    await store.pins.pinIfAbsent({ server: 's', tool: 't', hash: 'h', definition: '{}' }, T0);
    const added = (await raw.keys('*')).filter((k) => !before.has(k));
    expect(added.length).toBeGreaterThanOrEqual(8);
    expect(added.filter((k) => !k.startsWith('toolgate:'))).toEqual([]);
  });

  test('two prefixes on one Redis share nothing', async () => {
    const a = await open();
    const b = await open();
    await a.approvals.putPending(pendingOf('apr_1'), T0);
    await a.pins.pinIfAbsent({ server: 's', tool: 't', hash: 'h', definition: '{}' }, T0);
    expect(await b.approvals.get('apr_1')).toBeNull();
    expect(await b.approvals.listPending(T0)).toEqual([]);
    expect(await b.pins.list()).toEqual([]);
  });

  test('records carry a Redis expiry that outlasts their own, so Redis collects what sweep misses; pins never expire', async () => {
    const p = `ttl-${n++}:`;
    const store = await open(p);
    await store.replay.claim('j', Date.now() + MIN, Date.now());
    await store.rates.hit('r', MIN, Date.now());
    await store.approvals.putPending(pendingOf('apr_1', { created_at: Date.now(), expires_at: Date.now() + 10 * MIN }), Date.now());
    await store.pins.pinIfAbsent({ server: 's', tool: 't', hash: 'h', definition: '{}' }, Date.now());
    const replayTtl = await raw.pttl(`${p}replay:j`);
    expect(replayTtl).toBeGreaterThan(MIN - 5_000);
    expect(replayTtl).toBeLessThanOrEqual(2 * MIN);
    expect(await raw.pttl(`${p}rate:r`)).toBeGreaterThan(0);
    expect(await raw.pttl(`${p}apr:apr_1`)).toBeGreaterThan(24 * 60 * MIN);
    expect(await raw.pttl(`${p}pin:["s","t"]`)).toBe(-1);
  });

  test('expiry follows the caller clock, not the Redis clock: a record from a clock far in the past still counts', async () => {
    const store = await open();
    // T0 lies in the past for Redis; an absolute Redis expiry would have dropped this at once.
    expect(await store.replay.claim('j', T0 + MIN, T0)).toBe(true);
    expect(await store.replay.claim('j', T0 + MIN, T0 + MIN - 1)).toBe(false);
    expect(await store.rates.hit('k', MIN, T0)).toBe(1);
    expect(await store.rates.hit('k', MIN, T0 + 1)).toBe(2);
  });

  test('sweep goes on past one batch: 1,200 expired replay records all go in one call', async () => {
    const store = await open();
    for (let i = 0; i < 1200; i += 100) {
      await Promise.all(Array.from({ length: 100 }, (_, j) => store.replay.claim(`j-${i + j}`, T0 + 1, T0)));
    }
    expect(await store.sweep(T0 + 1)).toBe(1200);
    expect(await store.sweep(T0 + 1)).toBe(0);
  });

  test('a grant swept after its last use is gone for consume and list', async () => {
    const store = await open();
    await store.approvals.putPending(pendingOf('apr_1'), T0);
    await store.approvals.resolve('apr_1', { status: 'approved', scope: 'once', grant: { sessionBound: false, uses: 2, expires_at: T0 + MIN } }, T0);
    expect(await store.grants.consume(bindingOf(), 's', T0)).toMatchObject({ uses_left: 1 });
    expect(await store.sweep(T0)).toBe(0);
    expect(await store.grants.consume(bindingOf(), 's', T0)).toMatchObject({ uses_left: 0 });
    expect(await store.sweep(T0)).toBe(1);
    expect(await store.grants.list(T0)).toEqual([]);
    expect(await store.grants.revoke('apr_1')).toBe(false);
  });

  test('using a closed store is TG_STATE_FAILED', async () => {
    const store = await openRedisState(server.url, { prefix: `closed-${n++}:` });
    await store.close();
    await expect(store.approvals.listPending(0)).rejects.toMatchObject({ code: 'TG_STATE_FAILED' });
    await expect(store.grants.consume(pendingOf('x'), 's', 0)).rejects.toMatchObject({ code: 'TG_STATE_FAILED' });
  });
});

describe('openRedisState: failures name the URL, never the password', () => {
  test('nothing listening: TG_STATE_FAILED naming host and port, without the credentials', async () => {
    const port = await freePort();
    const failure = openRedisState(`redis://admin:hunter2-secret@127.0.0.1:${port}/2?password=other-secret`);
    await expect(failure).rejects.toMatchObject({ code: 'TG_STATE_FAILED', details: { url: `redis://127.0.0.1:${port}/2` } });
    const message = await failure.catch((e: Error) => e.message);
    expect(message).toContain(`redis://127.0.0.1:${port}/2`);
    expect(message).not.toContain('hunter2');
    expect(message).not.toContain('other-secret');
    expect(message).not.toMatch(/\n/);
  });

  test('a server that accepts but never answers: TG_STATE_FAILED instead of waiting forever', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((s) => sockets.push(s));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    try {
      await expect(openRedisState(`redis://127.0.0.1:${port}`)).rejects.toMatchObject({ code: 'TG_STATE_FAILED' });
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  test('a wrong password: TG_STATE_FAILED without it; the right one opens', async () => {
    const guarded = await startRedisServer({ password: 'right-pass-123' });
    try {
      const failure = openRedisState(`redis://:wrong-pass-456@127.0.0.1:${guarded.port}`);
      await expect(failure).rejects.toMatchObject({ code: 'TG_STATE_FAILED' });
      const message = await failure.catch((e: Error) => e.message);
      expect(message).toContain(`redis://127.0.0.1:${guarded.port}`);
      expect(message).not.toContain('wrong-pass-456');
      const store = await openRedisState(guarded.url);
      expect(store.location).toBe(`redis://127.0.0.1:${guarded.port}`);
      expect(await store.rates.hit('k', MIN, T0)).toBe(1);
      await store.close();
    } finally {
      await guarded.stop();
    }
  });

  test('a URL that does not parse is TG_STATE_FAILED on state.redis', async () => {
    await expect(openRedisState('redis://[not a host')).rejects.toMatchObject({ code: 'TG_STATE_FAILED', details: { field: 'state.redis' } });
  });
});

describe('openRedisState: Redis going away and coming back', () => {
  test('calls fail closed with TG_STATE_FAILED while Redis is down and work again once it is back', async () => {
    const first = await startRedisServer();
    const store = await openRedisState(first.url);
    let second: RedisServer | undefined;
    try {
      expect(await store.rates.hit('k', MIN, T0)).toBe(1);
      await first.stop();
      await expect(store.rates.hit('k', MIN, T0)).rejects.toMatchObject({ code: 'TG_STATE_FAILED' });
      await expect(store.grants.consume(bindingOf(), 's', T0)).rejects.toMatchObject({ code: 'TG_STATE_FAILED' });
      await expect(store.replay.claim('j', T0 + MIN, T0)).rejects.toMatchObject({ code: 'TG_STATE_FAILED' });

      // A new, empty server on the same port: it knows none of the scripts (NOSCRIPT → EVAL).
      second = await startRedisServer({ port: first.port });
      let count: number | undefined;
      for (let attempt = 0; attempt < 100 && count === undefined; attempt++) {
        count = await store.rates.hit('k', MIN, T0).catch(async (e: unknown) => {
          expect(e).toMatchObject({ code: 'TG_STATE_FAILED' });
          await new Promise((resolve) => setTimeout(resolve, 100));
          return undefined;
        });
      }
      expect(count).toBe(1);
      expect(await store.replay.claim('j', T0 + MIN, T0)).toBe(true);
    } finally {
      await store.close();
      await first.stop();
      await second?.stop();
    }
  });
});
