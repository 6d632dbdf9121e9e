// Idle HTTP sessions are closed; busy ones never are.
import { describe, expect, test } from 'vitest';
import { DEFAULT_SESSION_IDLE_MS, IdleReaper, sessionIdleMs } from '../../src/gateway/idle.js';

function clocked(idleMs: number) {
  let now = 1_000;
  const closed: string[] = [];
  const reaper = new IdleReaper(idleMs, { now: () => now, sweep: false });
  return { reaper, closed, advance: (ms: number) => (now += ms), close: (id: string) => () => void closed.push(id) };
}

describe('IdleReaper', () => {
  test('a session unused for the idle limit is closed, once', () => {
    const { reaper, closed, advance, close } = clocked(1000);
    reaper.track('a', close('a'));
    advance(999);
    expect(reaper.sweep()).toEqual([]);
    advance(1);
    expect(reaper.sweep()).toEqual(['a']);
    expect(reaper.sweep()).toEqual([]);
    expect(closed).toEqual(['a']);
  });

  test('a session with a request or stream open is never idle; the clock starts when the last one ends', () => {
    const { reaper, closed, advance, close } = clocked(1000);
    reaper.track('a', close('a'));
    reaper.begin('a');
    reaper.begin('a');
    advance(5000);
    reaper.end('a');
    advance(5000);
    expect(reaper.sweep()).toEqual([]);
    reaper.end('a');
    advance(999);
    expect(reaper.sweep()).toEqual([]);
    advance(1);
    expect(reaper.sweep()).toEqual(['a']);
    expect(closed).toEqual(['a']);
  });

  test('a session that ended on its own is forgotten; unknown ids are ignored', () => {
    const { reaper, closed, advance, close } = clocked(10);
    reaper.track('a', close('a'));
    reaper.forget('a');
    reaper.begin('nobody');
    reaper.end('nobody');
    advance(100);
    expect(reaper.sweep()).toEqual([]);
    expect(closed).toEqual([]);
  });

  test('a close that throws or rejects does not stop the sweep', () => {
    const { reaper, advance, closed, close } = clocked(10);
    reaper.track('throws', () => {
      throw new Error('boom');
    });
    reaper.track('rejects', () => Promise.reject(new Error('boom')));
    reaper.track('fine', close('fine'));
    advance(10);
    expect(reaper.sweep().sort()).toEqual(['fine', 'rejects', 'throws']);
    expect(closed).toEqual(['fine']);
  });
});

describe('sessionIdleMs', () => {
  test('TOOLGATE_SESSION_IDLE as a duration, else 30 minutes', () => {
    expect(sessionIdleMs({})).toBe(DEFAULT_SESSION_IDLE_MS);
    expect(DEFAULT_SESSION_IDLE_MS).toBe(1_800_000);
    expect(sessionIdleMs({ TOOLGATE_SESSION_IDLE: '90s' })).toBe(90_000);
    expect(sessionIdleMs({ TOOLGATE_SESSION_IDLE: 'soon' })).toBe(DEFAULT_SESSION_IDLE_MS);
    expect(sessionIdleMs({ TOOLGATE_SESSION_IDLE: '0s' })).toBe(DEFAULT_SESSION_IDLE_MS);
  });
});
