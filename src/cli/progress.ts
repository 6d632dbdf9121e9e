/** Progress on a terminal for long work (`logs verify`, `report`): one line, redrawn in place. */

/** One step of progress: what is being done, how far through the bytes, how many lines so far. */
export interface Progress {
  readonly label: string;
  readonly bytes: number;
  readonly total: number;
  readonly lines: number;
}

/**
 * A progress line written with `write` (stderr on a terminal): `verifying decisions.jsonl 42%
 * (420,000 lines)`, redrawn with `\r` at most every 100 ms by `now`, and erased by `done`.
 */
export function progressLine(write: (text: string) => void, now: () => number = Date.now): { update: (p: Progress) => void; done: () => void } {
  let last = Number.NEGATIVE_INFINITY;
  let drawn = false;
  return {
    update: ({ label, bytes, total, lines }) => {
      const t = now();
      if (t - last < 100) return;
      last = t;
      drawn = true;
      const pct = total > 0 ? Math.floor((bytes / total) * 100) : 100;
      write(`\r${label} ${pct}% (${lines.toLocaleString('en')} lines)\u001b[K`);
    },
    done: () => {
      if (drawn) write('\r\u001b[K');
    },
  };
}

/** A progress line on stderr when both stdout and stderr are terminals; otherwise nothing. */
export function terminalProgress(isTTY: boolean): ReturnType<typeof progressLine> | undefined {
  return isTTY && process.stderr.isTTY ? progressLine((t) => process.stderr.write(t)) : undefined;
}
