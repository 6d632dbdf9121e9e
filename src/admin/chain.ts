/** The decision log's chain status for the console: verified in the background, at most once a minute. */
import type { JSONWebKeySet } from 'jose';
import { oneLine } from '../errors.js';
import { verifyLog, type VerifyResult } from '../log/verify.js';
import { readAllPublicKeys } from '../receipts/jwks.js';

/** A verification and when it finished, or why it could not run. */
export interface ChainStatus {
  readonly result?: VerifyResult;
  /** One line, when the log could not be read at all. */
  readonly error?: string;
  /** When the check finished (ms since the epoch). */
  readonly checkedAt: number;
  /** True while a newer check is under way. */
  readonly refreshing: boolean;
}

/** Where the log and the public keys are. */
export interface ChainSource {
  readonly logPath: string;
  /** `receipts.key`: its `jwks.json` and archive hold every key that signed a checkpoint; absent: signatures are not checked. */
  readonly keyPath?: string;
  readonly now: () => number;
  /** A result younger than this is served as is (default 60 s). */
  readonly maxAgeMs?: number;
}

/** Hands out the chain status; each call may start a new check but never waits for one once a first result exists. */
export interface ChainChecker {
  status(): Promise<ChainStatus>;
}

/**
 * Verifies the log (`allowUnsealed`: the gateway is still writing it) the first time it is asked,
 * then serves that result, starting a fresh check in the background when it is older than
 * `maxAgeMs`. Concurrent callers share one check, so page views never read the log twice at once.
 */
export function createChainChecker(source: ChainSource): ChainChecker {
  const maxAge = source.maxAgeMs ?? 60_000;
  let last: Omit<ChainStatus, 'refreshing'> | undefined;
  let running: Promise<void> | undefined;
  const check = (): Promise<void> =>
    (running ??= (async () => {
      try {
        const keys = source.keyPath ? await readAllPublicKeys(source.keyPath).catch(() => undefined) : undefined;
        const jwks = keys && keys.length > 0 ? ({ keys } as JSONWebKeySet) : undefined;
        const result = await verifyLog(source.logPath, { allowUnsealed: true, ...(jwks ? { jwks } : {}) });
        last = { result, checkedAt: source.now() };
      } catch (e) {
        last = { error: oneLine(e), checkedAt: source.now() };
      } finally {
        running = undefined;
      }
    })());
  return {
    async status() {
      if (!last) await check();
      else if (source.now() - last.checkedAt >= maxAge) void check();
      return { ...(last as Omit<ChainStatus, 'refreshing'>), refreshing: running !== undefined };
    },
  };
}
