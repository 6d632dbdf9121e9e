import { describe, expect, it } from 'vitest';
import { argsDigest, rateChecks } from '../../src/policy/rate.js';
import { compileText, ctxOf, decide } from './helpers.js';

const HOUR = 3_600_000;
const T0 = 1_700_000_000_000 - (1_700_000_000_000 % HOUR); // an hour boundary

const POLICY = `
version: 1
rules:
  - id: refunds-capped
    effect: allow
    server: payments
    tools: [create_refund]
    when:
      principal.roles: { includes: support }
      args.amount_usd: { max: 100 }
      rate: { max: 10, per: 1h, by: principal }
  - id: per-session
    effect: allow
    server: s
    tools: [t]
    when:
      rate: { max: 2, per: 30s, by: session }
  - id: per-tool
    effect: allow
    server: s
    tools: ["u*"]
    when:
      rate: { max: 1, per: 1d, by: tool }
  - id: per-args
    effect: allow
    server: s
    tools: [v]
    when:
      rate: { max: 1, per: 1m, by: args }
`;
const policy = compileText(POLICY);
const support = { id: 'sam', roles: ['support'] };
const refund = { server: 'payments', tool: 'create_refund', args: { amount_usd: 50 } };

describe('rateChecks', () => {
  it('gives the window for a rule whose other conditions hold', () => {
    const checks = rateChecks(policy, refund, ctxOf({ principal: support, now: T0 + 5 }));
    expect(checks).toEqual([
      { key: `rate:refunds-capped:principal:sam:${T0}`, max: 10, windowMs: HOUR, rule: 'refunds-capped', windowStart: T0 },
    ]);
  });
  it('gives nothing when the other conditions do not hold', () => {
    expect(rateChecks(policy, refund, ctxOf({ principal: { id: 'sam', roles: [] } }))).toEqual([]);
    expect(rateChecks(policy, { ...refund, args: { amount_usd: 500 } }, ctxOf({ principal: support }))).toEqual([]);
  });
  it('fixed windows: the same key until the boundary, a new one at it', () => {
    const key = (now: number) => rateChecks(policy, refund, ctxOf({ principal: support, now }))[0]?.key;
    expect(key(T0)).toBe(key(T0 + HOUR - 1));
    expect(key(T0 + HOUR)).not.toBe(key(T0 + HOUR - 1));
    expect(key(T0 + HOUR)).toBe(`rate:refunds-capped:principal:sam:${T0 + HOUR}`);
  });
  it('keys by session, tool and args', () => {
    const now = T0;
    const w30 = T0 - (T0 % 30_000);
    expect(rateChecks(policy, { server: 's', tool: 't', args: {} }, ctxOf({ session: 'a b', now }))[0]?.key).toBe(
      `rate:per-session:session:a%20b:${w30}`,
    );
    expect(rateChecks(policy, { server: 's', tool: 'u1', args: {} }, ctxOf({ now }))[0]?.key).toMatch(/^rate:per-tool:tool:s\/u1:/);
    const args = { b: 1, a: [1, 2] };
    expect(rateChecks(policy, { server: 's', tool: 'v', args }, ctxOf({ now }))[0]?.key).toMatch(
      new RegExp(`^rate:per-args:args:${argsDigest({ a: [1, 2], b: 1 })}:`),
    );
  });
  it('principals with characters that look like separators do not collide', () => {
    const a = rateChecks(policy, refund, ctxOf({ principal: { id: 'a:b', roles: ['support'] } }))[0]?.key;
    const b = rateChecks(policy, refund, ctxOf({ principal: { id: 'a%3Ab', roles: ['support'] } }))[0]?.key;
    expect(a).not.toBe(b);
  });
});

describe('evaluate with rate counts', () => {
  const key = `rate:refunds-capped:principal:sam:${T0}`;
  const at = (count: number) =>
    decide(policy, 'payments/create_refund', { amount_usd: 50 }, { principal: support, now: T0, rateCounts: new Map([[key, count]]) });

  it('allows while the count is below max and charges the window', () => {
    const d = at(9);
    expect(d.decision).toBe('allow');
    expect(d.charge.map((c) => c.key)).toEqual([key]);
  });
  it('a missing count is zero', () => {
    expect(decide(policy, 'payments/create_refund', { amount_usd: 50 }, { principal: support, now: T0 }).decision).toBe('allow');
  });
  it('stops at max and says so in the reasons', () => {
    const d = at(10);
    expect(d.decision).toBe('deny');
    expect(d.rules).toEqual([]);
    expect(d.reasons).toEqual(['rate limit: rule refunds-capped allows 10 per 1h', 'no rule matched; default deny']);
    expect(d.charge).toEqual([]);
  });
  it('a denied call charges nothing', () => {
    const p = compileText(`${POLICY}
  - { id: block, effect: deny, server: s, tools: [t] }
`);
    expect(decide(p, 's/t').charge).toEqual([]);
  });
  it('a rule without rate charges nothing', () => {
    const p = compileText('version: 1\nrules:\n  - { id: a, effect: allow }\n');
    expect(decide(p, 's/t').charge).toEqual([]);
  });
});
