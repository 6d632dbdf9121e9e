/** Inline SVG charts for the report, as strings: decisions over time (stacked bars) and decisions by tool (bars). */
import type { DecisionCounts, ToolRow } from './types.js';
import { clip, count, esc, utc } from './html.js';
import type { Period } from './period.js';

/** Bar colours by decision, shared with the page's legend. */
export const COLOURS: Readonly<Record<keyof DecisionCounts, string>> = { allow: '#2e7d32', challenge: '#e0a000', deny: '#c62828' };

// Stacking order, bottom to top.
const STACK = ['allow', 'challenge', 'deny'] as const;

const W = 960;
const H = 260;
const LEFT = 56;
const RIGHT = 12;
const TOP = 12;
const BOTTOM = 36;

/**
 * Decisions per bucket of `period` as stacked bars (allow, challenge, deny from the bottom), with
 * a y axis, UTC time labels, and a `<title>` per bar that browsers show on hover.
 */
export function timeChart(overTime: readonly DecisionCounts[], period: Period): string {
  const plotW = W - LEFT - RIGHT;
  const plotH = H - TOP - BOTTOM;
  const top = niceMax(Math.max(0, ...overTime.map(total)));
  const y = (v: number): number => TOP + plotH - (v / top) * plotH;
  const slot = plotW / Math.max(1, overTime.length);
  const barW = Math.max(0.5, slot * 0.8);
  const parts: string[] = [];

  for (let i = 0; i <= 4; i++) {
    const v = (top / 4) * i;
    parts.push(
      `<line x1="${LEFT}" x2="${W - RIGHT}" y1="${fix(y(v))}" y2="${fix(y(v))}" stroke="#ddd"/>`,
      `<text x="${LEFT - 6}" y="${fix(y(v) + 4)}" text-anchor="end">${count(v)}</text>`,
    );
  }
  overTime.forEach((c, i) => {
    const n = total(c);
    if (n === 0) return;
    const x = LEFT + i * slot + (slot - barW) / 2;
    const start = period.firstBucket + i * period.bucketMs;
    const title = `${utc(start)} UTC (${period.unit}): ${count(n)} decisions, ${count(c.allow)} allow, ${count(c.challenge)} challenge, ${count(c.deny)} deny`;
    let base = 0;
    const rects: string[] = [];
    for (const kind of STACK) {
      if (c[kind] === 0) continue;
      rects.push(`<rect x="${fix(x)}" y="${fix(y(base + c[kind]))}" width="${fix(barW)}" height="${fix(y(base) - y(base + c[kind]))}" fill="${COLOURS[kind]}"/>`);
      base += c[kind];
    }
    parts.push(`<g><title>${esc(title)}</title>${rects.join('')}</g>`);
  });
  // At most 12 labels: days as MM-DD; hours as HH:00, with the date whenever it changes.
  const every = Math.max(1, Math.ceil(overTime.length / 12));
  let lastDate = '';
  for (let i = 0; i < overTime.length; i += every) {
    const at = utc(period.firstBucket + i * period.bucketMs);
    const date = at.slice(5, 10);
    const label = period.unit === 'day' || date === lastDate ? (period.unit === 'day' ? date : at.slice(11)) : at.slice(5);
    lastDate = date;
    parts.push(`<text x="${fix(LEFT + i * slot + slot / 2)}" y="${H - BOTTOM + 16}" text-anchor="middle">${esc(label)}</text>`);
  }
  parts.push(`<line x1="${LEFT}" x2="${W - RIGHT}" y1="${TOP + plotH}" y2="${TOP + plotH}" stroke="#888"/>`);
  return svg(W, H, 'Decisions over time, stacked by decision', parts);
}

/** Decisions by tool as horizontal stacked bars, one row per tool (the rows given, in order). */
export function toolChart(rows: readonly ToolRow[]): string {
  const label = 300;
  const row = 22;
  const height = TOP + rows.length * row + 8;
  const barArea = W - label - 80;
  const top = Math.max(1, ...rows.map((r) => r.total));
  const parts: string[] = [];
  rows.forEach((r, i) => {
    const yTop = TOP + i * row;
    const name = `${r.server}/${r.tool}`;
    const title = `${name}: ${count(r.total)} decisions, ${count(r.counts.allow)} allow, ${count(r.counts.challenge)} challenge, ${count(r.counts.deny)} deny`;
    let x = label;
    const rects: string[] = [];
    for (const kind of STACK) {
      if (r.counts[kind] === 0) continue;
      const w = Math.max(0.5, (r.counts[kind] / top) * barArea);
      rects.push(`<rect x="${fix(x)}" y="${yTop + 3}" width="${fix(w)}" height="${row - 6}" fill="${COLOURS[kind]}"/>`);
      x += w;
    }
    parts.push(
      `<g><title>${esc(title)}</title>` +
        `<text x="${label - 8}" y="${yTop + 15}" text-anchor="end">${esc(clip(name, 44))}</text>${rects.join('')}` +
        `<text x="${fix(x + 6)}" y="${yTop + 15}">${count(r.total)}</text></g>`,
    );
  });
  return svg(W, height, 'Decisions by tool, stacked by decision', parts);
}

function svg(width: number, height: number, label: string, parts: readonly string[]): string {
  return (
    `<svg viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="${esc(label)}" ` +
    `font-family="system-ui, sans-serif" font-size="12" fill="#333">${parts.join('')}</svg>`
  );
}

// The smallest of 1, 2, 2.5, 5 × 10^k (times 4, so the four gridlines fall on round numbers) at or above `max`.
function niceMax(max: number): number {
  if (max <= 4) return 4;
  const step = max / 4;
  const mag = 10 ** Math.floor(Math.log10(step));
  const nice = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= step) as number;
  return Number.isInteger(nice) ? nice * 4 : Math.ceil(nice) * 4;
}

function total(c: DecisionCounts): number {
  return c.allow + c.challenge + c.deny;
}

function fix(n: number): string {
  return (Math.round(n * 10) / 10).toString();
}
