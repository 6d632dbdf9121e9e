/** Pages of the lists the gateway serves from its own snapshot, with opaque cursors. Pure. */
import { ToolgateError } from '../errors.js';

/** Entries per page of resources/list, resources/templates/list and prompts/list. */
export const PAGE_SIZE = 100;

/** One page and the cursor of the next, when there is one. */
export interface Page<T> {
  readonly items: T[];
  readonly nextCursor?: string;
}

/**
 * The page of `items` that `cursor` points at (the first page without one). `kind` is written into
 * the cursor so that a cursor of one list is refused by another. Throws `TG_BAD_CURSOR` for a
 * cursor this gateway did not hand out.
 */
export function pageOf<T>(items: readonly T[], cursor: string | undefined, kind: string, size = PAGE_SIZE): Page<T> {
  const offset = cursor === undefined ? 0 : readCursor(cursor, kind);
  const end = offset + size;
  const slice = items.slice(offset, end);
  return end < items.length ? { items: slice, nextCursor: writeCursor(kind, end) } : { items: slice };
}

function writeCursor(kind: string, offset: number): string {
  return Buffer.from(JSON.stringify({ k: kind, o: offset }), 'utf8').toString('base64url');
}

function readCursor(cursor: string, kind: string): number {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  const parsed = value as { k?: unknown; o?: unknown } | undefined;
  if (!parsed || parsed.k !== kind || typeof parsed.o !== 'number' || !Number.isSafeInteger(parsed.o) || parsed.o < 0) {
    throw new ToolgateError('TG_BAD_CURSOR', `invalid cursor for ${kind}`);
  }
  return parsed.o;
}
