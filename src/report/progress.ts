/** The report's progress line on a terminal: stage, percent and lines, redrawn in place at most ten times a second. */
import type { CollectProgress } from './collect.js';

const STAGES: Record<CollectProgress['stage'], string> = { verify: 'checking the chain', count: 'counting decisions' };

/**
 * A progress line written with `write` (stderr on a terminal): `report: checking the chain 42%
 * (420,000 lines)`, redrawn with `\r` at most every 100 ms by `now`, and erased by `done`.
 */
export function progressLine(write: (text: string) => void, now: () => number = Date.now): { update: (p: CollectProgress) => void; done: () => void } {
  let last = Number.NEGATIVE_INFINITY;
  let drawn = false;
  return {
    update: ({ stage, bytes, total, lines }) => {
      const t = now();
      if (t - last < 100) return;
      last = t;
      drawn = true;
      const pct = total > 0 ? Math.floor((bytes / total) * 100) : 100;
      write(`\rreport: ${STAGES[stage]} ${pct}% (${lines.toLocaleString('en')} lines)\u001b[K`);
    },
    done: () => {
      if (drawn) write('\r\u001b[K');
    },
  };
}
