/**
 * The shared state store for several gateway replicas: one Redis (ioredis), every read-then-write
 * a Lua script run with EVALSHA, so it is atomic across connections, processes and hosts.
 */
import { Redis } from 'ioredis';
import { SCRIPTS, SHAS, type ScriptName } from './redis-scripts.js';
import { ToolgateError, isToolgateError, oneLine } from '../errors.js';
import {
  APPROVAL_RETENTION_MS,
  windowEnd,
  type ApprovalBinding,
  type ApprovalRecord,
  type ApprovalScope,
  type GrantRecord,
  type PinRecord,
  type StateStore,
} from './store.js';

/** The default key prefix: every key toolgate writes starts with it. */
export const REDIS_KEY_PREFIX = 'toolgate:';

/** How long opening waits for a connection (and a command for its answer) before failing (ms). */
export const REDIS_TIMEOUT_MS = 3000;

// Correctness never depends on Redis's clock: every expiry is a stored number compared with the
// caller's `now` inside the scripts. Redis TTLs only collect garbage, set relative to `now` and
// kept this much longer, so a replica whose clock runs a little behind still finds the record.
const GC_GRACE_MS = 60_000;
// Entries per index that one sweep script handles before returning (keeps Redis responsive).
const SWEEP_BATCH = 500;


/** Options for `openRedisState`. */
export interface RedisStateOptions {
  /** Prefix of every key (default `toolgate:`), so several deployments can share one Redis. */
  readonly prefix?: string;
}

/**
 * Connects to the Redis at `url` (`redis://` or `rediss://`, credentials and db number in the URL)
 * and loads the scripts. Fails fast: no answer within `REDIS_TIMEOUT_MS` is an error, not an
 * endless retry. Once open, a lost connection is re-made in the background, and every call made
 * while it is down fails at once (fail closed) rather than waiting in a queue.
 * Throws `TG_STATE_FAILED` naming the URL without credentials.
 */
