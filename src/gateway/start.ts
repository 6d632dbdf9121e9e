/** Builds a running gateway from a loaded config: policy, keys, log, state, upstreams. */
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import pino, { type Logger } from 'pino';
import type { LoadedConfig } from '../config/load.js';
import { oneLine } from '../errors.js';
import { scrub } from '../secrets.js';
import { openDecisionLog, type DecisionEntry, type DecisionLog } from '../log/decisions.js';
import type { Outcome } from '../log/lines.js';
import { loadPolicy } from '../policy/load.js';
import type { CompiledPolicy } from '../policy/types.js';
import { loadReceiptSigner } from '../receipts/keys.js';
import { createMemoryState } from '../state/memory.js';
import { openState } from '../state/open.js';
import { compileRedaction } from '../log/redact.js';
import { openPool, type PoolEvent } from '../upstream/pool.js';
import type { Gateway, PolicyHolder } from './gateway.js';
import { PinGuard } from './pins.js';
import { SessionRegistry } from './server.js';

/** A started gateway and the means to stop it. */
export interface RunningGateway {
  readonly gateway: Gateway;
  readonly sessions: SessionRegistry;
  /** True when no key is configured and receipts are signed with a key that dies with the process. */
  readonly ephemeralKey: boolean;
  /** Stops watching, writes the final checkpoint, closes upstreams and state. */
  close(): Promise<void>;
}

/** Options for tests and embedding. */
export interface StartOptions {
  readonly logger?: Logger;
  readonly now?: () => number;
  /** Use an in-memory state store instead of `state.path` (tests). */
  readonly memoryState?: boolean;
  /** Watch policy files and reload on change (default true). */
  readonly watchPolicy?: boolean;
  /** Called once a decision line is on disk (metrics: counter increments only, no I/O, never throws). */
  readonly onDecision?: (entry: DecisionEntry) => void;
  /** Called with every outcome handed to the log (metrics, as `onDecision`). */
  readonly onOutcome?: (id: string, o: { outcome: Outcome; latency_ms: number }) => void;
  /** Called when a decision line could not be written (health: the gateway refuses calls until one is). */
  readonly onLogFailure?: () => void;
}

/**
 * Starts every part in order, so that nothing serves before policy, key, log and state are
 * ready. Any failure there throws (fail closed); an upstream that fails to start is logged by
 * name and left out.
 */
export async function startGateway(config: LoadedConfig, options: StartOptions = {}): Promise<RunningGateway> {
  const logger =
    options.logger ??
    pino(
      {
        name: 'toolgate',
        level: process.env.TOOLGATE_LOG_LEVEL ?? 'info',
        // Every string argument of a log call is scrubbed of registered secrets (see src/secrets.ts).
        hooks: {
          logMethod(args, method) {
            method.apply(this, args.map(scrubbed) as Parameters<typeof method>);
          },
        },
      },
      pino.destination(2),
    );
  const now = options.now ?? Date.now;
  const holder: { current: CompiledPolicy } = { current: await loadPolicy(config.policy.files, config.baseDir) };
  const { signer, ephemeral } = await loadReceiptSigner({
    ...(config.receipts.key ? { keyPath: config.receipts.key } : {}),
    issuer: config.gateway.name,
    ttlSeconds: config.receipts.ttlSeconds,
  });
  if (ephemeral) logger.warn('no receipts.key configured: receipts are signed with an ephemeral key that is lost on exit');
  const state = options.memoryState ? createMemoryState() : await openState(config.state);
  const closers: Array<() => Promise<void>> = [() => state.close()];
  const calls = { inflight: 0 };
  try {
    const opened = await openDecisionLog({
      path: config.log.path,
      // A lone call's decision line skips the thread pool; concurrent calls keep sharing group commits.
      inline: { when: () => calls.inflight <= 1 },
      redact: config.log.redact,
      checkpoint: config.log.checkpoint,
      signer,
      now,
    });
    closers.unshift(() => opened.close());
    const log = observeLog(opened, options);
    if (log.recovered) {
      const r = log.recovered;
      logger.warn(
        { line: r.line, unsealed: r.unsealed, tornBytes: r.tornBytes },
        `the decision log was not closed cleanly last time: ${r.unsealed} lines were unsealed${r.tornBytes ? ` and a half-written line (${r.tornBytes} bytes) was cut off` : ''}; recorded at line ${r.line}`,
      );
    }
    const sessions = new SessionRegistry();
    const pins = new PinGuard(state, config.pins, logger, now);
    let started = false;
    const pool = await openPool(Object.values(config.upstreams), (event) => {
      reportPoolEvent(logger, event);
      if (event.kind === 'catalog-changed' && started) {
        pins.observe(pool.catalog.entries).then(
          () => sessions.announceToolsChanged(),
          (e: unknown) => logger.error({ err: oneLine(e) }, 'could not check tool pins'),
        );
      }
    }, { downstream: sessions });
    closers.unshift(() => pool.close());
    await pins.observe(pool.catalog.entries);
    started = true;
    const watcher = options.watchPolicy === false ? undefined : watchPolicy(config, holder, logger);
    if (watcher) closers.unshift(async () => watcher.close());
    // Expired approvals, grants, counters and replay records are swept once a minute.
    const sweeper = setInterval(() => {
      state.sweep(now()).catch((e: unknown) => logger.warn({ err: oneLine(e) }, 'state sweep failed'));
    }, 60_000);
    sweeper.unref();
    closers.unshift(async () => clearInterval(sweeper));
    const redact = compileRedaction(config.log.redact);
    const gateway: Gateway = {
      config,
      policy: holder as PolicyHolder,
      signer,
      log,
      state,
      pool,
      pins,
      logger,
      now,
      calls,
      redactArgs: (args) => redact({ args }).args,
    };
    let closed: Promise<void> | undefined;
    return {
      gateway,
      sessions,
      ephemeralKey: ephemeral,
      close: () => (closed ??= closeAll(closers)),
    };
  } catch (e) {
    await closeAll(closers);
    throw e;
  }
}

