/** One tools/call: decide, challenge, sign, log, forward, log the outcome. Fails closed. */
import { randomUUID } from 'node:crypto';
import { CallToolResultSchema, type CallToolRequest, type CallToolResult, type Progress, type RequestId } from '@modelcontextprotocol/sdk/types.js';
import { ToolgateError, isToolgateError, oneLine } from '../errors.js';
import type { DecisionEntry } from '../log/decisions.js';
import { evaluate } from '../policy/evaluate.js';
import { resolveCallPaths } from '../policy/paths.js';
import { rateChecks } from '../policy/rate.js';
import type { Decision, EvalContext, ToolCall } from '../policy/types.js';
import { argsSha256 } from '../receipts/digest.js';
import type { Gateway, Session } from './gateway.js';
import { TOOL_CHANGED } from './pins.js';
import { settle, type ChallengeEnd } from './challenge.js';
import { RECEIPT_META, deniedResult, toWireError } from './to-wire.js';

type Outcome = 'ok' | 'error' | 'tool-error' | 'upstream-unavailable';

const NO_COUNTS: ReadonlyMap<string, number> = new Map();

/**
 * Handles one `tools/call` for `session`. Returns the upstream's result (with the receipt in
 * `_meta`), or an `isError` result for a deny or an unanswered challenge. Throws an McpError for
 * bad input (unknown tool, bad arguments) and for any failure that stops the call from being
 * forwarded (policy, signing, log, upstream). Every path writes a decision line first.
 * `overLimit` (the session's limit) refuses the call, logged, because the session has too many under way.
 */
export async function handleToolCall(
  gw: Gateway,
  session: Session,
  params: CallToolRequest['params'],
  request: { signal?: AbortSignal; requestId?: RequestId; onprogress?: (progress: Progress) => void; overLimit?: number } = {},
): Promise<CallToolResult> {
  const { signal, requestId, onprogress } = request;
  const started = performance.now();
  const args = (params.arguments ?? {}) as Record<string, unknown>;
  const id = randomUUID();
  const base = { id, session: session.id, principal: session.principal.id };
  let digest: string;
  try {
    digest = argsSha256(args);
  } catch (e) {
    throw toWireError(new ToolgateError('TG_BAD_ARGS', `arguments cannot be hashed: ${oneLine(e)}`));
  }

  const entry = gw.pool.catalog.byExposed(params.name);
  if (!entry) {
    const reason = `unknown tool ${JSON.stringify(params.name)}`;
    await refuse(gw, { ...base, server: '', tool: params.name, args, args_sha256: digest }, reason);
    throw toWireError(new ToolgateError('TG_UNKNOWN_TOOL', reason));
  }
  const call: ToolCall = { server: entry.server, tool: entry.tool, args };
  const where = { ...base, server: entry.server, tool: entry.tool, args, args_sha256: digest };
  if (request.overLimit !== undefined) {
    const reason = `too many concurrent calls in this session (limit ${request.overLimit})`;
    await refuse(gw, where, reason);
    throw toWireError(new ToolgateError('TG_TOO_MANY_CALLS', reason));
  }
  const problem = entry.checkArgs(args);
  if (problem) {
    const reason = `invalid arguments for ${params.name}: ${problem}`;
    await refuse(gw, where, reason);
    throw toWireError(new ToolgateError('TG_BAD_ARGS', reason));
  }

  let decision: Decision;
  try {
    if (await gw.pins.isHeld(entry.server, entry.tool)) {
      const held = heldDecision(gw);
      await writeDecision(gw, { ...where, decision: held, receipt: null });
      return deniedResult(held, {
        hint: `The definition of ${entry.server}/${entry.tool} changed since it was pinned; a person must run \`toolgate pins accept ${entry.server}/${entry.tool}\``,
      });
    }
    decision = await decide(gw, session, call);
  } catch (e) {
    await refuse(gw, where, `policy could not be evaluated: ${oneLine(e)}`);
    throw toWireError(e);
  }

  if (decision.decision === 'deny') {
    await writeDecision(gw, { ...where, decision, receipt: null });
    return deniedResult(decision);
  }
  let approval: string | undefined;
  if (decision.decision === 'challenge') {
    let end: ChallengeEnd;
    try {
      end = await settle(gw, session, { server: entry.server, tool: entry.tool, args, args_sha256: digest, requestId, signal }, decision);
    } catch (e) {
      const error = new ToolgateError('TG_STATE_FAILED', `the approval could not be settled: ${oneLine(e)}`, { cause: e });
      await refuse(gw, where, error.message);
      throw toWireError(error);
    }
    if (end.kind === 'refused') {
      await writeDecision(gw, { ...where, approval: end.approvalId, decision: end.decision, receipt: null });
      return end.result;
    }
    approval = end.approvalId;
  }

  const overLimit = await chargeRates(gw, decision).catch(async (e: unknown) => {
    const error = new ToolgateError('TG_STATE_FAILED', `rate counters could not be updated: ${oneLine(e)}`, { cause: e });
    await refuse(gw, where, error.message);
    throw toWireError(error);
  });
  if (overLimit) {
    // Another call (or replica) used the last slot between evaluate and charge.
    const denied = { ...decision, decision: 'deny' as const, reasons: [`rate limit: rule ${overLimit} reached its maximum`] };
    await writeDecision(gw, { ...where, decision: denied, receipt: null });
    return deniedResult(denied);
  }

  // The decision line (naming the receipt's jti) goes to disk while the receipt is signed;
  // the call goes out only when both are done.
  const jti = randomUUID();
  const written = writeDecision(gw, { ...where, ...(approval ? { approval } : {}), decision, receipt: jti });
  let receipt: { token: string };
  try {
    receipt = await gw.signer.sign({
      sub: session.principal.id,
      aud: entry.server,
      tool: entry.tool,
      decision: decision.decision,
      rules: [...decision.rules],
      policy: decision.policy,
      args_sha256: digest,
      jti,
      ...(approval ? { approval } : {}),
    });
  } catch (e) {
    // The decision is on disk; its outcome line says the call never went out.
    await written;
    await gw.log.outcome(id, { outcome: 'error', latency_ms: 0 }).catch(() => undefined);
    gw.logger.error({ err: oneLine(e), id }, 'receipt signing failed; call refused');
    throw toWireError(new ToolgateError('TG_SIGN_FAILED', 'the receipt could not be signed', { cause: e }));
  }
  await written;
  return forward(gw, id, entry.server, params, entry.tool, receipt.token, started, {
    signal,
    onprogress,
    holder: { id: session.id, requestId },
    placeholder: entry.placeholder === true,
  });
}

