/** Fixed-window rate limits: which windows a call falls into, so the edge can read and charge counts. */
import { canonicalSha256 } from '../canonical.js';
import { matchConditions } from './match.js';
import type { CompiledPolicy, CompiledRule, EvalContext, RateWindow, ToolCall } from './types.js';

/** The context `rateChecks` needs: everything but the counts it is used to fetch. */
export type RateContext = Omit<EvalContext, 'rateCounts'>;

/** Hex SHA-256 of the RFC 8785 canonical JSON of the arguments (the `by: args` value). */
export function argsDigest(args: unknown): string {
  return canonicalSha256(args);
}

/**
 * The window of `rule`'s rate this call falls into. Key: `rate:<rule>:<by>:<value>:<window start>`,
 * the value URI-encoded (or the args digest), so keys never collide across rules or windows.
 * `argsHash` is asked at most once per call by the caller's memo.
 */
export function rateWindow(
  rule: CompiledRule,
  call: ToolCall,
  ctx: Pick<EvalContext, 'principal' | 'session' | 'now'>,
  argsHash: () => string,
): RateWindow {
  const rate = rule.rate;
  if (rate === undefined) throw new TypeError(`rule ${rule.id} has no rate`);
  let value: string;
  switch (rate.by) {
    case 'principal':
      value = encodeURIComponent(ctx.principal.id);
      break;
    case 'session':
      value = encodeURIComponent(ctx.session);
      break;
    case 'tool':
      value = `${encodeURIComponent(call.server)}/${encodeURIComponent(call.tool)}`;
      break;
    case 'args':
      value = argsHash();
      break;
  }
  const windowStart = ctx.now - (((ctx.now % rate.windowMs) + rate.windowMs) % rate.windowMs);
  return {
    key: `rate:${encodeURIComponent(rule.id)}:${rate.by}:${value}:${windowStart}`,
    max: rate.max,
    windowMs: rate.windowMs,
    rule: rule.id,
    windowStart,
  };
}

/**
 * The rate windows a call falls into: one per rule with a `rate` whose other conditions hold.
 * The edge reads each window's count into `ctx.rateCounts` (by `key`) before `evaluate`.
 */
export function rateChecks(compiled: CompiledPolicy, call: ToolCall, ctx: RateContext): RateWindow[] {
  const out: RateWindow[] = [];
  const argsHash = memoDigest(call.args);
  for (const rule of compiled.candidates(call.server, call.tool)) {
    if (rule.rate === undefined) continue;
    if (!matchConditions(rule, call, ctx).holds) continue;
    out.push(rateWindow(rule, call, ctx, argsHash));
  }
  return out;
}

/** A lazy, once-only digest of `args`. */
export function memoDigest(args: unknown): () => string {
  let digest: string | undefined;
  return () => (digest ??= argsDigest(args));
}
