/** Guards an SDK `McpServer`: every `tools/call` needs a valid, unused toolgate receipt, or gets an MCP error. */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { ERROR_CATALOGUE, ToolgateError } from '../errors.js';
import type { JwksSource } from '../receipts/key-source.js';
import type { ReplayCache } from '../receipts/replay.js';
import { RECEIPT_META_KEY, type ReceiptClaims } from '../receipts/sign.js';
import { verifyReceipt } from './verify-receipt.js';

/** How a guarded server checks receipts. */
export interface RequireReceiptsOptions {
  /** Public keys: a JWKS object, a JWKS file path, or an https URL. */
  readonly jwks: JwksSource;
  /** This upstream's name in the gateway's config (the `aud` claim). */
  readonly audience: string;
  /** The gateway's name (`iss`); checked when given. */
  readonly issuer?: string;
  /** Where used `jti`s are remembered; default: one in-memory cache per process. */
  readonly replay?: ReplayCache;
  /** Clock, milliseconds since the epoch; default `Date.now`. */
  readonly now?: () => number;
  /** Called with each refusal (e.g. to log `error.details.reason`); the client gets an MCP error either way. */
  readonly onRefused?: (error: ToolgateError, tool: string) => void;
  /** Called with the claims of each accepted receipt, before the tool runs. */
  readonly onVerified?: (claims: ReceiptClaims) => void;
}

/**
 * Checks one `tools/call`'s params (`name`, `arguments`, `_meta["toolgate/receipt"]`) and
 * resolves to the receipt's claims, or rejects with an `McpError` (code -32603, `data.code`
 * `TG_RECEIPT_INVALID`, `data.reason`). For hand-written low-level `Server` handlers.
 */
export function createReceiptGuard(options: RequireReceiptsOptions): (params: unknown) => Promise<ReceiptClaims> {
  return async (params) => {
    const p = (params !== null && typeof params === 'object' ? params : {}) as Record<string, unknown>;
    const tool = typeof p.name === 'string' ? p.name : '';
    const meta = p._meta !== null && typeof p._meta === 'object' ? (p._meta as Record<string, unknown>) : {};
    try {
      const claims = await verifyReceipt(meta[RECEIPT_META_KEY], {
        jwks: options.jwks,
        audience: options.audience,
        tool,
        args: p.arguments,
        ...(options.issuer === undefined ? {} : { issuer: options.issuer }),
        ...(options.replay === undefined ? {} : { replay: options.replay }),
        ...(options.now === undefined ? {} : { now: options.now() }),
      });
      options.onVerified?.(claims);
      return claims;
    } catch (e) {
      const error = e instanceof ToolgateError ? e : new ToolgateError('TG_INTERNAL', 'receipt check failed', { cause: e });
      options.onRefused?.(error, tool);
      throw toMcpError(error);
    }
  };
}

type RawHandler = (request: { params?: unknown }, extra: unknown) => Promise<unknown>;

const guarded = new WeakSet<object>();

/**
 * Makes `server` refuse, with an MCP error, every tool call whose receipt is missing, invalid,
 * expired, for another audience, tool or arguments, or already used. Works whether tools are
 * registered before or after this call; the check runs on the raw request, before the SDK
 * parses arguments, so `args_sha256` is compared with exactly what was sent. Returns `server`.
 * Throws `TG_USAGE` when the server is already guarded, `TG_INTERNAL` for an SDK whose
 * request-handler table is not where SDK 1.x keeps it.
 */
export function requireReceipts(server: McpServer, options: RequireReceiptsOptions): McpServer {
  if (guarded.has(server)) throw new ToolgateError('TG_USAGE', 'this server already requires receipts');
  // SDK 1.x keeps handlers in Protocol's `_requestHandlers` map; McpServer installs `tools/call`
  // lazily, on the first registerTool, so both the current entry and later ones are wrapped.
  const handlers = (server.server as unknown as { _requestHandlers?: unknown })._requestHandlers;
  if (!(handlers instanceof Map)) {
    throw new ToolgateError('TG_INTERNAL', 'unsupported MCP SDK: no request handler table to guard');
  }
  const table = handlers as Map<string, RawHandler>;
  const guard = createReceiptGuard(options);
  const wrap = (inner: RawHandler): RawHandler => async (request, extra) => {
    await guard(request.params);
    return inner(request, extra);
  };
  const set = table.set.bind(table);
  Object.defineProperty(table, 'set', {
    configurable: true,
    value: (method: string, handler: RawHandler) => set(method, method === 'tools/call' ? wrap(handler) : handler),
  });
  const existing = table.get('tools/call');
  if (existing) set('tools/call', wrap(existing));
  guarded.add(server);
  return server;
}

// Receipt refusals carry their reason; other failures (an unreadable JWKS file) keep paths off the wire.
function toMcpError(error: ToolgateError): McpError {
  const reason = error.details.reason;
  if (error.code === 'TG_RECEIPT_INVALID') {
    return new McpError(ERROR_CATALOGUE.TG_RECEIPT_INVALID.rpc, error.message, { code: error.code, reason });
  }
  return new McpError(ERROR_CATALOGUE[error.code].rpc, 'receipt refused: the receipt could not be checked', { code: error.code });
}
