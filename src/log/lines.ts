/** The kinds of decision-log line, their fields, and zod schemas for reading them back. */
import { z } from 'zod';

/** pino's level numbers, so `pino-pretty` and other pino tooling read the log as is. */
export const LEVEL_INFO = 30;
/** pino's warn level: used for recovery lines. */
export const LEVEL_WARN = 40;

/** How a forwarded call ended. */
export type Outcome = 'ok' | 'error' | 'tool-error' | 'upstream-unavailable';

/** Why a checkpoint was written: log opened, `checkpoint.every` lines, `checkpoint.interval`, clean close. */
export type CheckpointTrigger = 'open' | 'every' | 'interval' | 'close';

/** Stands in the signed payload, so no other JWS signed by the gateway key passes for a checkpoint. */
export const CHECKPOINT_TYP = 'toolgate-log-checkpoint';

/**
 * What a checkpoint signs. `lines` is the number of lines before the checkpoint and `head` the
 * hash of the last of them (GENESIS when there are none). Everything verify relies on is in
 * here: a checkpoint's unsigned fields can be rewritten by anyone who can cut the lines after it.
 */
export interface CheckpointPayload {
  readonly typ: typeof CHECKPOINT_TYP;
  readonly lines: number;
  readonly head: string;
  readonly time: string;
  readonly trigger: CheckpointTrigger;
}

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);
const chained = { prev: hex64, hash: hex64, time: z.string() };

/** A decision line as read back. `outcome`/`latency_ms` are null here; an outcome line follows. */
export const decisionLineSchema = z.looseObject({
  ...chained,
  type: z.literal('decision'),
  id: z.string(),
  session: z.string(),
  principal: z.string(),
  server: z.string(),
  tool: z.string(),
  args: z.record(z.string(), z.unknown()),
  args_sha256: z.string(),
  decision: z.enum(['allow', 'deny', 'challenge']),
  rules: z.array(z.string()),
  reasons: z.array(z.string()),
  receipt: z.string().nullable(),
  approval: z.string().optional(),
  outcome: z.enum(['ok', 'error', 'tool-error', 'upstream-unavailable']).nullable(),
  latency_ms: z.number().nullable(),
});
/** A decision line. */
export type DecisionLine = z.infer<typeof decisionLineSchema>;

/** An outcome line: how the call of decision `id` ended. */
export const outcomeLineSchema = z.looseObject({
  ...chained,
  type: z.literal('outcome'),
  id: z.string(),
  outcome: z.enum(['ok', 'error', 'tool-error', 'upstream-unavailable']),
  latency_ms: z.number(),
});
/** An outcome line. */
export type OutcomeLine = z.infer<typeof outcomeLineSchema>;

/** A checkpoint line: the signed payload's fields, the key id and the compact JWS. */
export const checkpointLineSchema = z.looseObject({
  ...chained,
  type: z.literal('checkpoint'),
  lines: z.number().int().min(0),
  head: hex64,
  trigger: z.enum(['open', 'every', 'interval', 'close']),
  kid: z.string(),
  sig: z.string(),
});
/** A checkpoint line. */
export type CheckpointLine = z.infer<typeof checkpointLineSchema>;

/** A recovery line: written on open after an unclean shutdown, before the open checkpoint. */
export const recoveryLineSchema = z.looseObject({
  ...chained,
  type: z.literal('recovery'),
  /** Lines of the previous run after its last checkpoint (not sealed when it stopped). */
  unsealed: z.number().int().min(0),
  /** Bytes of a half-written last line that were cut off, with their SHA-256 and base64 content. */
  torn_bytes: z.number().int().min(0),
  torn_sha256: z.string().nullable(),
  torn: z.string().nullable(),
});
/** A recovery line. */
export type RecoveryLine = z.infer<typeof recoveryLineSchema>;

/** The signed payload for a checkpoint; the writer signs exactly this and verify compares it. */
export function checkpointPayload(lines: number, head: string, time: string, trigger: CheckpointTrigger): CheckpointPayload {
  return { typ: CHECKPOINT_TYP, lines, head, time, trigger };
}
