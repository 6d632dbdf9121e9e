/** What a failed upstream request means: the upstream's own error (passed on as sent), a timeout, a bad answer, or an upstream that is gone. */
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { ToolgateError, oneLine } from '../errors.js';

/**
 * A JSON-RPC error passed on exactly as its sender sent it: same code, same message (the SDK's
 * McpError would prefix `MCP error N:` a second time), same data. Used both ways: an upstream's
 * error to the client, a client's error back to the upstream.
 */
export class RelayedError extends McpError {
  constructor(code: number, message: string, data?: unknown) {
    super(code, message, data);
    this.name = 'RelayedError';
    this.message = message;
  }

  /** The error `e` (an McpError) as it was sent on the wire. */
  static of(e: McpError): RelayedError {
    return e instanceof RelayedError ? e : new RelayedError(e.code, stripPrefix(e.message, e.code), e.data);
  }
}

/** A request failure, sorted. `suspect` says the upstream may have stopped answering and should be checked. */
export interface Classified {
  readonly error: Error;
  readonly suspect: boolean;
}

/** What the caller knows about the failed request. */
export interface FailureContext {
  /** The upstream's name, for messages. */
  readonly upstream: string;
  /** The timeout the request ran under, in milliseconds. */
  readonly timeoutMs: number;
  /** True when the connection the request went out on is no longer the upstream's live one. */
  readonly connectionLost: boolean;
  /** True when the client cancelled the request (its signal aborted). */
  readonly cancelled: boolean;
}

/**
 * Sorts a failed upstream request. Pure. A cancelled request keeps its error (nobody reads it);
 * a lost connection or transport failure is `TG_UPSTREAM_UNAVAILABLE`; the SDK's own timeout is
 * `TG_UPSTREAM_TIMEOUT` (the SDK has already sent `notifications/cancelled` upstream); a result that
 * does not parse is `TG_UPSTREAM_INVALID`; a JSON-RPC error the upstream sent passes on unchanged.
 */
export function classifyFailure(e: unknown, ctx: FailureContext): Classified {
  if (ctx.cancelled) return { error: e instanceof Error ? e : new Error(String(e)), suspect: false };
  const name = ctx.upstream;
  if (ctx.connectionLost) {
    return { error: unavailable(name, `upstream ${name} went away during the request`, e), suspect: false };
  }
  if (e instanceof McpError) {
    if (e.code === ErrorCode.RequestTimeout && isSdkTimeout(e)) {
      const error = new ToolgateError('TG_UPSTREAM_TIMEOUT', `upstream ${name} did not answer within ${ctx.timeoutMs} ms; the request was cancelled upstream`, {
        cause: e,
        details: { upstream: name },
      });
      return { error, suspect: true };
    }
    if (e.code === ErrorCode.ConnectionClosed && /^MCP error -32000: Connection closed$/.test(e.message)) {
      return { error: unavailable(name, `upstream ${name} went away during the request`, e), suspect: true };
    }
    return { error: RelayedError.of(e), suspect: false };
  }
  if (isParseFailure(e)) {
    const error = new ToolgateError('TG_UPSTREAM_INVALID', `upstream ${name} answered with something that is not a valid MCP result`, {
      cause: e,
      details: { upstream: name },
    });
    return { error, suspect: false };
  }
  return { error: unavailable(name, `upstream ${name} is unavailable: ${oneLine(e).slice(0, 200) || 'unknown error'}`, e), suspect: true };
}

/** `TG_UPSTREAM_UNAVAILABLE` for `name`. */
export function unavailable(name: string, message = `upstream ${name} is unavailable`, cause?: unknown): ToolgateError {
  return new ToolgateError('TG_UPSTREAM_UNAVAILABLE', message, { ...(cause === undefined ? {} : { cause }), details: { upstream: name } });
}

/** True for an error from reading a line that is not JSON, or a message or result of the wrong shape. */
export function isParseFailure(e: unknown): boolean {
  if (e instanceof SyntaxError) return true;
  return e instanceof Error && (e.name === 'ZodError' || e.name === '$ZodError' || Array.isArray((e as { issues?: unknown }).issues));
}

function isSdkTimeout(e: McpError): boolean {
  const data = e.data as { timeout?: unknown; maxTotalTimeout?: unknown } | undefined;
  return data !== undefined && data !== null && (typeof data.timeout === 'number' || typeof data.maxTotalTimeout === 'number');
}

function stripPrefix(message: string, code: number): string {
  const prefix = `MCP error ${code}: `;
  return message.startsWith(prefix) ? message.slice(prefix.length) : message;
}