export async function openRedisState(url: string, options: RedisStateOptions = {}): Promise<StateStore> {
  const { location, secrets } = describeUrl(url);
  const fail = (e: unknown, doing?: string): never => {
    if (isToolgateError(e)) throw e;
    let text = oneLine(e);
    for (const secret of secrets) text = text.split(secret).join('[redacted]');
    throw new ToolgateError('TG_STATE_FAILED', `state store ${location}: ${doing ? `${doing}: ` : ''}${text}`, { cause: e, details: { url: location } });
  };
  let lastError: unknown;
  let redis: Redis;
  try {
    redis = new Redis(url, {
      lazyConnect: true,
      connectTimeout: REDIS_TIMEOUT_MS,
      commandTimeout: REDIS_TIMEOUT_MS,
      // A call made while the connection is down fails at once; none is queued or resent after a
      // reconnect. (A script already sent when its answer times out may still have run: the call
      // fails closed all the same, at worst having used a grant or counted a hit.)
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      maxRetriesPerRequest: 0,
      retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
      // disconnect() arms a timer of this length even for a socket that is already gone, and it
      // keeps a CLI process alive until it fires (the default is 2 s).
      disconnectTimeout: 100,
    });
  } catch (e) {
    return fail(e, 'cannot use this URL');
  }
  // Without a listener ioredis prints connection errors itself; the last one explains a failed open.
  redis.on('error', (e: unknown) => (lastError = e));
  let timer: NodeJS.Timeout | undefined;
  try {
    const connecting = redis.connect();
    // When the timer wins, the connect promise still settles later: nobody waits for it then.
    connecting.catch(() => undefined);
    await Promise.race([
      connecting,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${REDIS_TIMEOUT_MS} ms`)), REDIS_TIMEOUT_MS);
      }),
    ]);
    for (const lua of Object.values(SCRIPTS)) await redis.call('SCRIPT', 'LOAD', lua);
  } catch (e) {
    redis.disconnect();
    return fail(lastError ?? e, 'cannot connect');
  } finally {
    clearTimeout(timer);
  }
  return redisStore(redis, options.prefix ?? REDIS_KEY_PREFIX, location, fail);
}

type Arg = string | number;

function redisStore(redis: Redis, p: string, location: string, fail: (e: unknown) => never): StateStore {
  let closed = false;
  const run = async (name: ScriptName, keys: readonly string[], args: readonly Arg[]): Promise<unknown> => {
    try {
      return await redis.call('EVALSHA', SHAS[name], keys.length, ...keys, ...args);
    } catch (e) {
      // The server forgot the script (restarted, SCRIPT FLUSH): EVAL sends it again and caches it.
      if (!(e instanceof Error && e.message.startsWith('NOSCRIPT'))) throw e;
      return redis.call('EVAL', SCRIPTS[name], keys.length, ...keys, ...args);
    }
  };
  // Every operation goes through here: failures (down, timeout, closed) become TG_STATE_FAILED.
  const op = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (e) {
      if (closed) return fail(new Error('the store is closed', { cause: e }));
      if (redis.status !== 'ready') return fail(new Error(`not connected (${redis.status}); calls fail until Redis answers again`, { cause: e }));
      return fail(e);
    }
  };
  const approvalOrNull = (reply: unknown): ApprovalRecord | null => (isFlat(reply) && reply.length > 0 ? toApproval(reply) : null);
  const pinOrNull = (reply: unknown): PinRecord | null => (isFlat(reply) && reply.length > 0 ? toPin(reply) : null);

  return {
    location,
    approvals: {
      putPending: (record, now) =>
        op(async () => {
          const key = bindingKey(record);
          const reply = await run('putPending', [`${p}apr-pending:${key}`, `${p}apr:${record.id}`, `${p}apr-pending`, `${p}apr-all`], [
            p,
            now,
            record.id,
            record.session,
            record.created_at,
            record.expires_at,
            ttl(record.expires_at + APPROVAL_RETENTION_MS, now),
            ttl(record.expires_at, now),
            ...approvalFields(record, key),
          ]);
          return approvalOrNull(reply) as ApprovalRecord;
        }),
      get: (id) => op(async () => approvalOrNull(await redis.hgetall(`${p}apr:${id}`).then(flatten))),
      listPending: (now) =>
        op(async () => {
          const reply = await run('listPending', [`${p}apr-pending`], [p, now]);
          return listOf(reply).map(toApproval);
        }),
      resolve: (id, resolution, now) =>
        op(async () => {
          const grant = resolution.status === 'approved' ? resolution.grant : undefined;
          const reply = await run('resolve', [`${p}apr:${id}`, `${p}apr-pending`, `${p}grants`], [
            p,
            now,
            id,
            resolution.status,
            resolution.by ?? '',
            resolution.status === 'approved' ? JSON.stringify(resolution.scope) : '',
            grant?.sessionBound ? '1' : '0',
            grant?.uses ?? '',
            grant?.expires_at ?? 0,
            grant ? ttl(grant.expires_at, now) : 1,
          ]);
          return approvalOrNull(reply);
        }),
      findDenied: (b, now) => op(async () => approvalOrNull(await run('findDenied', [`${p}apr-denied:${bindingKey(b)}`], [p, now]))),
    },
    grants: {
      consume: (b, session, now) =>
        op(async () => {
          const reply = await run('consume', [`${p}grants:${bindingKey(b)}`, `${p}grants`], [p, now, session]);
          return isFlat(reply) && reply.length > 0 ? toGrant(reply) : null;
        }),
      list: (now) =>
        op(async () =>
          listOf(await run('listGrants', [`${p}grants`], [p, now]))
            .map(toGrant)
            .sort((a, b) => a.created_at - b.created_at || compare(a.approval_id, b.approval_id)),
        ),
      revoke: (approvalId) => op(async () => (await run('revoke', [`${p}grant:${approvalId}`, `${p}grants`], [p, approvalId])) === 1),
    },
    rates: {
      hit: async (key, windowMs, now) => {
        const end = windowEnd(now, windowMs);
        return op(async () => Number(await run('hit', [`${p}rate:${key}`, `${p}rates`], [now, end, key, ttl(end, now)])));
      },
      counts: (keys, now) =>
        op(async () => {
          const rows = await Promise.all(keys.map((key) => redis.hmget(`${p}rate:${key}`, 'count', 'expires_at')));
          const out = new Map<string, number>();
          rows.forEach(([count, expiresAt], i) => {
            if (count != null && expiresAt != null && Number(expiresAt) > now) out.set(keys[i] as string, Number(count));
          });
          return out;
        }),
    },
    replay: {
      claim: (id, expiresAt, now) => op(async () => (await run('claim', [`${p}replay:${id}`, `${p}replays`], [now, expiresAt, id, ttl(expiresAt, now)])) === 1),
    },
    pins: {
      get: (server, tool) => op(async () => pinOrNull(await redis.hgetall(`${p}pin:${pinMember(server, tool)}`).then(flatten))),
      list: () =>
        op(async () =>
          listOf(await run('listPins', [`${p}pins`], [p]))
            .map(toPin)
            .sort((a, b) => compare(a.server, b.server) || compare(a.tool, b.tool)),
        ),
      pinIfAbsent: (pin, now) =>
        op(async () => {
          const member = pinMember(pin.server, pin.tool);
          const reply = await run('pinIfAbsent', [`${p}pin:${member}`, `${p}pins`], [pin.server, pin.tool, pin.hash, pin.definition, now, member]);
          return pinOrNull(reply) as PinRecord;
        }),
      markChanged: (server, tool, hash, definition, now) =>
        op(async () => pinOrNull(await run('markChanged', [`${p}pin:${pinMember(server, tool)}`], [hash, definition, now]))),
      accept: (server, tool, now) => op(async () => pinOrNull(await run('accept', [`${p}pin:${pinMember(server, tool)}`], [now]))),
    },
    sweep: (now) =>
      op(async () => {
        const keys = [`${p}apr-all`, `${p}apr-pending`, `${p}grants`, `${p}rates`, `${p}replays`];
        let removed = 0;
        for (;;) {
          const reply = await run('sweep', keys, [p, now, now - APPROVAL_RETENTION_MS, SWEEP_BATCH]);
          const [count, more] = Array.isArray(reply) ? reply.map(Number) : [0, 0];
          removed += count ?? 0;
          if (more !== 1) return removed;
        }
      }),
    close: async () => {
      if (closed) return;
      closed = true;
      try {
        await redis.quit();
      } catch {
        // Not connected right now: stop reconnecting instead.
        redis.disconnect();
      }
    },
  };
}

// Redis TTL for garbage collection of a record that matters until `expiresAt` (caller's clock).
function ttl(expiresAt: number, now: number): number {
  return Math.max(1, Math.ceil(expiresAt - now + GC_GRACE_MS));
}

function bindingKey(b: ApprovalBinding): string {
  return JSON.stringify([b.principal, b.server, b.tool, b.args_sha256]);
}

function pinMember(server: string, tool: string): string {
  return JSON.stringify([server, tool]);
}

// Code-unit order, as SQLite's BINARY collation sorts.
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function approvalFields(record: ApprovalRecord, key: string): string[] {
  const fields: Record<string, string | number> = {
    id: record.id,
    principal: record.principal,
    session: record.session,
    server: record.server,
    tool: record.tool,
    args_sha256: record.args_sha256,
    args_preview: record.args_preview,
    reason: record.reason,
    rules: JSON.stringify(record.rules),
    status: 'pending',
    created_at: record.created_at,
    expires_at: record.expires_at,
    bkey: key,
  };
  return Object.entries(fields).flatMap(([k, v]) => [k, String(v)]);
}

function isFlat(reply: unknown): reply is string[] {
  return Array.isArray(reply) && reply.every((x) => typeof x === 'string');
}

function listOf(reply: unknown): string[][] {
  return Array.isArray(reply) ? reply.filter(isFlat) : [];
}

function flatten(hash: Record<string, string>): string[] {
  return Object.entries(hash).flat();
}

function fieldsOf(flat: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) out.set(flat[i] as string, flat[i + 1] as string);
  return out;
}

function text(f: Map<string, string>, name: string): string {
  const value = f.get(name);
  if (value === undefined) throw new Error(`a stored record has no ${name}`);
  return value;
}

function num(f: Map<string, string>, name: string): number {
  return Number(text(f, name));
}

function toApproval(flat: readonly string[]): ApprovalRecord {
  const f = fieldsOf(flat);
  const resolvedAt = f.get('resolved_at');
  const resolvedBy = f.get('resolved_by');
  const scope = f.get('scope');
  return {
    id: text(f, 'id'),
    principal: text(f, 'principal'),
    session: text(f, 'session'),
    server: text(f, 'server'),
    tool: text(f, 'tool'),
    args_sha256: text(f, 'args_sha256'),
    args_preview: text(f, 'args_preview'),
    reason: text(f, 'reason'),
    rules: JSON.parse(text(f, 'rules')) as string[],
    status: text(f, 'status') as ApprovalRecord['status'],
    created_at: num(f, 'created_at'),
    expires_at: num(f, 'expires_at'),
    ...(resolvedAt !== undefined ? { resolved_at: Number(resolvedAt) } : {}),
    ...(resolvedBy !== undefined ? { resolved_by: resolvedBy } : {}),
    ...(scope !== undefined ? { scope: JSON.parse(scope) as ApprovalScope } : {}),
  };
}

function toGrant(flat: readonly string[]): GrantRecord {
  const f = fieldsOf(flat);
  const uses = f.get('uses_left');
  return {
    approval_id: text(f, 'approval_id'),
    principal: text(f, 'principal'),
    server: text(f, 'server'),
    tool: text(f, 'tool'),
    args_sha256: text(f, 'args_sha256'),
    session: f.get('session') ?? null,
    uses_left: uses === undefined ? null : Number(uses),
    created_at: num(f, 'created_at'),
    expires_at: num(f, 'expires_at'),
  };
}

function toPin(flat: readonly string[]): PinRecord {
  const f = fieldsOf(flat);
  const changedHash = f.get('changed_hash');
  const changedDefinition = f.get('changed_definition');
  const changedAt = f.get('changed_at');
  return {
    server: text(f, 'server'),
    tool: text(f, 'tool'),
    hash: text(f, 'hash'),
    definition: text(f, 'definition'),
    first_seen: num(f, 'first_seen'),
    updated_at: num(f, 'updated_at'),
    status: text(f, 'status') as PinRecord['status'],
    ...(changedHash !== undefined && changedDefinition !== undefined && changedAt !== undefined
      ? { changed: { hash: changedHash, definition: changedDefinition, seen_at: Number(changedAt) } }
      : {}),
  };
}

// For people and error messages: the URL without credentials or query (which may carry a password).
function describeUrl(url: string): { location: string; secrets: string[] } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ToolgateError('TG_STATE_FAILED', 'state.redis is not a valid redis:// URL', { details: { field: 'state.redis' } });
  }
  const secrets = [parsed.password, parsed.searchParams.get('password') ?? '']
    .flatMap((s) => [s, safeDecode(s)])
    .filter((s) => s.length > 0);
  const path = parsed.pathname === '/' ? '' : parsed.pathname;
  return { location: `${parsed.protocol}//${parsed.host}${path}`, secrets };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
