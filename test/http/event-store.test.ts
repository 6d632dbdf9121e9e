// The per-session event store behind resumable SSE streams.
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, test } from 'vitest';
import { SessionEventStore } from '../../src/http/event-store.js';

const note = (n: number): JSONRPCMessage => ({ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: n } });

describe('SessionEventStore', () => {
  test('replays the events of the same stream after the given one, in order', () => {
    const store = new SessionEventStore();
    const a1 = store.add('A', note(1));
    store.add('B', note(2));
    const a3 = store.add('A', note(3));
    const a4 = store.add('A', note(4));
    expect(store.after(a1)).toEqual({ streamId: 'A', events: [[a3, note(3)], [a4, note(4)]] });
    expect(store.after(a4)).toEqual({ streamId: 'A', events: [] });
  });

  test('keeps only the newest events; an id it no longer has resumes nothing', () => {
    const store = new SessionEventStore(3);
    const first = store.add('A', note(1));
    for (let i = 2; i <= 5; i++) store.add('A', note(i));
    expect(store.size).toBe(3);
    expect(store.after(first)).toBeUndefined();
    expect(store.after('never-handed-out')).toBeUndefined();
  });
});
