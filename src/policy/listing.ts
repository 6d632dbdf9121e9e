/** isListed: whether tools/list shows a tool to a principal, i.e. the policy does not deny it outright. */
import { matchConditions } from './match.js';
import type { CompiledPolicy, CompiledRule, Principal } from './types.js';

const NO_PATHS: ReadonlyMap<string, string | null> = new Map();
const NO_ARGS = Object.freeze({});

/**
 * False when the tool is denied for `principal` whatever the arguments: a deny rule with no
 * argument or rate condition matches, or no allow/challenge rule could ever match and the
 * default is deny. True otherwise (the call itself is still decided by `evaluate`).
 */
export function isListed(compiled: CompiledPolicy, server: string, tool: string, principal: Principal): boolean {
  const call = { server, tool, args: NO_ARGS };
  const ctx = { principal, paths: NO_PATHS };
  let couldPass = compiled.default !== 'deny';
  for (const rule of compiled.candidates(server, tool)) {
    if (!principalHolds(rule, call, ctx)) continue;
    if (rule.effect === 'deny') {
      if (rule.argFree) return false;
    } else {
      couldPass = true;
    }
  }
  return couldPass;
}

// Only the principal's conditions can be known before the call: argument conditions are
// assumed satisfiable.
function principalHolds(
  rule: CompiledRule,
  call: { server: string; tool: string; args: Readonly<Record<string, unknown>> },
  ctx: { principal: Principal; paths: ReadonlyMap<string, string | null> },
): boolean {
  if (rule.conditions.every((c) => c.source === 'args')) return true;
  const onlyPrincipal: CompiledRule = { ...rule, conditions: rule.conditions.filter((c) => c.source !== 'args') };
  return matchConditions(onlyPrincipal, call, ctx).holds;
}
