/** Text into HTML safely, and the small formatters the report's markup shares. */
import { escapeInvisible } from '../approvals/preview.js';

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Escapes text for HTML element content and quoted attribute values (SVG included): markup
 * characters become entities, and control or invisible formatting characters (bidi overrides,
 * zero-width) become visible `\uXXXX`, so logged names cannot disguise themselves.
 */
export function esc(text: string | number): string {
  return escapeInvisible(String(text)).replace(/[&<>"']/g, (c) => ENTITIES[c] as string);
}

/** `1234567` → `1,234,567`. */
export function count(n: number): string {
  return n.toLocaleString('en');
}

/** Milliseconds since the epoch → `2025-01-31 13:05 UTC` style, without the zone (`withSeconds` adds `:ss`). */
export function utc(ms: number, withSeconds = false): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, withSeconds ? 19 : 16)}`;
}

/** A latency in milliseconds, readable: `0.4 ms`, `12 ms`, `1.3 s`. */
export function latency(ms: number): string {
  if (ms < 10) return `${(Math.round(ms * 10) / 10).toString()} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

/** `text` shortened to `max` characters (code points, never half a pair), ending in `…` when cut; clip before escaping. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}
