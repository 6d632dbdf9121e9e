// Metrics fed through the log hooks, read back as Prometheus text.
import { describe, expect, test } from 'vitest';
import { createMetrics } from '../../src/admin/metrics.js';
import type { Gateway } from '../../src/gateway/gateway.js';
import type { DecisionEntry } from '../../src/log/decisions.js';

function decision(over: Partial<DecisionEntry>): DecisionEntry {
  return {
    id: 'id-1',
    time: new Date(0).toISOString(),
    session: 's',
    principal: 'alice',
    server: 'recorder',
    tool: 'echo',
    args: {},
    args_sha256: 'a'.repeat(64),
    decision: 'allow',
    rules: [],
    reasons: [],
    receipt: 'jti-1',
    ...over,
  };
}

// Just enough of a gateway for the scrape-time gauges.
function fakeGateway(connected: string[], pending: number): Gateway {
  return {
    config: { upstreams: { recorder: {}, remote: {} } },
    pool: { connected: () => connected },
    state: { approvals: { listPending: async () => Array.from({ length: pending }) } },
    log: { stats: () => ({ commits: 3, lines: 42 }) },
    now: () => 0,
  } as unknown as Gateway;
}

describe('createMetrics', () => {
  test('counts calls by server, tool and decision, and decisions by decision', async () => {
    const m = createMetrics();
    m.hooks.onDecision(decision({ id: 'a' }));
    m.hooks.onDecision(decision({ id: 'b' }));
    m.hooks.onDecision(decision({ id: 'c', decision: 'deny', receipt: null }));
    const text = await m.render();
    expect(text).toContain('toolgate_calls_total{server="recorder",tool="echo",decision="allow"} 2');
    expect(text).toContain('toolgate_calls_total{server="recorder",tool="echo",decision="deny"} 1');
    expect(text).toContain('toolgate_decisions_total{decision="allow"} 2');
    expect(text).toContain('toolgate_decisions_total{decision="challenge"} 0');
  });

  test('unknown tools (names chosen by clients) share one label', async () => {
    const m = createMetrics();
    for (let i = 0; i < 5; i++) m.hooks.onDecision(decision({ id: `u${i}`, server: '', tool: `made-up-${i}`, decision: 'deny', receipt: null }));
    const text = await m.render();
    expect(text).toContain('toolgate_calls_total{server="",tool="(unknown)",decision="deny"} 5');
    expect(text).not.toContain('made-up');
  });

  test('the latency of a forwarded call is observed by its server and outcome', async () => {
    const m = createMetrics();
    m.hooks.onDecision(decision({ id: 'fwd' }));
    m.hooks.onOutcome('fwd', { outcome: 'tool-error', latency_ms: 250 });
    m.hooks.onOutcome('never-decided', { outcome: 'ok', latency_ms: 1 });
    const text = await m.render();
    expect(text).toContain('toolgate_call_duration_seconds_count{server="recorder",outcome="tool-error"} 1');
    expect(text).toContain('toolgate_call_duration_seconds_sum{server="recorder",outcome="tool-error"} 0.25');
    expect(text).toContain('toolgate_call_duration_seconds_bucket{le="0.25",server="recorder",outcome="tool-error"} 1');
    expect(text).not.toContain('outcome="ok"');
  });

  test('upstream health, pending approvals and log lines are read from the gateway at scrape time', async () => {
    const m = createMetrics();
    m.attach(fakeGateway(['recorder'], 2));
    const text = await m.render();
    expect(text).toContain('toolgate_upstream_up{upstream="recorder"} 1');
    expect(text).toContain('toolgate_upstream_up{upstream="remote"} 0');
    expect(text).toContain('toolgate_approvals_pending 2');
    expect(text).toContain('toolgate_log_lines 42');
  });

  test('a failed log write marks the log not writable until the next decision is written', async () => {
    const m = createMetrics();
    expect(m.logWritable()).toBe(true);
    m.hooks.onLogFailure();
    expect(m.logWritable()).toBe(false);
    expect(await m.render()).toContain('toolgate_log_write_failures_total 1');
    m.hooks.onDecision(decision({}));
    expect(m.logWritable()).toBe(true);
  });

  test('two gateways in one process keep separate counts', async () => {
    const a = createMetrics();
    const b = createMetrics();
    a.hooks.onDecision(decision({}));
    expect(await b.render()).not.toContain('toolgate_calls_total{');
  });
});
