/** evaluate(compiled, call, ctx) → Decision: pure, no I/O, no clock, inputs untouched. */
import { matchConditions } from './match.js';
import { memoDigest, rateWindow } from './rate.js';
import type {
  CompiledPolicy,
  CompiledRule,
  Decision,
  Effect,
  EvalContext,
  MatchedRule,
  RateWindow,
  ToolCall,
} from './types.js';

interface Held {
  readonly rule: CompiledRule;
  readonly notes: readonly string[];
}

const VERB: Record<Effect, string> = { allow: 'allowed', deny: 'denied', challenge: 'requires approval' };

/**
 * Decides one call. Any matching deny wins over challenge, challenge over allow; nothing
 * matching means the policy's `default`. A rule with a `rate` holds only while its window's
 * count (from `ctx.rateCounts`) is below `max`. Path conditions read `ctx.paths`, filled by
 * `resolveCallPaths`; an unresolved path fails allow rules and holds for deny/challenge rules.
 */
export function evaluate(compiled: CompiledPolicy, call: ToolCall, ctx: EvalContext): Decision {
  const held: Record<Effect, Held[]> = { deny: [], challenge: [], allow: [] };
  const matched: MatchedRule[] = [];
  const windows: RateWindow[] = [];
  let rateNotes: string[] | undefined;
  let argsHash: (() => string) | undefined;

  for (const rule of compiled.candidates(call.server, call.tool)) {
    const m = matchConditions(rule, call, ctx);
    if (!m.holds) continue;
    if (rule.rate !== undefined) {
      const window = rateWindow(rule, call, ctx, (argsHash ??= memoDigest(call.args)));
      if ((ctx.rateCounts.get(window.key) ?? 0) >= window.max) {
        if (rule.effect === 'allow') {
          (rateNotes ??= []).push(`rate limit: rule ${rule.id} allows ${rule.rate.max} per ${rule.rate.per}`);
        }
        continue;
      }
      windows.push(window);
    }
    held[rule.effect].push({ rule, notes: m.notes });
    matched.push(rule.reason === undefined ? { id: rule.id, effect: rule.effect } : { id: rule.id, effect: rule.effect, reason: rule.reason });
  }

  const winner: Effect | undefined =
    held.deny.length > 0 ? 'deny' : held.challenge.length > 0 ? 'challenge' : held.allow.length > 0 ? 'allow' : undefined;
  const decision = winner ?? compiled.default;
  const deciding = winner === undefined ? [] : held[winner];
  const reasons = deciding.map(reasonOf);
  if (winner === undefined) reasons.push(`no rule matched; default ${compiled.default}`);
  if (rateNotes !== undefined && decision !== 'allow') reasons.unshift(...rateNotes);

  return {
    decision,
    rules: deciding.map((h) => h.rule.id),
    reasons,
    matched,
    policy: compiled.hash,
    charge: decision === 'deny' ? [] : windows,
  };
}

function reasonOf({ rule, notes }: Held): string {
  const base = rule.reason ?? `rule ${rule.id} ${VERB[rule.effect]}`;
  return notes.length === 0 ? base : `${base} (${notes.join('; ')})`;
}
