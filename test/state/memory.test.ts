import { describe, expect, test } from 'vitest';
import { createMemoryState } from '../../src/state/memory.js';
import { pendingOf, stateStoreContract } from './contract.js';

// Every handle on one memory store is the store itself.
stateStoreContract('memory', {
  fresh: async () => {
    const store = createMemoryState();
    return { open: async () => store, cleanup: async () => {} };
  },
});

describe('createMemoryState', () => {
  test('returned records are copies: changing one does not change the store', async () => {
    const store = createMemoryState();
    const stored = await store.approvals.putPending(pendingOf('apr_1'), 0);
    (stored.rules as string[]).push('injected');
    expect((await store.approvals.get('apr_1'))?.rules).toEqual(['writes-need-a-person']);
  });

  test('two stores share nothing', async () => {
    const a = createMemoryState();
    const b = createMemoryState();
    await a.approvals.putPending(pendingOf('apr_1'), 0);
    expect(await b.approvals.get('apr_1')).toBeNull();
  });
});
