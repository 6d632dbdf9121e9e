/**
 * Values that must never be shown: tokens, header values and everything taken from the
 * environment by `${VAR}`. The config loader registers them; every place text leaves the process
 * (log lines, CLI error lines, wire errors) passes it through `scrub`, so even a message that
 * quotes an upstream's stderr cannot carry one.
 */

const known = new Set<string>();
let pattern: RegExp | undefined;

/** Remembers values to hide from now on (short ones, under 6 characters, are too common to hide). */
export function registerSecrets(values: Iterable<string>): void {
  let added = false;
  for (const v of values) {
    if (v.length >= 6 && !known.has(v)) {
      known.add(v);
      added = true;
    }
  }
  if (added) {
    const sorted = [...known].sort((a, b) => b.length - a.length).map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    pattern = new RegExp(sorted.join('|'), 'g');
  }
}

/** `text` with every registered secret replaced by `[redacted]`. */
export function scrub(text: string): string {
  return pattern === undefined ? text : text.replace(pattern, '[redacted]');
}
