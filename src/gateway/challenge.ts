/**
 * A challenged call: a standing grant lets it through; a standing denial refuses it; otherwise a
 * person is asked through the client (elicitation) when it can answer, or given an approval id
 * to resolve with `toolgate approvals`. Nothing is forwarded without an explicit yes.
 */
import type { CallToolResult, RequestId } from '@modelcontextprotocol/sdk/types.js';
import { askPerson, clientCanElicit, DEFAULT_ELICIT_TIMEOUT_MS } from '../approvals/elicit.js';
import { previewArgs } from '../approvals/preview.js';
import { approveCommand, checkDenied, consumeGrant, requestApproval, resolveApproval } from '../approvals/store.js';
import type { Decision } from '../policy/types.js';
import type { Gateway, Session } from './gateway.js';
import { challengedResult, deniedResult } from './to-wire.js';

/** How a challenge ended: go ahead under an approval, or answer the client with `result`. */
export type ChallengeEnd =
  | { readonly kind: 'approved'; readonly approvalId: string }
  | { readonly kind: 'refused'; readonly approvalId: string; readonly decision: Decision; readonly result: CallToolResult };

/** The call being challenged. */
export interface Challenged {
  readonly server: string;
  readonly tool: string;
  readonly args: Record<string, unknown>;
  readonly args_sha256: string;
  readonly requestId?: RequestId;
  readonly signal?: AbortSignal;
}

/** Settles a challenge for `call`; state failures throw (the caller refuses the call). */
export async function settle(gw: Gateway, session: Session, call: Challenged, decision: Decision): Promise<ChallengeEnd> {
  const binding = { principal: session.principal.id, server: call.server, tool: call.tool, args_sha256: call.args_sha256 };
  const now = gw.now();
  const granted = await consumeGrant(gw.state, { ...binding, session: session.id }, now);
  if (granted) return { kind: 'approved', approvalId: granted.approvalId };

  const denied = await checkDenied(gw.state, binding, now);
  if (denied) return refusedByPerson(decision, denied.approvalId);

  const reason = decision.reasons.join('; ');
  const pending = await requestApproval(
    gw.state,
    { ...binding, session: session.id, args_preview: previewArgs(gw.redactArgs(call.args)), reason, rules: [...decision.rules] },
    now,
  );
  const command = approveCommand(pending.id, gw.config.file);
  if (!clientCanElicit(session.server)) {
    return {
      kind: 'refused',
      approvalId: pending.id,
      decision,
      result: challengedResult(
        decision,
        `Approval ${pending.id} is pending: a person can run \`${command}\` (add --for session or --for 1h for longer), then the same call with the same arguments goes through.`,
        pending.id,
      ),
    };
  }

  const answer = await askPerson(
    session.server,
    { tool: call.tool, server: call.server, principal: session.principal.id, reason, args: call.args },
    DEFAULT_ELICIT_TIMEOUT_MS,
    { ...(call.signal ? { signal: call.signal } : {}), ...(call.requestId !== undefined ? { relatedRequestId: call.requestId } : {}) },
  );
  if (answer === 'accept') {
    await resolveApproval(gw.state, pending.id, { verdict: 'approve', scope: 'once', by: `${session.principal.id} (elicitation)` }, gw.now());
    const used = await consumeGrant(gw.state, { ...binding, session: session.id }, gw.now());
    if (used) return { kind: 'approved', approvalId: used.approvalId };
  }
  if (answer === 'decline') {
    await resolveApproval(gw.state, pending.id, { verdict: 'deny', by: `${session.principal.id} (elicitation)` }, gw.now());
    return refusedByPerson(decision, pending.id);
  }
  // Cancelled, timed out or failed: nobody said yes; the approval stays open for the CLI.
  return {
    kind: 'refused',
    approvalId: pending.id,
    decision,
    result: challengedResult(decision, `Nobody approved it (${answer}). Approval ${pending.id} is still pending: \`${command}\`.`, pending.id),
  };
}

function refusedByPerson(decision: Decision, approvalId: string): ChallengeEnd {
  const refused: Decision = { ...decision, decision: 'deny', reasons: [`a person denied this call (approval ${approvalId})`], charge: [] };
  return { kind: 'refused', approvalId, decision: refused, result: deniedResult(refused, { approvalId }) };
}
