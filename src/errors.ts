/**
 * ToolgateError and its catalogue: every stable `code`, beside the JSON-RPC code a client
 * sees and the exit code a CLI user sees. Callers switch on `code`, never on wording.
 */

/** The catalogue. `rpc` is the JSON-RPC error code on the wire; `exit` the CLI exit code. */
export const ERROR_CATALOGUE = {
  TG_USAGE: { rpc: -32602, exit: 2 },
  TG_FILE_NOT_FOUND: { rpc: -32603, exit: 2 },
  TG_CONFIG_INVALID: { rpc: -32603, exit: 2 },
  TG_ENV_UNSET: { rpc: -32603, exit: 2 },
  TG_POLICY_INVALID: { rpc: -32603, exit: 2 },
  TG_POLICY_TEST_INVALID: { rpc: -32603, exit: 2 },
  TG_TOOL_NAME_CLASH: { rpc: -32603, exit: 2 },
  TG_UNKNOWN_TOOL: { rpc: -32602, exit: 1 },
  TG_BAD_ARGS: { rpc: -32602, exit: 2 },
  TG_TOO_LARGE: { rpc: -32602, exit: 1 },
  TG_TOO_MANY_CALLS: { rpc: -32603, exit: 1 },
  TG_UPSTREAM_UNAVAILABLE: { rpc: -32603, exit: 1 },
  TG_UPSTREAM_START_FAILED: { rpc: -32603, exit: 1 },
  TG_UPSTREAM_TIMEOUT: { rpc: -32603, exit: 1 },
  TG_UPSTREAM_INVALID: { rpc: -32603, exit: 1 },
  TG_UNKNOWN_RESOURCE: { rpc: -32602, exit: 1 },
  TG_UNKNOWN_PROMPT: { rpc: -32602, exit: 1 },
  TG_BAD_CURSOR: { rpc: -32602, exit: 1 },
  TG_NO_CLIENT: { rpc: -32603, exit: 1 },
  TG_CLIENT_UNSUPPORTED: { rpc: -32601, exit: 1 },
  TG_KEY_INVALID: { rpc: -32603, exit: 2 },
  TG_SIGN_FAILED: { rpc: -32603, exit: 1 },
  TG_RECEIPT_INVALID: { rpc: -32603, exit: 1 },
  TG_LOG_FAILED: { rpc: -32603, exit: 1 },
  TG_LOG_TAMPERED: { rpc: -32603, exit: 1 },
  TG_STATE_FAILED: { rpc: -32603, exit: 1 },
  TG_APPROVAL_NOT_FOUND: { rpc: -32603, exit: 1 },
  TG_IMPORT_INVALID: { rpc: -32603, exit: 2 },
  TG_REPORT_FAILED: { rpc: -32603, exit: 1 },
  TG_LISTEN_FAILED: { rpc: -32603, exit: 1 },
  TG_INTERNAL: { rpc: -32603, exit: 1 },
} as const satisfies Record<string, { rpc: number; exit: number }>;

/** A stable error code. */
export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** Safe details: never secrets, never argument values. */
export interface ErrorDetails {
  file?: string;
  line?: number;
  field?: string;
  [key: string]: string | number | boolean | undefined;
}

/** The one error class toolgate throws. `message` is a single line fit for a user. */
export class ToolgateError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetails;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; details?: ErrorDetails } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ToolgateError';
    this.code = code;
    this.details = options.details ?? {};
  }

  /** The JSON-RPC error code for this error's `code`. */
  get rpcCode(): number {
    return ERROR_CATALOGUE[this.code].rpc;
  }

  /** The CLI exit code for this error's `code`. */
  get exitCode(): number {
    return ERROR_CATALOGUE[this.code].exit;
  }
}

/** True when `e` is a ToolgateError, optionally with the given code. */
export function isToolgateError(e: unknown, code?: ErrorCode): e is ToolgateError {
  return e instanceof ToolgateError && (code === undefined || e.code === code);
}

/** A one-line message for any thrown value, without stack traces. */
export function oneLine(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
