// The console's filter fields, as typed into the form.
import { describe, expect, test } from 'vitest';
import { parseFilters } from '../../src/admin/filters.js';

const NOW = Date.UTC(2025, 5, 1, 12);

describe('parseFilters', () => {
  test('empty fields are no filter', () => {
    expect(parseFilters(new URLSearchParams('decision=&tool=&principal=&since='), NOW)).toEqual({
      filter: {},
      fields: { decision: '', tool: '', principal: '', since: '' },
    });
  });

  test('decision, tool, principal and a duration back from now', () => {
    const { filter, problem } = parseFilters(new URLSearchParams('decision=deny&tool=fs/read&principal=bob&since=2h'), NOW);
    expect(problem).toBeUndefined();
    expect(filter).toEqual({ decision: 'deny', tool: 'fs/read', principal: 'bob', since: NOW - 2 * 3_600_000 });
  });

  test('since also takes an ISO date', () => {
    expect(parseFilters(new URLSearchParams('since=2025-05-31'), NOW).filter.since).toBe(Date.UTC(2025, 4, 31));
  });

  test('a bad decision or since is named and left out; the typed text is kept for the form', () => {
    const parsed = parseFilters(new URLSearchParams('decision=maybe&since=yesterday&principal=bob'), NOW);
    expect(parsed.filter).toEqual({ principal: 'bob' });
    expect(parsed.problem).toContain('decision must be allow, deny or challenge');
    expect(parsed.problem).toContain('since must be a duration');
    expect(parsed.fields.since).toBe('yesterday');
  });
});
