import { join } from 'node:path';
import type { JSONWebKeySet } from 'jose';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { openDecisionLog, type CheckpointSigner } from '../../src/log/decisions.js';
import type { DecisionLine } from '../../src/log/lines.js';
import { ReportAggregator } from '../../src/report/aggregate.js';
import { chainStatus } from '../../src/report/chain.js';
import { collectReport } from '../../src/report/collect.js';
import { reportPeriod } from '../../src/report/period.js';
import { REPORT_CSP, renderReport, type ReportMeta } from '../../src/report/render.js';
import { editLines, entry, makeSigner, tempDir } from '../log/helpers.js';
import { DAY_END, DAY_START, writeSampleLog } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
let logPath: string;
let signer: CheckpointSigner;
let jwks: JSONWebKeySet;

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir('tg-report-render-'));
  logPath = join(dir, 'decisions.jsonl');
  ({ signer, jwks } = await makeSigner());
});
afterEach(async () => cleanup());

const GENERATED = Date.UTC(2025, 0, 2, 0, 0, 7);

async function page(since = DAY_START): Promise<string> {
  const { data, chain, unreadable } = await collectReport({ logPath, since, now: DAY_END, jwks });
  const meta: ReportMeta = {
    configPath: '/srv/gw/toolgate.yaml',
    logPath,
    generatedAt: GENERATED,
    since: '1d',
    chain: chainStatus(chain, 'checked against /srv/gw/keys/jwks.json'),
    unreadable,
  };
  return renderReport(data, meta);
}

// Every element the page may contain; anything else means logged text became markup.
const ELEMENTS = new Set(
  'html head meta title style body header h1 h2 h3 dl dt dd code section p div svg line text g rect table thead tbody tr th td i span footer'.split(' '),
);

function tagsOf(html: string): Set<string> {
  return new Set([...html.matchAll(/<([a-zA-Z][a-zA-Z0-9-]*)/g)].map((m) => (m[1] as string).toLowerCase()));
}

