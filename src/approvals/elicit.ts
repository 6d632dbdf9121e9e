/** Asks the person at the client to approve one call through `elicitation/create`; only an explicit yes counts. */
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { ErrorCode, McpError, type ElicitRequestFormParams, type RequestId } from '@modelcontextprotocol/sdk/types.js';
import { prettyArgs } from './preview.js';

/** The part of the SDK's low-level Server that asking needs. */
export type ElicitingServer = Pick<Server, 'elicitInput'>;

/** What the person is asked about. */
export interface PersonQuestion {
  readonly tool: string;
  readonly server: string;
  readonly principal: string;
  readonly reason: string;
  readonly args: unknown;
}

/**
 * How asking ended. Only `accept` lets the call through; every other answer denies it:
 * `decline`, `cancel` (by the person or the client), `timeout` (no answer in time), `error`.
 */
export type PersonAnswer = 'accept' | 'decline' | 'cancel' | 'timeout' | 'error';

/** How long to wait for a person when the config says nothing. */
export const DEFAULT_ELICIT_TIMEOUT_MS = 5 * 60_000;

/** The form: a single required boolean, `approve`, defaulting to false. */
export const APPROVE_SCHEMA: ElicitRequestFormParams['requestedSchema'] = {
  type: 'object',
  properties: {
    approve: { type: 'boolean', title: 'Approve this call', description: 'Yes lets this one call through, exactly as shown.', default: false },
  },
  required: ['approve'],
};

/** True when the client said at initialize that it can answer form elicitations. */
export function clientCanElicit(server: Pick<Server, 'getClientCapabilities'>): boolean {
  return server.getClientCapabilities()?.elicitation?.form !== undefined;
}

/** The message shown to the person: tool, principal, reason and the exact arguments. */
export function elicitationMessage(q: PersonQuestion): string {
  return [
    `toolgate: a tool call needs your approval.`,
    `Tool: ${q.server}/${q.tool}`,
    `Principal: ${q.principal}`,
    `Reason: ${q.reason}`,
    `Arguments:`,
    prettyArgs(q.args),
    `Approve only if you expect this exact call.`,
  ].join('\n');
}

/**
 * Asks through `elicitation/create` and waits up to `timeoutMs`. `accept` only when the person
 * accepted and the content says `approve: true`; an accept without it counts as `decline`.
 * Never throws: failures are `error`, and an aborted `signal` is `cancel`.
 * Pass the tools/call request id as `relatedRequestId`, so HTTP transports route the question
 * on that call's stream.
 */
export async function askPerson(
  server: ElicitingServer,
  question: PersonQuestion,
  timeoutMs: number,
  options: { signal?: AbortSignal; relatedRequestId?: RequestId } = {},
): Promise<PersonAnswer> {
  try {
    const result = await server.elicitInput(
      { mode: 'form', message: elicitationMessage(question), requestedSchema: APPROVE_SCHEMA },
      {
        timeout: timeoutMs,
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.relatedRequestId !== undefined ? { relatedRequestId: options.relatedRequestId } : {}),
      },
    );
    if (result.action === 'accept') return result.content?.approve === true ? 'accept' : 'decline';
    return result.action;
  } catch (e) {
    if (options.signal?.aborted) return 'cancel';
    if (e instanceof McpError && e.code === ErrorCode.RequestTimeout) return 'timeout';
    return 'error';
  }
}
