/** Counting by key in bounded memory: at most `limit` keys, later new keys share one overflow entry. */

/**
 * A map from key to a mutable entry, holding at most `limit` keys. Once full, every new key is
 * counted in the `overflow` entry instead, so a log with millions of distinct principals or
 * reasons cannot grow the report's memory. Keys seen before the limit keep their own entry.
 */
export class Tally<E> {
  private readonly entries = new Map<string, E>();
  private readonly limit: number;
  private readonly create: (key: string) => E;
  /** The shared entry for keys that arrived after the limit; `undefined` until one did. */
  overflow: E | undefined;

  constructor(limit: number, create: (key: string) => E) {
    this.limit = limit;
    this.create = create;
  }

  /** The entry for `key`, made by `create(key)` on first sight (or the overflow entry, made with key '', when full). */
  at(key: string): E {
    const found = this.entries.get(key);
    if (found !== undefined) return found;
    if (this.entries.size < this.limit) {
      const made = this.create(key);
      this.entries.set(key, made);
      return made;
    }
    this.overflow ??= this.create('');
    return this.overflow;
  }

  /** Every kept key and its entry, in first-seen order. */
  kept(): Array<[string, E]> {
    return [...this.entries];
  }
}
