/**
 * The StateStore contract as one suite every implementation runs (memory and SQLite now, Redis
 * later): call `stateStoreContract(name, harness)` from an implementation's test file.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { APPROVAL_RETENTION_MS, type ApprovalBinding, type ApprovalRecord, type Resolution, type StateStore } from '../../src/state/store.js';

/** One fresh, empty backing store; `open()` gives another handle (connection) on the same data. */
export interface StateFixture {
  open(): Promise<StateStore>;
  cleanup(): Promise<void>;
}

/** How the suite gets fresh stores for one implementation. */
export interface StateHarness {
  fresh(): Promise<StateFixture>;
}

const T0 = 1_750_000_000_000;
const MIN = 60_000;

/** A binding for tests; override what a case varies. */
export function bindingOf(overrides: Partial<ApprovalBinding> = {}): ApprovalBinding {
  return { principal: 'alice', server: 'filesystem', tool: 'write_file', args_sha256: 'a'.repeat(64), ...overrides };
}

/** A pending approval record for tests. */
export function pendingOf(id: string, overrides: Partial<ApprovalRecord> = {}): ApprovalRecord {
  return {
    ...bindingOf(),
    id,
    session: 's1',
    args_preview: '{"path":"a.txt"}',
    reason: 'writes change files on disk',
    rules: ['writes-need-a-person'],
    status: 'pending',
    created_at: T0,
    expires_at: T0 + 10 * MIN,
    ...overrides,
  };
}

const once = (expires_at: number): Resolution => ({ status: 'approved', by: 'bob', scope: 'once', grant: { sessionBound: false, uses: 1, expires_at } });

