/** Arguments shown to people: a one-line preview for lists, pretty JSON for a question; both safe on a terminal. */

// C0/C1 controls and DEL, and the format characters that reorder or hide text (bidi overrides,
// isolates, zero-width): shown as \u escapes so arguments cannot disguise themselves.
// eslint-disable-next-line no-control-regex
const INVISIBLE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u00ad\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff]/g;

/** Replaces control and invisible formatting characters with `\uXXXX`; keeps `\n` and `\t`. */
export function escapeInvisible(text: string): string {
  return text.replace(INVISIBLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** One line of compact JSON, long strings shortened, at most `maxLength` characters (ending in `…` when cut). */
export function previewArgs(args: unknown, maxLength = 80): string {
  const text = escapeInvisible(JSON.stringify(args, shorten(24)) ?? 'null');
  return text.length <= maxLength ? text : `${text.slice(0, Math.max(0, maxLength - 1))}…`;
}

/**
 * Pretty JSON of the arguments for a person deciding on them. Exact unless a string is longer than
 * `maxString` (then cut, saying how much is left out) or the whole is longer than `maxTotal`
 * (then cut, saying so).
 */
export function prettyArgs(args: unknown, limits: { maxString?: number; maxTotal?: number } = {}): string {
  const maxString = limits.maxString ?? 500;
  const maxTotal = limits.maxTotal ?? 4000;
  const text = escapeInvisible(JSON.stringify(args, shorten(maxString), 2) ?? 'null');
  if (text.length <= maxTotal) return text;
  return `${text.slice(0, maxTotal)}\n… [${text.length - maxTotal} more characters not shown]`;
}

function shorten(max: number): (key: string, value: unknown) => unknown {
  return (_key, value) =>
    typeof value === 'string' && value.length > max ? `${value.slice(0, max)}… [${value.length - max} more characters]` : value;
}
