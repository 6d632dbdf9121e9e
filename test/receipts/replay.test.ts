import { describe, expect, it } from 'vitest';
import { MemoryReplayCache } from '../../src/receipts/replay.js';
import { CLOCK_SKEW_SECONDS } from '../../src/receipts/skew.js';

describe('MemoryReplayCache', () => {
  it('accepts a jti once and refuses it after', () => {
    const cache = new MemoryReplayCache({ now: () => 0 });
    expect(cache.add('a', 100)).toBe(true);
    expect(cache.add('a', 100)).toBe(false);
    expect(cache.add('b', 100)).toBe(true);
  });

  it('forgets ids once their receipts can no longer verify, keeping memory bounded', () => {
    let now = 0;
    const cache = new MemoryReplayCache({ now: () => now });
    for (let i = 0; i < 100; i += 1) cache.add(`old-${i}`, 10);
    cache.add('live', 1000);
    now = (10 + CLOCK_SKEW_SECONDS) * 1000 + 1;
    cache.add('new', 1000);
    expect(cache.size).toBe(2);
    expect(cache.add('live', 1000)).toBe(false);
  });

  it('still refuses an id inside the clock-skew window after exp', () => {
    let now = 0;
    const cache = new MemoryReplayCache({ now: () => now });
    cache.add('a', 10);
    now = (10 + CLOCK_SKEW_SECONDS - 1) * 1000;
    expect(cache.add('a', 10)).toBe(false);
  });
});