/** Registers the whole contract suite for one implementation. */
export function stateStoreContract(name: string, harness: StateHarness): void {
  describe(`StateStore contract: ${name}`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const c of cleanups.splice(0).reverse()) await c();
    });
    const fresh = async (): Promise<{ store: StateStore; fixture: StateFixture }> => {
      const fixture = await harness.fresh();
      cleanups.push(() => fixture.cleanup());
      const store = await fixture.open();
      cleanups.push(() => store.close());
      return { store, fixture };
    };
    const another = async (fixture: StateFixture): Promise<StateStore> => {
      const store = await fixture.open();
      cleanups.push(() => store.close());
      return store;
    };

    describe('approvals', () => {
      test('a pending approval is stored and read back as written', async () => {
        const { store } = await fresh();
        const stored = await store.approvals.putPending(pendingOf('apr_1'), T0);
        expect(stored).toEqual(pendingOf('apr_1'));
        expect(await store.approvals.get('apr_1')).toEqual(pendingOf('apr_1'));
        expect(await store.approvals.get('apr_unknown')).toBeNull();
      });

      test('a second request for the same binding returns the standing one, now naming the newer session', async () => {
        const { store } = await fresh();
        await store.approvals.putPending(pendingOf('apr_1'), T0);
        const again = await store.approvals.putPending(pendingOf('apr_2', { session: 's2', created_at: T0 + MIN }), T0 + MIN);
        expect(again.id).toBe('apr_1');
        expect(again.session).toBe('s2');
        expect(again.expires_at).toBe(T0 + 10 * MIN);
        expect(await store.approvals.get('apr_2')).toBeNull();
      });

      test('other arguments, another tool, server or principal make separate approvals', async () => {
        const { store } = await fresh();
        await store.approvals.putPending(pendingOf('apr_1'), T0);
        const variants: Partial<ApprovalRecord>[] = [{ args_sha256: 'b'.repeat(64) }, { tool: 'edit_file' }, { server: 'other' }, { principal: 'mallory' }];
        for (const [i, v] of variants.entries()) {
          expect((await store.approvals.putPending(pendingOf(`apr_v${i}`, v), T0)).id).toBe(`apr_v${i}`);
        }
        expect(await store.approvals.listPending(T0)).toHaveLength(5);
      });

      test('an expired pending approval is not listed and does not absorb a new request', async () => {
        const { store } = await fresh();
        await store.approvals.putPending(pendingOf('apr_1'), T0);
        const later = T0 + 10 * MIN;
        expect(await store.approvals.listPending(later)).toEqual([]);
        const fresh2 = await store.approvals.putPending(pendingOf('apr_2', { created_at: later, expires_at: later + 10 * MIN }), later);
        expect(fresh2.id).toBe('apr_2');
      });

      test('listPending is oldest first and leaves out resolved approvals', async () => {
        const { store } = await fresh();
        await store.approvals.putPending(pendingOf('apr_b', { created_at: T0 + 2, tool: 't2' }), T0);
        await store.approvals.putPending(pendingOf('apr_a', { created_at: T0 + 1, tool: 't1' }), T0);
        await store.approvals.putPending(pendingOf('apr_c', { created_at: T0 + 3, tool: 't3' }), T0);
        await store.approvals.resolve('apr_c', { status: 'denied' }, T0);
        expect((await store.approvals.listPending(T0)).map((a) => a.id)).toEqual(['apr_a', 'apr_b']);
      });

      test('approving records who, when and the scope, and writes a grant bound to the same call', async () => {
        const { store } = await fresh();
        await store.approvals.putPending(pendingOf('apr_1'), T0);
        const resolved = await store.approvals.resolve('apr_1', once(T0 + 20 * MIN), T0 + MIN);
        expect(resolved).toMatchObject({ status: 'approved', resolved_at: T0 + MIN, resolved_by: 'bob', scope: 'once' });
        expect(await store.grants.list(T0 + MIN)).toEqual([
          { ...bindingOf(), approval_id: 'apr_1', session: null, uses_left: 1, created_at: T0 + MIN, expires_at: T0 + 20 * MIN },
        ]);
      });

      test('a duration scope survives the round trip', async () => {
        const { store } = await fresh();
        await store.approvals.putPending(pendingOf('apr_1'), T0);
        await store.approvals.resolve('apr_1', { status: 'approved', scope: { durationMs: 3_600_000 }, grant: { sessionBound: false, uses: null, expires_at: T0 + 3_600_000 } }, T0);
        expect((await store.approvals.get('apr_1'))?.scope).toEqual({ durationMs: 3_600_000 });
      });

      test('a session-bound grant takes the session of the approval', async () => {
        const { store } = await fresh();
        await store.approvals.putPending(pendingOf('apr_1', { session: 'sX' }), T0);
        await store.approvals.resolve('apr_1', { status: 'approved', scope: 'session', grant: { sessionBound: true, uses: null, expires_at: T0 + 60 * MIN } }, T0);
        expect((await store.grants.list(T0))[0]?.session).toBe('sX');
      });

      test('unknown, expired and already resolved approvals cannot be resolved', async () => {
        const { store } = await fresh();
        expect(await store.approvals.resolve('apr_nope', once(T0 + MIN), T0)).toBeNull();
        await store.approvals.putPending(pendingOf('apr_1'), T0);
        expect(await store.approvals.resolve('apr_1', once(T0 + 20 * MIN), T0 + 10 * MIN)).toBeNull();
        await store.approvals.putPending(pendingOf('apr_2', { tool: 'other' }), T0);
        expect(await store.approvals.resolve('apr_2', { status: 'denied' }, T0)).not.toBeNull();
        expect(await store.approvals.resolve('apr_2', once(T0 + 20 * MIN), T0)).toBeNull();
        expect(await store.grants.list(T0)).toEqual([]);
      });

      test('a denial stands for its binding until the approval expires', async () => {
        const { store } = await fresh();
        await store.approvals.putPending(pendingOf('apr_1'), T0);
        await store.approvals.resolve('apr_1', { status: 'denied', by: 'bob' }, T0 + MIN);
        expect((await store.approvals.findDenied(bindingOf(), T0 + 2 * MIN))?.id).toBe('apr_1');
        expect(await store.approvals.findDenied(bindingOf({ args_sha256: 'b'.repeat(64) }), T0 + 2 * MIN)).toBeNull();
        expect(await store.approvals.findDenied(bindingOf(), T0 + 10 * MIN)).toBeNull();
        expect(await store.grants.list(T0)).toEqual([]);
      });

      test('two racing resolutions of one approval: exactly one wins', async () => {
        const { store, fixture } = await fresh();
        const other = await another(fixture);
        await store.approvals.putPending(pendingOf('apr_1'), T0);
        const results = await Promise.all([store.approvals.resolve('apr_1', once(T0 + MIN), T0), other.approvals.resolve('apr_1', { status: 'denied' }, T0)]);
        expect(results.filter((r) => r !== null)).toHaveLength(1);
      });
    });

    describe('grants', () => {
      const grantWith = async (store: StateStore, id: string, grant: { sessionBound: boolean; uses: number | null; expires_at: number }, session = 's1'): Promise<void> => {
        await store.approvals.putPending(pendingOf(id, { session }), T0);
        await store.approvals.resolve(id, { status: 'approved', scope: 'once', grant }, T0);
      };

      test('a single-use grant is used exactly once', async () => {
        const { store } = await fresh();
        await grantWith(store, 'apr_1', { sessionBound: false, uses: 1, expires_at: T0 + MIN });
        expect(await store.grants.consume(bindingOf(), 'any', T0)).toMatchObject({ approval_id: 'apr_1', uses_left: 0 });
        expect(await store.grants.consume(bindingOf(), 'any', T0)).toBeNull();
        expect(await store.grants.list(T0)).toEqual([]);
      });

      test('a grant never covers other arguments, another tool, server or principal', async () => {
        const { store } = await fresh();
        await grantWith(store, 'apr_1', { sessionBound: false, uses: null, expires_at: T0 + MIN });
        for (const b of [{ args_sha256: 'b'.repeat(64) }, { tool: 'edit_file' }, { server: 'other' }, { principal: 'mallory' }]) {
          expect(await store.grants.consume(bindingOf(b), 's1', T0)).toBeNull();
        }
        expect(await store.grants.consume(bindingOf(), 's1', T0)).not.toBeNull();
      });

      test('a session-bound grant serves only its session, any number of times', async () => {
        const { store } = await fresh();
        await grantWith(store, 'apr_1', { sessionBound: true, uses: null, expires_at: T0 + MIN }, 's1');
        expect(await store.grants.consume(bindingOf(), 's2', T0)).toBeNull();
        for (let i = 0; i < 3; i++) expect(await store.grants.consume(bindingOf(), 's1', T0)).toMatchObject({ approval_id: 'apr_1', uses_left: null });
      });

      test('a grant with an expiry serves until then and not at that instant', async () => {
        const { store } = await fresh();
        await grantWith(store, 'apr_1', { sessionBound: false, uses: null, expires_at: T0 + MIN });
        expect(await store.grants.consume(bindingOf(), 's9', T0 + MIN - 1)).not.toBeNull();
        expect(await store.grants.consume(bindingOf(), 's9', T0 + MIN)).toBeNull();
      });

      test('an unlimited grant is used before a single-use one, which stays for later', async () => {
        const { store } = await fresh();
        await grantWith(store, 'apr_once', { sessionBound: false, uses: 1, expires_at: T0 + 5 * MIN });
        // apr_once is resolved, so the same binding gets a new pending approval.
        await store.approvals.putPending(pendingOf('apr_dur'), T0);
        await store.approvals.resolve('apr_dur', { status: 'approved', scope: 'session', grant: { sessionBound: false, uses: null, expires_at: T0 + MIN } }, T0);
        expect((await store.grants.consume(bindingOf(), 's1', T0))?.approval_id).toBe('apr_dur');
        expect((await store.grants.consume(bindingOf(), 's1', T0 + 2 * MIN))?.approval_id).toBe('apr_once');
      });

      test('20 concurrent consumers of one single-use grant over several handles: exactly one succeeds', async () => {
        const { store, fixture } = await fresh();
        const handles = [store, await another(fixture), await another(fixture), await another(fixture)];
        await grantWith(store, 'apr_1', { sessionBound: false, uses: 1, expires_at: T0 + MIN });
        const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (handles[i % handles.length] as StateStore).grants.consume(bindingOf(), `s${i}`, T0)));
        expect(results.filter((r) => r !== null)).toHaveLength(1);
      });

      test('revoke removes a grant', async () => {
        const { store } = await fresh();
        await grantWith(store, 'apr_1', { sessionBound: false, uses: null, expires_at: T0 + MIN });
        expect(await store.grants.revoke('apr_1')).toBe(true);
        expect(await store.grants.revoke('apr_1')).toBe(false);
        expect(await store.grants.consume(bindingOf(), 's1', T0)).toBeNull();
      });
    });

    describe('rates', () => {
      test('hits count up within a window and start again in the next one', async () => {
        const { store } = await fresh();
        const start = 1_000 * MIN; // aligned to a 1-minute window
        expect(await store.rates.hit('k', MIN, start)).toBe(1);
        expect(await store.rates.hit('k', MIN, start + 1)).toBe(2);
        expect(await store.rates.hit('k', MIN, start + MIN - 1)).toBe(3);
        expect(await store.rates.counts(['k'], start + MIN - 1)).toEqual(new Map([['k', 3]]));
        expect(await store.rates.counts(['k'], start + MIN)).toEqual(new Map());
        expect(await store.rates.hit('k', MIN, start + MIN)).toBe(1);
      });

      test('counts leave out keys without hits', async () => {
        const { store } = await fresh();
        await store.rates.hit('a', MIN, T0);
        await store.rates.hit('a', MIN, T0);
        await store.rates.hit('b', MIN, T0);
        expect(await store.rates.counts(['a', 'b', 'c'], T0)).toEqual(new Map([['a', 2], ['b', 1]]));
      });

      test('concurrent hits over several handles are all counted', async () => {
        const { store, fixture } = await fresh();
        const other = await another(fixture);
        await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 ? store : other).rates.hit('k', 3_600_000, T0)));
        expect((await store.rates.counts(['k'], T0)).get('k')).toBe(30);
      });

      test('a window that is not a positive whole number of ms is TG_INTERNAL', async () => {
        const { store } = await fresh();
        await expect(store.rates.hit('k', 0, T0)).rejects.toMatchObject({ code: 'TG_INTERNAL' });
      });
    });

    describe('replay', () => {
      test('an id is claimed once until its record expires', async () => {
        const { store, fixture } = await fresh();
        const other = await another(fixture);
        expect(await store.replay.claim('jti-1', T0 + MIN, T0)).toBe(true);
        expect(await other.replay.claim('jti-1', T0 + MIN, T0 + 1)).toBe(false);
        expect(await store.replay.claim('jti-2', T0 + MIN, T0)).toBe(true);
        expect(await store.replay.claim('jti-1', T0 + 2 * MIN, T0 + MIN)).toBe(true);
      });
    });

    describe('pins', () => {
      const def = (d: string) => ({ server: 'fs', tool: 'read', hash: `h-${d}`, definition: JSON.stringify({ d }) });

      test('the first definition seen is pinned; later ones do not replace it', async () => {
        const { store, fixture } = await fresh();
        const other = await another(fixture);
        const first = await store.pins.pinIfAbsent(def('1'), T0);
        expect(first).toEqual({ ...def('1'), first_seen: T0, updated_at: T0, status: 'pinned' });
        expect(await other.pins.pinIfAbsent(def('2'), T0 + 1)).toEqual(first);
        expect(await other.pins.get('fs', 'read')).toEqual(first);
        expect(await store.pins.get('fs', 'nope')).toBeNull();
      });

      test('a changed definition is kept beside the pin until accepted', async () => {
        const { store } = await fresh();
        await store.pins.pinIfAbsent(def('1'), T0);
        const changed = await store.pins.markChanged('fs', 'read', 'h-2', '{"d":"2"}', T0 + 1);
        expect(changed).toMatchObject({ hash: 'h-1', status: 'changed', changed: { hash: 'h-2', definition: '{"d":"2"}', seen_at: T0 + 1 } });
        const accepted = await store.pins.accept('fs', 'read', T0 + 2);
        expect(accepted).toEqual({ ...def('2'), first_seen: T0, updated_at: T0 + 2, status: 'pinned' });
        expect(await store.pins.accept('fs', 'read', T0 + 3)).toEqual(accepted);
      });

      test('showing the pinned definition again clears a change', async () => {
        const { store } = await fresh();
        await store.pins.pinIfAbsent(def('1'), T0);
        await store.pins.markChanged('fs', 'read', 'h-2', '{}', T0 + 1);
        const back = await store.pins.markChanged('fs', 'read', 'h-1', def('1').definition, T0 + 2);
        expect(back).toEqual({ ...def('1'), first_seen: T0, updated_at: T0 + 2, status: 'pinned' });
      });

      test('unknown pins are null and list is ordered by server then tool', async () => {
        const { store } = await fresh();
        expect(await store.pins.markChanged('x', 'y', 'h', '{}', T0)).toBeNull();
        expect(await store.pins.accept('x', 'y', T0)).toBeNull();
        await store.pins.pinIfAbsent({ ...def('1'), server: 'b', tool: 'a' }, T0);
        await store.pins.pinIfAbsent({ ...def('1'), server: 'a', tool: 'z' }, T0);
        await store.pins.pinIfAbsent({ ...def('1'), server: 'a', tool: 'b' }, T0);
        expect((await store.pins.list()).map((p) => `${p.server}/${p.tool}`)).toEqual(['a/b', 'a/z', 'b/a']);
      });
    });

    describe('sweep and handles', () => {
      test('sweep removes only what can no longer matter', async () => {
        const { store } = await fresh();
        await store.approvals.putPending(pendingOf('apr_old', { tool: 'old' }), T0);
        await store.approvals.putPending(pendingOf('apr_new', { tool: 'new', expires_at: T0 + APPROVAL_RETENTION_MS }), T0);
        await store.approvals.putPending(pendingOf('apr_g1'), T0);
        await store.approvals.resolve('apr_g1', once(T0 + MIN), T0);
        await store.grants.consume(bindingOf(), 's', T0);
        await store.rates.hit('r', MIN, T0);
        await store.replay.claim('j-old', T0 + 1, T0);
        await store.replay.claim('j-new', T0 + APPROVAL_RETENTION_MS + 20 * MIN, T0);
        const now = T0 + 10 * MIN + APPROVAL_RETENTION_MS;
        expect(await store.sweep(now)).toBe(5);
        expect(await store.approvals.get('apr_old')).toBeNull();
        expect(await store.approvals.get('apr_new')).not.toBeNull();
        expect(await store.replay.claim('j-new', now + MIN, now)).toBe(false);
      });

      test('a write through one handle is seen through another', async () => {
        const { store, fixture } = await fresh();
        const other = await another(fixture);
        await store.approvals.putPending(pendingOf('apr_1'), T0);
        expect((await other.approvals.listPending(T0)).map((a) => a.id)).toEqual(['apr_1']);
        await other.approvals.resolve('apr_1', once(T0 + MIN), T0);
        expect(await store.grants.consume(bindingOf(), 's1', T0)).not.toBeNull();
      });

      test('close can be called twice', async () => {
        const { fixture } = await fresh();
        const store = await fixture.open();
        await store.close();
        await expect(store.close()).resolves.toBeUndefined();
      });
    });
  });
}
