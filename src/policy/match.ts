/** A rule's conditions (not its rate) against one call: holds or not, and what failed closed. */
import { lookupArg } from './conditions.js';
import type { CompiledCondition, CompiledRule, EvalContext, ToolCall } from './types.js';

/** The outcome for one rule: whether every condition held, and notes on values that failed closed. */
export interface RuleMatch {
  readonly holds: boolean;
  /** For deny/challenge rules: conditions that held only because a value was of the wrong type. */
  readonly notes: readonly string[];
}

const NO_NOTES: readonly string[] = Object.freeze([]);
const FAILED: RuleMatch = Object.freeze({ holds: false, notes: NO_NOTES });
const HELD: RuleMatch = Object.freeze({ holds: true, notes: NO_NOTES });

/**
 * Checks every condition of `rule`. An absent value satisfies only `present: false`. A value of
 * the wrong type fails an allow rule and holds for deny/challenge (fail closed), with a note.
 */
export function matchConditions(
  rule: CompiledRule,
  call: ToolCall,
  ctx: Pick<EvalContext, 'principal' | 'paths'>,
): RuleMatch {
  let notes: string[] | undefined;
  const failClosed = rule.effect !== 'allow';
  for (const c of rule.conditions) {
    const value = valueOf(c, call, ctx);
    if (value === undefined) {
      if (c.present === false) continue;
      return FAILED;
    }
    if (c.present === false) return FAILED;
    const resolved = c.isPath ? ctx.paths.get(c.key) : undefined;
    for (const op of c.operators) {
      const outcome = op.test({ value, resolved });
      if (outcome === 'holds') continue;
      if (outcome === 'fails' || !failClosed) return FAILED;
      (notes ??= []).push(wrongTypeNote(c, op.op, op.expects, value, resolved));
    }
  }
  return notes === undefined ? HELD : { holds: true, notes };
}

function valueOf(c: CompiledCondition, call: ToolCall, ctx: Pick<EvalContext, 'principal'>): unknown {
  switch (c.source) {
    case 'args':
      return lookupArg(call.args, c.path);
    case 'principal.id':
      return ctx.principal.id;
    case 'principal.roles':
      return ctx.principal.roles;
  }
}

// Names the key and the operator, never the value: arguments may carry secrets.
function wrongTypeNote(
  c: CompiledCondition,
  op: string,
  expects: string,
  value: unknown,
  resolved: string | null | undefined,
): string {
  if (c.isPath && typeof value === 'string') {
    return resolved === undefined
      ? `${c.key} was not resolved (${op}); failing closed`
      : `${c.key} could not be resolved (${op}); failing closed`;
  }
  return `${c.key} is not ${expects} (${op}); failing closed`;
}
