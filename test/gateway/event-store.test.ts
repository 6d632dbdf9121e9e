// The per-session event store behind resumable SSE streams.
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, test } from 'vitest';
import { SessionEventStore } from '../../src/gateway/event-store.js';

const note = (n: number): JSONRPCMessage => ({ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: n } });

async function replay(store: SessionEventStore, after: string): Promise<{ stream: string; sent: Array<[string, JSONRPCMessage]> }> {
  const sent: Array<[string, JSONRPCMessage]> = [];
  const stream = await store.replayEventsAfter(after, { send: async (id, message) => void sent.push([id, message]) });
  return { stream, sent };
}

describe('SessionEventStore', () => {
  test('replays the events of the same stream after the given one, in order', async () => {
    const store = new SessionEventStore();
    const a1 = await store.storeEvent('A', note(1));
    await store.storeEvent('B', note(2));
    const a3 = await store.storeEvent('A', note(3));
    const a4 = await store.storeEvent('A', note(4));
    expect(await store.getStreamIdForEventId(a3)).toBe('A');
    expect(await replay(store, a1)).toEqual({ stream: 'A', sent: [[a3, note(3)], [a4, note(4)]] });
    expect(await replay(store, a4)).toEqual({ stream: 'A', sent: [] });
  });

  test('keeps only the newest events; an id it no longer has resumes nothing', async () => {
    const store = new SessionEventStore(3);
    const first = await store.storeEvent('A', note(1));
    for (let i = 2; i <= 5; i++) await store.storeEvent('A', note(i));
    expect(store.size).toBe(3);
    expect(await store.getStreamIdForEventId(first)).toBeUndefined();
    expect(await replay(store, first)).toEqual({ stream: '', sent: [] });
    expect(await replay(store, 'never-handed-out')).toEqual({ stream: '', sent: [] });
  });
});
