// The console page as HTML: every string that comes from the log, the state store or the query is escaped.
import { describe, expect, test } from 'vitest';
import { renderConsole, renderLogin, type ConsoleView } from '../../src/admin/console.js';
import { esc } from '../../src/admin/html.js';
import type { DecisionLine } from '../../src/log/lines.js';
import type { ApprovalRecord } from '../../src/state/store.js';

const NOW = Date.UTC(2025, 0, 1, 12);
const EVIL = '<script>alert(1)</script>"\'&';

const approval: ApprovalRecord = {
  id: 'apr_abcdefghij',
  principal: EVIL,
  session: 's',
  server: EVIL,
  tool: EVIL,
  args_sha256: 'b'.repeat(64),
  args_preview: `{"x":"${EVIL}"}`,
  reason: EVIL,
  rules: [EVIL],
  status: 'pending',
  created_at: NOW - 60_000,
  expires_at: NOW + 540_000,
};

const decision = {
  type: 'decision',
  time: new Date(NOW - 1000).toISOString(),
  id: 'd1',
  session: 's',
  principal: EVIL,
  server: 'recorder',
  tool: EVIL,
  args: { text: EVIL },
  args_sha256: 'c'.repeat(64),
  decision: 'deny',
  rules: [EVIL],
  reasons: [EVIL],
  receipt: null,
  outcome: null,
  latency_ms: null,
  prev: '0'.repeat(64),
  hash: '1'.repeat(64),
} as DecisionLine;

function view(over: Partial<ConsoleView> = {}): ConsoleView {
  return {
    gatewayName: EVIL,
    now: NOW,
    upstreams: [{ name: EVIL, up: false }],
    pending: [approval],
    fields: { decision: '', tool: `"><script>x()</script>`, principal: '', since: '' },
    recent: { decisions: [decision], truncated: false, bytesRead: 100 },
    chain: { error: EVIL, checkedAt: NOW, refreshing: false },
    limits: { decisions: 500, bytes: 16 * 1048576 },
    ...over,
  };
}

describe('renderConsole', () => {
  test('no markup from the log, the state store or the query gets through', () => {
    const html = renderConsole(view());
    expect(html).not.toContain('<script>');
    expect(html).toContain(esc(EVIL));
    expect(html).toContain('value="&quot;&gt;&lt;script&gt;x()&lt;/script&gt;"');
  });

  test('invisible and control characters are shown as escapes, so text cannot disguise itself', () => {
    const html = renderConsole(view({ pending: [{ ...approval, tool: 'write\u202Eexe.txt', principal: 'a\u0000b' }] }));
    expect(html).toContain('write\\u202eexe.txt');
    expect(html).toContain('a\\u0000b');
  });

  test('each pending approval gets approve (once, session, 1h) and deny forms posting to its id', () => {
    const html = renderConsole(view());
    for (const scope of ['once', 'session', '1h']) {
      expect(html).toContain(`<form method="post" action="/approvals/apr_abcdefghij/approve"><input type="hidden" name="for" value="${scope}">`);
    }
    expect(html).toContain('<form method="post" action="/approvals/apr_abcdefghij/deny">');
  });

  test('a broken chain names the line and reason; signatures not checked is said', () => {
    const result = {
      ok: false,
      lines: 9,
      checkpoints: 1,
      head: 'f'.repeat(64),
      signaturesChecked: false,
      closed: false,
      lastCheckpoint: 1,
      unsealed: 8,
      partialBytes: 0,
      recoveries: [],
      firstBad: { line: 10, reason: 'edited' as const, message: 'it was changed after it was written' },
    };
    const html = renderConsole(view({ chain: { result, checkedAt: NOW, refreshing: false } }));
    expect(html).toContain('BROKEN at line 10: edited');
    expect(html).toContain('signatures NOT checked');
  });

  test('when the decision window was cut short, the page says how far it reads', () => {
    const html = renderConsole(view({ recent: { decisions: [decision], truncated: true, bytesRead: 1 } }));
    expect(html).toContain('at most 500 decisions from the last 16 MiB');
  });
});

describe('renderLogin', () => {
  test('a password field posting to /login; a failed attempt says so', () => {
    expect(renderLogin('gw', false)).toContain('<form method="post" action="/login">');
    expect(renderLogin('gw', false)).toContain('type="password" name="token"');
    expect(renderLogin('gw', true)).toContain('not the admin token');
  });
});
