/** Policy test cases (`toolgate policy test` files): their schema, and one case checked against a decision. */
import { z } from 'zod';
import type { Decision, Effect, Principal, ToolCall } from './types.js';

const effect = z.enum(['allow', 'deny', 'challenge']);

const caseSchema = z.strictObject({
  name: z.string().min(1),
  tool: z.string().regex(/^[^/]+\/.+$/, 'expected SERVER/TOOL'),
  args: z.record(z.string(), z.unknown()).default({}),
  principal: z.strictObject({ id: z.string().min(1), roles: z.array(z.string()).default([]) }).optional(),
  session: z.string().min(1).optional(),
  expect: effect,
  rules: z.array(z.string()).optional(),
});

/** One case as parsed. */
export type PolicyCase = z.infer<typeof caseSchema>;

/** A case file: the policy (files relative to it) or a toolgate.yaml, and the cases. */
export const caseFileSchema = z
  .strictObject({
    policy: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
    config: z.string().min(1).optional(),
    cases: z.array(caseSchema).min(1),
  })
  .superRefine((f, ctx) => {
    if ((f.policy === undefined) === (f.config === undefined)) {
      ctx.addIssue({ code: 'custom', path: [], message: 'give exactly one of policy or config' });
    }
  });

/** A case file as parsed. */
export type PolicyCaseFile = z.infer<typeof caseFileSchema>;

/** Who calls when a case names no principal. */
export const DEFAULT_CASE_PRINCIPAL: Principal = Object.freeze({ id: 'test', roles: Object.freeze([]) });
/** The session id cases run in. */
export const CASE_SESSION = 'policy-test';

/** The call a case describes: `server/tool` split at the first slash. */
export function caseCall(c: PolicyCase): ToolCall {
  const slash = c.tool.indexOf('/');
  return { server: c.tool.slice(0, slash), tool: c.tool.slice(slash + 1), args: c.args };
}

/** What a case expected and what it got. */
export interface CaseOutcome {
  readonly pass: boolean;
  readonly expected: { readonly decision: Effect; readonly rules?: readonly string[] };
  readonly actual: Decision;
}

/** Compares a decision with a case: same decision, and when the case lists rules, the same rule ids (any order). */
export function checkCase(c: PolicyCase, actual: Decision): CaseOutcome {
  const rulesOk = c.rules === undefined || sameSet(c.rules, actual.rules);
  return {
    pass: actual.decision === c.expect && rulesOk,
    expected: c.rules === undefined ? { decision: c.expect } : { decision: c.expect, rules: c.rules },
    actual,
  };
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const left = new Set(a);
  const right = new Set(b);
  return left.size === right.size && [...left].every((x) => right.has(x));
}
