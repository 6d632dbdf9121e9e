/** The decision log's chain status in words: a level, a headline and details, for the page and the CLI line. */
import type { VerifyResult } from '../log/verify.js';

/** How the chain stands: `ok` intact, sealed and signature-checked; `warn` intact but with a caveat; `bad` broken. */
export interface ChainStatus {
  readonly level: 'ok' | 'warn' | 'bad';
  /** Short: `intact, closed cleanly`, `broken at line 4 (edited)`. */
  readonly headline: string;
  /** Sentences explaining it, each one line. */
  readonly details: readonly string[];
  /** `checked against …` or `NOT checked: …`. */
  readonly signatures: string;
  readonly signaturesChecked: boolean;
}

/**
 * Describes `chain` (from `verifyLog` with unsealed lines allowed). `signatures` says what keys the
 * checkpoint signatures were checked against, or why they were not.
 */
export function chainStatus(chain: VerifyResult, signatures: string): ChainStatus {
  const details: string[] = [];
  const lines = `${plural(chain.lines, 'line')}, ${plural(chain.checkpoints, 'checkpoint')}`;
  if (chain.firstBad) {
    const { line, reason, message } = chain.firstBad;
    details.push(`Line ${line}: ${message}.`);
    details.push('The numbers below count every readable line of the log, the lines after it too: treat them with care.');
    return { level: 'bad', headline: `broken at line ${line} (${reason})`, details, signatures, signaturesChecked: chain.signaturesChecked };
  }
  if (chain.closed) {
    details.push(`${cap(lines)}; the gateway closed the log cleanly, so a cut at the end would show.`);
  } else {
    const after = chain.lastCheckpoint === null ? 'with no checkpoint' : `after the last checkpoint (line ${chain.lastCheckpoint})`;
    details.push(
      `${cap(lines)}; ${plural(chain.unsealed, 'line')} ${after} ${chain.unsealed === 1 ? 'is' : 'are'} not sealed by a signed checkpoint yet: the gateway is running, or stopped without closing the log. Lines cut from there would not show.`,
    );
    if (chain.partialBytes > 0) details.push(`The last line is incomplete (${plural(chain.partialBytes, 'byte')}): being written, or torn by a crash.`);
  }
  if (chain.recoveries.length > 0) {
    details.push(`The gateway restarted after an unclean shutdown (recovery ${chain.recoveries.length === 1 ? 'line' : 'lines'} ${chain.recoveries.join(', ')}).`);
  }
  if (!chain.signaturesChecked) details.push('Without checking signatures, the hash chain alone does not show a log rewritten from the start.');
  const level = chain.closed && chain.signaturesChecked ? 'ok' : 'warn';
  return { level, headline: chain.closed ? 'intact, closed cleanly' : 'intact, not sealed', details, signatures, signaturesChecked: chain.signaturesChecked };
}

function plural(n: number, word: string): string {
  return `${n.toLocaleString('en')} ${word}${n === 1 ? '' : 's'}`;
}

function cap(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