describe('renderReport', () => {
  test('self-contained: the CSP meta, no script, nothing loaded from anywhere', async () => {
    await writeSampleLog(logPath, signer);
    const html = await page();
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="${REPORT_CSP}">`);
    expect(REPORT_CSP).toBe("default-src 'none'; style-src 'unsafe-inline'; img-src data:");
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/\s(src|href|srcset|action)\s*=/i);
    expect(html).not.toMatch(/url\(|@import|@font-face|<link|<iframe|<object|<embed/i);
    expect(html).not.toMatch(/https?:\/\//);
    expect([...tagsOf(html)].filter((t) => !ELEMENTS.has(t))).toEqual([]);
  });

  test('shows the period, the config and log paths, the generation time, the chain status and the numbers', async () => {
    await writeSampleLog(logPath, signer);
    const html = await page();
    expect(html).toContain('2025-01-01 00:00 to 2025-01-02 00:00 UTC (since 1d)');
    expect(html).toContain('<code>/srv/gw/toolgate.yaml</code>');
    expect(html).toContain(`<code>${logPath}</code>`);
    expect(html).toContain('2025-01-02 00:00:07 UTC');
    expect(html).toContain('<section class="chain ok"><h2>✔ Decision log chain: intact, closed cleanly</h2>');
    expect(html).toContain('Checkpoint signatures: checked against /srv/gw/keys/jwks.json');
    expect(html).toMatch(/<div class="n">9<\/div><div>decisions<\/div>/);
    expect(html).toMatch(/<div class="n">4<\/div><div>denied<\/div>/);
    expect(html).toContain('<td><code>filesystem/read_text_file</code></td><td class="num">5</td><td class="num">3</td><td class="num">0</td><td class="num">2</td>');
    expect(html).toContain('<td><code>never-dotenv</code></td><td>dotenv files hold secrets</td>');
    expect(html).toContain('approved by a person, then forwarded</td><td class="num">1</td>');
    expect(html).not.toContain('sekret');
    // One bar group per non-empty hour, each with its numbers on hover.
    expect(html.match(/<g><title>2025-01-01 \d\d:00 UTC \(hour\)/g)).toHaveLength(4);
  });

  test('logged strings render as text: markup in tool, server, principal, rule, reason, arguments and approval id is escaped', async () => {
    const log = await openDecisionLog({ path: logPath, redact: [], checkpoint: { every: 100, intervalMs: 60_000 }, signer });
    const evil = {
      time: new Date(DAY_START + 60_000).toISOString(),
      server: 'fs"><script>alert(0)</script>',
      tool: '<img src=x onerror=alert(1)>',
      principal: '</td><script>alert(2)</script>',
      rules: ['"onmouseover="alert(3)'],
      reasons: ['<iframe src=//evil.example>'],
      args: { path: '<svg onload=alert(4)>' },
    };
    await log.append(entry(1, { ...evil, decision: 'deny', receipt: null }));
    await log.append(entry(2, { ...evil, decision: 'challenge', receipt: null, approval: '<b onclick=alert(5)>ap</b>' }));
    await log.append(entry(3, { ...evil, principal: 'admin\u202eexe.txt' }));
    await log.close();
    const html = await page();
    expect(html).not.toMatch(/<script|<img|<iframe|<svg onload|<b onclick/i);
    expect(html).not.toMatch(/<[^>]*\son[a-z]+\s*=/i);
    expect([...tagsOf(html)].filter((t) => !ELEMENTS.has(t))).toEqual([]);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('&lt;/td&gt;&lt;script&gt;alert(2)&lt;/script&gt;');
    expect(html).toContain('&quot;onmouseover=&quot;alert(3)');
    expect(html).toContain('&lt;iframe src=//evil.example&gt;');
    expect(html).toContain('&lt;b onclick=alert(5)&gt;ap&lt;/b&gt;');
    expect(html).toContain('{&quot;path&quot;:&quot;&lt;svg onload=alert(4)&gt;&quot;}');
    // A right-to-left override cannot reorder the name on screen: it shows as an escape.
    expect(html).toContain('admin\\u202eexe.txt');
    expect(html).not.toContain('\u202e');
  });

  test('a tampered log: the report says which line broke the chain and why', async () => {
    await writeSampleLog(logPath, signer);
    await editLines(logPath, (lines) => lines.map((l, i) => (i === 5 ? l.replace('"tool-error"', '"ok"') : l)));
    const html = await page();
    expect(html).toContain('<section class="chain bad"><h2>✘ Decision log chain: broken at line 6 (edited)</h2>');
    expect(html).toMatch(/<p>Line 6: [^<]*it was changed after it was written\.<\/p>/);
  });

  test('a log that is not sealed says so', async () => {
    const log = await openDecisionLog({ path: logPath, redact: [], checkpoint: { every: 100, intervalMs: 60_000 }, signer });
    await log.append(entry(1, { time: new Date(DAY_START + 60_000).toISOString() }));
    try {
      const html = await page();
      expect(html).toContain('<section class="chain warn"><h2>⚠ Decision log chain: intact, not sealed</h2>');
      expect(html).toContain('1 line after the last checkpoint (line 1) is not sealed');
    } finally {
      await log.close();
    }
  });

  test('an empty period says there were no decisions', async () => {
    await writeSampleLog(logPath, signer);
    const html = await page(DAY_END - 60_000);
    expect(html).toContain('<p class="empty">No decisions in this period.</p>');
    expect(html).toContain('No denials in this period.');
    expect(html).not.toContain('<svg');
  });

  test('long tables show the first 50 rows and sum the rest in one line', () => {
    const aggregator = new ReportAggregator(reportPeriod(DAY_START, DAY_END));
    for (let n = 0; n < 60; n++) {
      const record = { ...entry(n, { tool: `tool-${String(n).padStart(2, '0')}` }), type: 'decision', outcome: null, latency_ms: null, prev: '', hash: '' };
      aggregator.add({ kind: 'decision', line: n + 1, record: record as DecisionLine });
    }
    const meta: ReportMeta = {
      configPath: 'c',
      logPath: 'l',
      generatedAt: GENERATED,
      since: '1d',
      chain: { level: 'ok', headline: 'intact, closed cleanly', details: [], signatures: 'checked', signaturesChecked: true },
      unreadable: 0,
    };
    const html = renderReport(aggregator.result(), meta);
    expect(html).toContain('tool-49');
    expect(html).not.toContain('<code>filesystem/tool-50</code>');
    expect(html).toContain('<td><i>10 more tools</i></td><td class="num">10</td>');
    // The chart keeps to the 15 busiest.
    expect(html.match(/<g><title>filesystem\/tool-/g)).toHaveLength(15);
  });
});
