import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { openDecisionLog, type CheckpointSigner } from '../../src/log/decisions.js';
import { verifyLog } from '../../src/log/verify.js';
import { chainStatus } from '../../src/report/chain.js';
import type { JSONWebKeySet } from 'jose';
import { editLines, entry, makeSigner, tempDir } from '../log/helpers.js';
import { writeSampleLog } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
let logPath: string;
let signer: CheckpointSigner;
let jwks: JSONWebKeySet;

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir('tg-report-chain-'));
  logPath = join(dir, 'decisions.jsonl');
  ({ signer, jwks } = await makeSigner());
});
afterEach(async () => cleanup());

const status = async (withKeys: boolean) =>
  chainStatus(await verifyLog(logPath, { allowUnsealed: true, ...(withKeys ? { jwks } : {}) }), withKeys ? 'checked against jwks.json' : 'NOT checked: no keys');

describe('chainStatus', () => {
  test('closed cleanly with signatures checked: ok', async () => {
    await writeSampleLog(logPath, signer);
    const s = await status(true);
    expect(s).toMatchObject({ level: 'ok', headline: 'intact, closed cleanly', signaturesChecked: true, signatures: 'checked against jwks.json' });
    expect(s.details[0]).toMatch(/^\d+ lines, \d+ checkpoints; the gateway closed the log cleanly/);
  });

  test('signatures not checked: a warning that says what that leaves open', async () => {
    await writeSampleLog(logPath, signer);
    const s = await status(false);
    expect(s).toMatchObject({ level: 'warn', headline: 'intact, closed cleanly', signaturesChecked: false });
    expect(s.details.join(' ')).toContain('does not show a log rewritten from the start');
  });

  test('a log still being written: intact, not sealed, counting the unsealed lines', async () => {
    const log = await openDecisionLog({ path: logPath, redact: [], checkpoint: { every: 100, intervalMs: 60_000 }, signer });
    await log.append(entry(1));
    await log.append(entry(2));
    try {
      const s = await status(true);
      expect(s).toMatchObject({ level: 'warn', headline: 'intact, not sealed' });
      expect(s.details[0]).toContain('2 lines after the last checkpoint (line 1) are not sealed by a signed checkpoint yet');
    } finally {
      await log.close();
    }
  });

  test('an edited line: bad, naming the line and the reason', async () => {
    await writeSampleLog(logPath, signer);
    await editLines(logPath, (lines) => lines.map((l, i) => (i === 3 ? l.replace('"allow"', '"deny"') : l)));
    const s = await status(true);
    expect(s).toMatchObject({ level: 'bad', headline: 'broken at line 4 (edited)' });
    expect(s.details[0]).toMatch(/^Line 4: .*it was changed after it was written\.$/);
  });
});
