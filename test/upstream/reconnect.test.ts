// Backoff for upstreams that are down: 0.5 s doubling to 30 s, reset on success.
import { describe, expect, test } from 'vitest';
import { Backoff, DEFAULT_BACKOFF, backoffDelay } from '../../src/upstream/reconnect.js';

describe('backoffDelay', () => {
  test('0.5 s, doubling, capped at 30 s', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffDelay(n))).toEqual([500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
    expect(DEFAULT_BACKOFF).toEqual({ initialMs: 500, maxMs: 30_000 });
  });

  test('huge or odd attempt numbers stay at the cap', () => {
    expect(backoffDelay(10_000)).toBe(30_000);
    expect(backoffDelay(-3)).toBe(500);
    expect(backoffDelay(2.7, { initialMs: 10, maxMs: 1000 })).toBe(40);
  });
});

describe('Backoff', () => {
  test('each schedule waits longer; one retry pending at a time; success starts over', async () => {
    const b = new Backoff({ initialMs: 1, maxMs: 8 });
    const ran: number[] = [];
    const next = () => new Promise<void>((resolve) => b.schedule(() => resolve()));
    let firstRan: () => void = () => undefined;
    const first = new Promise<void>((resolve) => (firstRan = resolve));
    expect(
      b.schedule(() => {
        ran.push(1);
        firstRan();
      }),
    ).toBe(1);
    expect(b.pending).toBe(true);
    // A second schedule while one is pending keeps the first (this one never runs) and counts no attempt.
    expect(b.schedule(() => ran.push(99))).toBe(2);
    await first;
    expect(ran).toEqual([1]);
    expect(b.pending).toBe(false);
    await next();
    expect(b.schedule(() => undefined)).toBe(4);
    b.cancel();
    b.succeeded();
    expect(b.schedule(() => undefined)).toBe(1);
    b.cancel();
    expect(b.pending).toBe(false);
  });
});
