// Decisions over time: bucketing and the SVG it draws.
import { describe, expect, test } from 'vitest';
import { bucketize, decisionsChart, type Dated } from '../../src/admin/chart.js';

const NOW = Date.UTC(2025, 0, 1, 12, 0, 30);
const at = (minutesAgo: number, decision: Dated['decision']): Dated => ({ time: new Date(NOW - minutesAgo * 60_000).toISOString(), decision });

describe('bucketize', () => {
  test('the narrowest width that needs at most 60 bars, counted per decision', () => {
    const { width, buckets } = bucketize([at(0, 'allow'), at(0, 'deny'), at(10, 'allow'), at(30, 'challenge')], NOW);
    expect(width).toBe(60_000);
    expect(buckets).toHaveLength(31);
    expect(buckets[30]).toMatchObject({ allow: 1, deny: 1, challenge: 0 });
    expect(buckets[20]).toMatchObject({ allow: 1 });
    expect(buckets[0]).toMatchObject({ challenge: 1 });
    expect(buckets.reduce((n, b) => n + b.allow + b.deny + b.challenge, 0)).toBe(4);
  });

  test('a longer window gets wider bars; `from` starts the chart earlier', () => {
    expect(bucketize([at(3 * 60, 'allow')], NOW).width).toBe(5 * 60_000);
    expect(bucketize([at(0, 'allow')], NOW).buckets).toHaveLength(30);
    expect(bucketize([at(0, 'allow')], NOW, NOW - 7 * 24 * 3_600_000).width).toBe(3 * 3_600_000);
  });

  test('unreadable and future times are left out', () => {
    const { buckets } = bucketize([{ time: 'not a time', decision: 'allow' }, at(-90, 'deny'), at(1, 'allow')], NOW);
    expect(buckets.reduce((n, b) => n + b.allow + b.deny + b.challenge, 0)).toBe(1);
  });
});

describe('decisionsChart', () => {
  test('draws one titled group per bar and a legend; nothing to draw is a note', () => {
    const svg = decisionsChart([at(0, 'allow'), at(2, 'deny')], NOW);
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect((svg.match(/<g>/g) ?? []).length).toBe(30);
    expect(svg).toContain('<title>01-01 12:00: 1 allow, 0 challenge, 0 deny</title>');
    expect(decisionsChart([], NOW)).toContain('No decisions');
  });
});
