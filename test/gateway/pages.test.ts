// Pages of the lists the gateway serves, and its cursors.
import { describe, expect, test } from 'vitest';
import { isToolgateError } from '../../src/errors.js';
import { pageOf } from '../../src/gateway/pages.js';

const items = Array.from({ length: 25 }, (_, i) => i);

describe('pageOf', () => {
  test('cursors walk every item once, in order', () => {
    const seen: number[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = pageOf(items, cursor, 'resources/list', 10);
      seen.push(...page.items);
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor !== undefined);
    expect(seen).toEqual(items);
    expect(pages).toBe(3);
  });

  test('a list that fits one page has no nextCursor', () => {
    expect(pageOf(items, undefined, 'prompts/list')).toEqual({ items });
  });

  test.each([
    ['not base64 JSON', 'not-a-cursor'],
    ['a negative offset', Buffer.from(JSON.stringify({ k: 'resources/list', o: -1 })).toString('base64url')],
    ["another list's cursor", Buffer.from(JSON.stringify({ k: 'prompts/list', o: 10 })).toString('base64url')],
  ])('%s is TG_BAD_CURSOR', (_name, cursor) => {
    const thrown = (() => {
      try {
        pageOf(items, cursor, 'resources/list', 10);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(isToolgateError(thrown, 'TG_BAD_CURSOR')).toBe(true);
  });
});
