/** Decisions over time as an inline SVG bar chart (stacked allow, challenge, deny), pure. */
import { esc } from './html.js';

/** What the chart counts. */
export interface Dated {
  readonly time: string;
  readonly decision: 'allow' | 'deny' | 'challenge';
}

/** One bar: decisions from `start` (inclusive) to `start + width` (exclusive). */
export interface Bucket {
  readonly start: number;
  readonly allow: number;
  readonly challenge: number;
  readonly deny: number;
}

const MINUTE = 60_000;
/** Bucket widths to choose from, narrowest first. */
const WIDTHS = [MINUTE, 5 * MINUTE, 15 * MINUTE, 60 * MINUTE, 3 * 60 * MINUTE, 6 * 60 * MINUTE, 24 * 60 * MINUTE, 7 * 24 * 60 * MINUTE];
const MAX_BARS = 60;
/** A short window still gets this many bars, so one busy minute is not drawn as one wall. */
const MIN_BARS = 30;
const ORDER = ['allow', 'challenge', 'deny'] as const;
const COLOURS: Record<(typeof ORDER)[number], string> = { allow: '#2da44e', challenge: '#d4a72c', deny: '#cf222e' };

/**
 * Counts `items` into equal buckets from the oldest item (or `from`, when given) to `now`: the
 * narrowest width that needs at most 60 bars, and at least 30 bars drawn. Buckets start on whole
 * multiples of their width.
 */
export function bucketize(items: readonly Dated[], now: number, from?: number): { width: number; buckets: Bucket[] } {
  const times = items.map((d) => Date.parse(d.time));
  const oldest = Math.min(from ?? Number.POSITIVE_INFINITY, ...times.filter((t) => !Number.isNaN(t)), now);
  const width = WIDTHS.find((w) => Math.floor(now / w) - Math.floor(oldest / w) < MAX_BARS) ?? (WIDTHS[WIDTHS.length - 1] as number);
  const last = Math.floor(now / width);
  const first = Math.min(Math.floor(oldest / width), last - MIN_BARS + 1);
  const count = last - first + 1;
  const counts = Array.from({ length: count }, (_, i) => ({ start: (first + i) * width, allow: 0, challenge: 0, deny: 0 }));
  items.forEach((d, i) => {
    // An unreadable or future time has no bucket and is left out.
    const slot = counts[Math.floor((times[i] as number) / width) - first];
    if (slot) slot[d.decision]++;
  });
  return { width, buckets: counts };
}

/** The chart as an `<svg>` element (with a `<title>` per bar), or a short note when there is nothing to draw. */
export function decisionsChart(items: readonly Dated[], now: number, from?: number): string {
  if (items.length === 0) return '<p class="muted">No decisions in this window.</p>';
  const { width, buckets } = bucketize(items, now, from);
  const W = 900;
  const H = 180;
  const left = 36;
  const bottom = 20;
  const top = 8;
  const plotW = W - left - 8;
  const plotH = H - bottom - top;
  const max = Math.max(1, ...buckets.map((b) => b.allow + b.challenge + b.deny));
  const step = plotW / buckets.length;
  const barW = Math.max(1, step * 0.8);
  const parts: string[] = [];
  parts.push(`<line x1="${left}" y1="${top + plotH}" x2="${W - 8}" y2="${top + plotH}" stroke="#8c959f"/>`);
  parts.push(`<text x="${left - 4}" y="${top + 10}" text-anchor="end" font-size="11" fill="#57606a">${max}</text>`);
  parts.push(`<text x="${left - 4}" y="${top + plotH}" text-anchor="end" font-size="11" fill="#57606a">0</text>`);
  buckets.forEach((b, i) => {
    const x = left + i * step + (step - barW) / 2;
    let y = top + plotH;
    const title = `${label(b.start, width)}: ${b.allow} allow, ${b.challenge} challenge, ${b.deny} deny`;
    const rects = ORDER.filter((k) => b[k] > 0).map((k) => {
      const h = (b[k] / max) * plotH;
      y -= h;
      return `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${barW.toFixed(1)}" height="${h.toFixed(1)}" fill="${COLOURS[k]}"/>`;
    });
    parts.push(`<g><title>${esc(title)}</title><rect x="${(left + i * step).toFixed(1)}" y="${top}" width="${step.toFixed(1)}" height="${plotH}" fill="transparent"/>${rects.join('')}</g>`);
  });
  const ticks = Math.min(buckets.length, 6);
  for (let t = 0; t < ticks; t++) {
    const i = Math.round((t * (buckets.length - 1)) / Math.max(1, ticks - 1));
    const b = buckets[i] as Bucket;
    // The end labels hang inwards, so they are not cut off at the edges.
    const anchor = ticks > 1 && t === 0 ? 'start' : ticks > 1 && t === ticks - 1 ? 'end' : 'middle';
    const x = anchor === 'start' ? left + i * step : anchor === 'end' ? left + (i + 1) * step : left + i * step + step / 2;
    parts.push(`<text x="${x.toFixed(1)}" y="${H - 5}" text-anchor="${anchor}" font-size="11" fill="#57606a">${esc(label(b.start, width))}</text>`);
  }
  const legend = ORDER.map((k) => `<span style="color:${COLOURS[k]}">■</span> ${k}`).join(' &nbsp; ');
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="decisions over time, ${esc(describeWidth(width))} per bar">${parts.join('')}</svg>
<p class="muted">${legend} &nbsp; (${esc(describeWidth(width))} per bar, UTC)</p>`;
}

function label(start: number, width: number): string {
  const iso = new Date(start).toISOString();
  return width >= 24 * 60 * MINUTE ? iso.slice(0, 10) : `${iso.slice(5, 10)} ${iso.slice(11, 16)}`;
}

function describeWidth(width: number): string {
  if (width >= 24 * 60 * MINUTE) return `${width / (24 * 60 * MINUTE)} day${width > 24 * 60 * MINUTE ? 's' : ''}`;
  if (width >= 60 * MINUTE) return `${width / (60 * MINUTE)} h`;
  return `${width / MINUTE} min`;
}
