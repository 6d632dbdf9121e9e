/** The one place errors and refusals become MCP errors or `isError` tool results. */
import { McpError, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { ToolgateError, oneLine } from '../errors.js';
import type { Decision } from '../policy/types.js';
import { scrub } from '../secrets.js';
import { RelayedError } from '../upstream/forward.js';

/** Where clients find the decision on a refused call's result. */
export const DECISION_META = 'toolgate/decision';
/** Where the receipt travels, upstream in params and back in the result. */
export const RECEIPT_META = 'toolgate/receipt';

/**
 * Any thrown value → an McpError fit for the wire. ToolgateErrors keep their one-line message and
 * carry `data.code`; errors an upstream returned pass through unchanged; anything else is
 * -32603 without internals (paths, stacks) leaking.
 */
export function toWireError(e: unknown): McpError {
  // RelayedError keeps the message as written: McpError would prefix "MCP error N:", and the
  // client's SDK prefixes it again.
  if (e instanceof ToolgateError) return new RelayedError(e.rpcCode, scrub(e.message), { code: e.code });
  if (e instanceof McpError) {
    const relayed = RelayedError.of(e);
    return new RelayedError(relayed.code, scrub(relayed.message), relayed.data);
  }
  return new RelayedError(-32603, 'internal error in toolgate', { code: 'TG_INTERNAL' });
}

/**
 * A deny, as a tool result the agent can read and adapt to; `hint` says what would change it,
 * `approvalId` names the approval a person denied.
 */
export function deniedResult(
  decision: Pick<Decision, 'decision' | 'rules' | 'reasons'>,
  extra: { hint?: string; approvalId?: string } = {},
): CallToolResult {
  const rules = decision.rules.length > 0 ? ` (${decision.rules.map((r) => `rule ${r}`).join(', ')})` : '';
  return refusal(`toolgate denied this call${rules}: ${decision.reasons.join('; ')}${extra.hint ? `. ${extra.hint}` : ''}`, decision, extra.approvalId);
}

/** A challenge no person has answered yet, as a tool result saying how to get it approved. */
export function challengedResult(
  decision: Pick<Decision, 'decision' | 'rules' | 'reasons'>,
  how: string,
  approvalId?: string,
): CallToolResult {
  const rules = decision.rules.length > 0 ? ` (${decision.rules.map((r) => `rule ${r}`).join(', ')})` : '';
  return refusal(`a person must approve this call${rules}: ${decision.reasons.join('; ')}. ${how}`, decision, approvalId);
}

function refusal(text: string, decision: Pick<Decision, 'decision' | 'rules' | 'reasons'>, approvalId?: string): CallToolResult {
  return {
    content: [{ type: 'text', text: oneLine(text) }],
    isError: true,
    _meta: {
      [DECISION_META]: {
        decision: decision.decision,
        rules: [...decision.rules],
        reasons: [...decision.reasons],
        ...(approvalId ? { approval: approvalId } : {}),
      },
    },
  };
}