async function decide(gw: Gateway, session: Session, call: ToolCall): Promise<Decision> {
  const policy = gw.policy.current;
  const paths = await resolveCallPaths(policy, call, gw.config.baseDir);
  const pre: EvalContext = { principal: session.principal, session: session.id, now: gw.now(), paths, rateCounts: NO_COUNTS };
  const checks = rateChecks(policy, call, pre);
  if (checks.length === 0) return evaluate(policy, call, pre);
  const rateCounts = await gw.state.rates.counts(checks.map((c) => c.key), pre.now);
  return evaluate(policy, call, { ...pre, rateCounts });
}

function heldDecision(gw: Gateway): Decision {
  return { decision: 'deny', rules: [], reasons: [TOOL_CHANGED], matched: [], policy: gw.policy.current.hash, charge: [] };
}

// Counts the call in each of its rate windows; returns the rule whose window overflowed, if any.
async function chargeRates(gw: Gateway, decision: Decision): Promise<string | undefined> {
  const now = gw.now();
  let over: string | undefined;
  for (const window of decision.charge) {
    const count = await gw.state.rates.hit(window.key, window.windowMs, now);
    if (count > window.max) over ??= window.rule;
  }
  return over;
}

async function forward(
  gw: Gateway,
  id: string,
  server: string,
  params: CallToolRequest['params'],
  tool: string,
  token: string,
  started: number,
  options: {
    signal: AbortSignal | undefined;
    onprogress: ((progress: Progress) => void) | undefined;
    holder: { id: string; requestId: RequestId | undefined };
    placeholder: boolean;
  },
): Promise<CallToolResult> {
  const { signal, onprogress, holder, placeholder } = options;
  let outcome: Outcome = 'error';
  try {
    // A placeholder names a tool of an upstream that was down when the call came in: never forwarded.
    if (placeholder) throw new ToolgateError('TG_UPSTREAM_UNAVAILABLE', `upstream ${server} is unavailable`, { details: { upstream: server } });
    const upstreamParams = { ...params, name: tool, _meta: { ...params._meta, [RECEIPT_META]: token } };
    // The pool applies the upstream's timeout; on timeout or cancel the SDK sends notifications/cancelled upstream.
    const result = await gw.pool.request(server, { method: 'tools/call', params: upstreamParams }, CallToolResultSchema, {
      ...(signal ? { signal } : {}),
      ...(onprogress ? { onprogress } : {}),
      holder: { id: holder.id, ...(holder.requestId !== undefined ? { requestId: holder.requestId } : {}) },
    });
    outcome = result.isError ? 'tool-error' : 'ok';
    return { ...result, _meta: { ...result._meta, [RECEIPT_META]: token } } as CallToolResult;
  } catch (e) {
    if (isToolgateError(e, 'TG_UPSTREAM_UNAVAILABLE') || isToolgateError(e, 'TG_UPSTREAM_TIMEOUT')) outcome = 'upstream-unavailable';
    throw toWireError(e);
  } finally {
    const latency = Math.round((performance.now() - started) * 1000) / 1000;
    gw.log.outcome(id, { outcome, latency_ms: latency }).catch((e: unknown) => {
      gw.logger.error({ err: oneLine(e), id }, 'could not record the outcome of a forwarded call');
    });
  }
}

type Where = Omit<DecisionEntry, 'time' | 'decision' | 'rules' | 'reasons' | 'receipt' | 'approval'> & { approval?: string };

// Writes the decision line; the call goes no further unless it is on disk.
async function writeDecision(gw: Gateway, e: Where & { decision: Decision; receipt: string | null }): Promise<void> {
  const { decision, ...rest } = e;
  try {
    await gw.log.append({
      ...rest,
      time: new Date(gw.now()).toISOString(),
      decision: decision.decision,
      rules: [...decision.rules],
      reasons: [...decision.reasons],
    });
  } catch (err) {
    gw.logger.error({ err: oneLine(err) }, 'decision log write failed; call refused');
    throw toWireError(
      err instanceof ToolgateError ? err : new ToolgateError('TG_LOG_FAILED', 'the decision log could not be written', { cause: err }),
    );
  }
}

// A refusal for bad input or an internal failure: logged as a deny with no rule.
async function refuse(gw: Gateway, where: Where, reason: string): Promise<void> {
  await writeDecision(gw, {
    ...where,
    decision: { decision: 'deny', rules: [], reasons: [reason], matched: [], policy: gw.policy.current.hash, charge: [] },
    receipt: null,
  });
}