// The admin hooks see every decision and outcome the gateway writes; without hooks the log is used as is.
function observeLog(log: DecisionLog, o: StartOptions): DecisionLog {
  const { onDecision, onOutcome, onLogFailure } = o;
  if (!onDecision && !onOutcome && !onLogFailure) return log;
  return {
    append: async (entry) => {
      try {
        await log.append(entry);
      } catch (e) {
        onLogFailure?.();
        throw e;
      }
      onDecision?.(entry);
    },
    outcome: (id, out) => {
      onOutcome?.(id, out);
      return log.outcome(id, out);
    },
    tick: () => log.tick(),
    close: () => log.close(),
    path: log.path,
    recovered: log.recovered,
    stats: () => log.stats(),
  };
}

// A log argument with registered secrets replaced: strings, and the string fields of a bindings object.
function scrubbed(arg: unknown): unknown {
  if (typeof arg === 'string') return scrub(arg);
  if (arg === null || typeof arg !== 'object' || Array.isArray(arg)) return arg;
  return Object.fromEntries(Object.entries(arg).map(([k, v]) => [k, typeof v === 'string' ? scrub(v) : v]));
}

async function closeAll(closers: ReadonlyArray<() => Promise<void>>): Promise<void> {
  for (const close of closers) await close().catch(() => undefined);
}

function reportPoolEvent(logger: Logger, event: PoolEvent): void {
  switch (event.kind) {
    case 'connected':
      logger.info({ upstream: event.upstream, tools: event.tools, transport: event.transport }, 'upstream connected');
      return;
    case 'failed':
      logger.error({ upstream: event.upstream }, event.message);
      return;
    case 'closed':
      logger.warn({ upstream: event.upstream }, `upstream ${event.upstream} disconnected`);
      return;
    case 'rejected-tool':
      logger.warn({ upstream: event.upstream, tool: event.tool }, `tool not shown: ${event.message}`);
      return;
    case 'catalog-changed':
      return;
  }
}

// Reloads the policy when a file changes; a file that no longer compiles keeps the old policy.
function watchPolicy(config: LoadedConfig, holder: { current: CompiledPolicy }, logger: Logger): { close(): void } {
  let timer: NodeJS.Timeout | undefined;
  const reload = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      loadPolicy(config.policy.files, config.baseDir).then(
        (next) => {
          if (next.hash === holder.current.hash) return;
          holder.current = next;
          logger.info({ policy: next.hash }, 'policy reloaded');
        },
        (e: unknown) => logger.error({ err: oneLine(e) }, 'policy change refused; the previous policy stays in force'),
      );
    }, 100);
  };
  // Watch folders, not files: editors that save by rename would leave a file watcher behind.
  const watchers: FSWatcher[] = [];
  const names = new Set(config.policy.files.map((f) => basename(f)));
  for (const dir of new Set(config.policy.files.map((f) => dirname(f)))) {
    try {
      watchers.push(watch(dir, { persistent: false }, (_event, name) => (name === null || names.has(name.toString()) ? reload() : undefined)));
    } catch (e) {
      logger.warn({ dir, err: oneLine(e) }, 'cannot watch the policy folder; policy changes need a restart');
    }
  }
  return {
    close: () => {
      clearTimeout(timer);
      for (const w of watchers) w.close();
    },
  };
}
