/** What one running gateway is made of, and one downstream session of it. */
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { Logger } from 'pino';
import type { LoadedConfig } from '../config/load.js';
import type { DecisionLog } from '../log/decisions.js';
import type { CompiledPolicy } from '../policy/types.js';
import type { Principal } from '../policy/types.js';
import type { ReceiptSigner } from '../receipts/sign.js';
import type { StateStore } from '../state/store.js';
import type { UpstreamPool } from '../upstream/pool.js';
import type { PinGuard } from './pins.js';

/** The policy in force; `current` is swapped whole when the files change and still compile. */
export interface PolicyHolder {
  readonly current: CompiledPolicy;
}

/** The parts every call goes through, built once by `startGateway`. */
export interface Gateway {
  readonly config: LoadedConfig;
  readonly policy: PolicyHolder;
  readonly signer: ReceiptSigner;
  readonly log: DecisionLog;
  readonly state: StateStore;
  readonly pool: UpstreamPool;
  readonly pins: PinGuard;
  readonly logger: Logger;
  /** Milliseconds since the epoch; passed in so tests can move time. */
  readonly now: () => number;
  /** Tool calls under way in all sessions; the decision log writes inline when there is only one. */
  readonly calls: { inflight: number };
  /** The arguments with `log.redact` paths replaced, for anything shown to people. */
  readonly redactArgs: (args: Record<string, unknown>) => Record<string, unknown>;
}

/** One downstream MCP session: a client connection with a principal. */
export interface Session {
  readonly id: string;
  readonly principal: Principal;
  /** The SDK server speaking to this client. */
  readonly server: Server;
  /** Tool calls under way in this session, for `limits.max_concurrent_calls`. */
  inflight: number;
}
