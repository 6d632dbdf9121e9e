/** Strict zod schema for a policy file (version 1); unknown keys and bad values are errors. */
import { z } from 'zod';
import { parseDuration } from '../duration.js';

const effect = z.enum(['allow', 'deny', 'challenge']);
const scalar = z.union([z.string(), z.number(), z.boolean()]);

/** Durations for `rate.per`: a whole number and a unit, `500ms`, `30s`, `15m`, `1h`, `1d`. */
export const DURATION = /^([1-9][0-9]*)(ms|s|m|h|d)$/;

/** Milliseconds in a `rate.per` duration; undefined when it is not one. */
export function durationMs(text: string): number | undefined {
  return DURATION.test(text) ? parseDuration(text) : undefined;
}

/** Keys of `when` other than `args.<path>`. */
const PRINCIPAL_KEYS = new Set(['principal.id', 'principal.roles']);
/** `args.` then one or more dotted segments; a segment never empty. */
export const ARGS_KEY = /^args(\.[^.\s]+)+$/;

/** Strings an upstream may read as something other than a plain path: `~` (home), URIs. */
export const NOT_A_PLAIN_PATH = /^(~(\/|$)|file:|[A-Za-z][A-Za-z0-9+.-]*:\/\/)/;

const conditionSchema = z
  .strictObject({
    under: z
      .string()
      .min(1)
      .refine((s) => !NOT_A_PLAIN_PATH.test(s) && !s.includes('\0'), 'expected a plain path (no ~, no URI)')
      .optional(),
    glob: z.string().min(1).optional(),
    equals: scalar.optional(),
    in: z.array(scalar).min(1).optional(),
    regex: z.string().optional(),
    maxLength: z.number().int().nonnegative().optional(),
    min: z.number().optional(),
    max: z.number().optional(),
    present: z.boolean().optional(),
    includes: z.string().optional(),
  })
  // Only when nothing else is wrong: an unknown operator must not also read as "no operator".
  .refine((c) => Object.values(c).some((v) => v !== undefined), {
    message: 'a condition needs at least one operator',
    when: (payload) => payload.issues.length === 0,
  })
  .superRefine((c, ctx) => {
    const ops = Object.keys(c).filter((k) => c[k as keyof typeof c] !== undefined);
    if (c.present === false && ops.length > 1) {
      ctx.addIssue({ code: 'custom', path: ['present'], message: 'present: false cannot be combined with other operators' });
    }
    if (c.min !== undefined && c.max !== undefined && c.min > c.max) {
      ctx.addIssue({ code: 'custom', path: ['min'], message: 'min is greater than max' });
    }
    if (c.regex !== undefined) {
      try {
        new RegExp(c.regex, 'u');
      } catch {
        ctx.addIssue({ code: 'custom', path: ['regex'], message: 'not a valid regular expression' });
      }
    }
  });

/** One condition object: every operator given must hold. */
export type ConditionSpec = z.infer<typeof conditionSchema>;

const rateSchema = z.strictObject({
  max: z.number().int().positive(),
  per: z.string().regex(DURATION, 'expected a duration like 30s, 15m, 1h or 1d'),
  by: z.enum(['principal', 'tool', 'session', 'args']).default('principal'),
});

/** A rule's rate limit. */
export type RateSpec = z.infer<typeof rateSchema>;

const whenSchema = z
  .object({ rate: rateSchema.optional() })
  .catchall(conditionSchema)
  .superRefine((when, ctx) => {
    for (const [key, cond] of Object.entries(when)) {
      if (key === 'rate') continue;
      const c = cond as ConditionSpec;
      if (!PRINCIPAL_KEYS.has(key) && !ARGS_KEY.test(key)) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: 'unknown key (expected args.<path>, principal.id, principal.roles or rate)',
        });
        continue;
      }
      if (key.startsWith('principal.') && c.under !== undefined) {
        ctx.addIssue({ code: 'custom', path: [key, 'under'], message: 'under applies to argument paths only' });
      }
      if (key === 'principal.id' && c.includes !== undefined) {
        ctx.addIssue({ code: 'custom', path: [key, 'includes'], message: 'includes applies to lists (principal.roles)' });
      }
      if (key === 'principal.roles') {
        for (const op of Object.keys(c)) {
          if (op !== 'includes' && op !== 'present' && c[op as keyof ConditionSpec] !== undefined) {
            ctx.addIssue({ code: 'custom', path: [key, op], message: 'principal.roles takes includes or present' });
          }
        }
      }
    }
  });

/** A rule's `when`: condition objects by key, and an optional `rate`. */
export type WhenSpec = z.infer<typeof whenSchema>;

const ruleSchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'expected letters, digits, ".", "_", ":" or "-"'),
  effect,
  server: z.string().min(1).optional(),
  tools: z.array(z.string().min(1)).min(1).default(['*']),
  when: whenSchema.optional(),
  reason: z.string().min(1).optional(),
});

/** One rule as parsed. */
export type RuleSpec = z.infer<typeof ruleSchema>;

/** The whole policy file. Rule ids must be unique (across files too: checked at compile). */
export const policyFileSchema = z
  .strictObject({
    version: z.literal(1),
    default: effect.optional(),
    rules: z.array(ruleSchema).default([]),
  })
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    file.rules.forEach((rule, i) => {
      if (seen.has(rule.id)) {
        ctx.addIssue({ code: 'custom', path: ['rules', i, 'id'], message: `duplicate rule id ${rule.id}` });
      }
      seen.add(rule.id);
    });
  });

/** A policy file as parsed (defaults applied: `tools: ["*"]`, `rate.by: principal`). */
export type PolicyFile = z.infer<typeof policyFileSchema>;
