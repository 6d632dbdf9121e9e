/**
 * The shared state store for several gateway replicas: one Redis (ioredis), every read-then-write
 * a Lua script run with EVALSHA, so it is atomic across connections, processes and hosts.
 */
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
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

// Keys (P = prefix): apr:<id> hash; apr-pending:<binding> the id pending for a binding;
// apr-pending zset id by created_at; apr-denied:<binding> zset id by resolved_at; apr-all zset
// id by expires_at; grant:<id> hash; grants:<binding> set of ids; grants zset id by the time it
// can be swept (expires_at, or 0 once used up); rate:<key> hash {count, expires_at}; rates zset
// key by expires_at; replay:<id> its expiry; replays zset; pin:<[server,tool]> hash; pins set.
const SCRIPTS = {
  // KEYS: pointer, approval, apr-pending, apr-all. ARGV: prefix, now, id, session, created_at, expires_at, ttl, pointer ttl, field/value...
  putPending: `
    local now = tonumber(ARGV[2])
    local sid = redis.call('GET', KEYS[1])
    if sid then
      local h = ARGV[1] .. 'apr:' .. sid
      local f = redis.call('HMGET', h, 'status', 'expires_at')
      if f[1] == 'pending' and tonumber(f[2]) > now then
        redis.call('HSET', h, 'session', ARGV[4])
        return redis.call('HGETALL', h)
      end
    end
    if redis.call('EXISTS', KEYS[2]) == 1 then return redis.error_reply('approval id already in use') end
    redis.call('HSET', KEYS[2], unpack(ARGV, 9))
    redis.call('PEXPIRE', KEYS[2], ARGV[7])
    redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[8])
    redis.call('ZADD', KEYS[3], ARGV[5], ARGV[3])
    redis.call('ZADD', KEYS[4], ARGV[6], ARGV[3])
    return redis.call('HGETALL', KEYS[2])`,
  // KEYS: apr-pending. ARGV: prefix, now. Drops expired and vanished ids from the index as it goes.
  listPending: `
    local now = tonumber(ARGV[2])
    local out = {}
    for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
      local h = ARGV[1] .. 'apr:' .. id
      local f = redis.call('HMGET', h, 'status', 'expires_at')
      if f[1] == 'pending' and tonumber(f[2]) > now then
        out[#out + 1] = redis.call('HGETALL', h)
      else
        redis.call('ZREM', KEYS[1], id)
      end
    end
    return out`,
  // KEYS: approval, apr-pending, grants. ARGV: prefix, now, id, status, by, scope, session-bound, uses, grant expires_at, grant ttl.
  resolve: `
    local now = tonumber(ARGV[2])
    local f = redis.call('HMGET', KEYS[1], 'status', 'expires_at', 'bkey', 'session', 'principal', 'server', 'tool', 'args_sha256')
    if f[1] ~= 'pending' or tonumber(f[2]) <= now then return false end
    redis.call('HSET', KEYS[1], 'status', ARGV[4], 'resolved_at', ARGV[2])
    if ARGV[5] ~= '' then redis.call('HSET', KEYS[1], 'resolved_by', ARGV[5]) end
    if ARGV[6] ~= '' then redis.call('HSET', KEYS[1], 'scope', ARGV[6]) end
    redis.call('ZREM', KEYS[2], ARGV[3])
    local ptr = ARGV[1] .. 'apr-pending:' .. f[3]
    if redis.call('GET', ptr) == ARGV[3] then redis.call('DEL', ptr) end
    if ARGV[4] == 'approved' then
      local g = ARGV[1] .. 'grant:' .. ARGV[3]
      redis.call('HSET', g, 'approval_id', ARGV[3], 'principal', f[5], 'server', f[6], 'tool', f[7], 'args_sha256', f[8],
        'created_at', ARGV[2], 'expires_at', ARGV[9], 'bkey', f[3])
      if ARGV[7] == '1' then redis.call('HSET', g, 'session', f[4]) end
      if ARGV[8] ~= '' then redis.call('HSET', g, 'uses_left', ARGV[8]) end
      redis.call('PEXPIRE', g, ARGV[10])
      redis.call('SADD', ARGV[1] .. 'grants:' .. f[3], ARGV[3])
      redis.call('ZADD', KEYS[3], ARGV[9], ARGV[3])
    else
      redis.call('ZADD', ARGV[1] .. 'apr-denied:' .. f[3], ARGV[2], ARGV[3])
    end
    return redis.call('HGETALL', KEYS[1])`,
  // KEYS: apr-denied:<binding>. ARGV: prefix, now.
  findDenied: `
    local now = tonumber(ARGV[2])
    for _, id in ipairs(redis.call('ZREVRANGE', KEYS[1], 0, -1)) do
      local h = ARGV[1] .. 'apr:' .. id
      local f = redis.call('HMGET', h, 'status', 'expires_at')
      if f[1] == 'denied' and tonumber(f[2]) > now then return redis.call('HGETALL', h) end
    end
    return false`,
  // KEYS: grants:<binding>, grants. ARGV: prefix, now, session. Unlimited first, then the latest expiry.
  consume: `
    local now = tonumber(ARGV[2])
    local best, bestUnlimited, bestExp = nil, false, 0
    for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
      local f = redis.call('HMGET', ARGV[1] .. 'grant:' .. id, 'session', 'uses_left', 'expires_at')
      if not f[3] then
        redis.call('SREM', KEYS[1], id)
      else
        local exp = tonumber(f[3])
        if exp > now and (not f[1] or f[1] == ARGV[3]) and (not f[2] or tonumber(f[2]) > 0) then
          local unlimited = not f[2]
          if best == nil or (unlimited and not bestUnlimited) or (unlimited == bestUnlimited and exp > bestExp) then
            best, bestUnlimited, bestExp = id, unlimited, exp
          end
        end
      end
    end
    if best == nil then return false end
    local g = ARGV[1] .. 'grant:' .. best
    if not bestUnlimited and redis.call('HINCRBY', g, 'uses_left', -1) <= 0 then redis.call('ZADD', KEYS[2], 0, best) end
    return redis.call('HGETALL', g)`,
  // KEYS: grants. ARGV: prefix, now.
  listGrants: `
    local now = tonumber(ARGV[2])
    local out = {}
    for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[2], '+inf')) do
      local g = ARGV[1] .. 'grant:' .. id
      local f = redis.call('HMGET', g, 'uses_left', 'expires_at')
      if f[2] and tonumber(f[2]) > now and (not f[1] or tonumber(f[1]) > 0) then out[#out + 1] = redis.call('HGETALL', g) end
    end
    return out`,
  // KEYS: grant, grants. ARGV: prefix, id.
  revoke: `
    local bkey = redis.call('HGET', KEYS[1], 'bkey')
    redis.call('ZREM', KEYS[2], ARGV[2])
    if not bkey then return 0 end
    redis.call('DEL', KEYS[1])
    redis.call('SREM', ARGV[1] .. 'grants:' .. bkey, ARGV[2])
    return 1`,
  // KEYS: rate, rates. ARGV: now, window end, key, ttl.
  hit: `
    local f = redis.call('HMGET', KEYS[1], 'count', 'expires_at')
    if f[2] and tonumber(f[2]) > tonumber(ARGV[1]) then return redis.call('HINCRBY', KEYS[1], 'count', 1) end
    redis.call('HSET', KEYS[1], 'count', 1, 'expires_at', ARGV[2])
    redis.call('PEXPIRE', KEYS[1], ARGV[4])
    redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
    return 1`,
  // KEYS: replay, replays. ARGV: now, expires_at, id, ttl.
  claim: `
    local seen = redis.call('GET', KEYS[1])
    if seen and tonumber(seen) > tonumber(ARGV[1]) then return 0 end
    redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[4])
    redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
    return 1`,
  // KEYS: pin, pins. ARGV: server, tool, hash, definition, now, member.
  pinIfAbsent: `
    if redis.call('EXISTS', KEYS[1]) == 0 then
      redis.call('HSET', KEYS[1], 'server', ARGV[1], 'tool', ARGV[2], 'hash', ARGV[3], 'definition', ARGV[4],
        'first_seen', ARGV[5], 'updated_at', ARGV[5], 'status', 'pinned')
      redis.call('SADD', KEYS[2], ARGV[6])
    end
    return redis.call('HGETALL', KEYS[1])`,
  // KEYS: pin. ARGV: hash, definition, now.
  markChanged: `
    local current = redis.call('HGET', KEYS[1], 'hash')
    if not current then return false end
    if current == ARGV[1] then
      redis.call('HSET', KEYS[1], 'status', 'pinned', 'updated_at', ARGV[3])
      redis.call('HDEL', KEYS[1], 'changed_hash', 'changed_definition', 'changed_at')
    else
      redis.call('HSET', KEYS[1], 'status', 'changed', 'updated_at', ARGV[3], 'changed_hash', ARGV[1], 'changed_definition', ARGV[2], 'changed_at', ARGV[3])
    end
    return redis.call('HGETALL', KEYS[1])`,
  // KEYS: pin. ARGV: now.
  accept: `
    local f = redis.call('HMGET', KEYS[1], 'hash', 'changed_hash', 'changed_definition')
    if not f[1] then return false end
    if f[2] and f[3] then
      redis.call('HSET', KEYS[1], 'hash', f[2], 'definition', f[3], 'status', 'pinned', 'updated_at', ARGV[1])
      redis.call('HDEL', KEYS[1], 'changed_hash', 'changed_definition', 'changed_at')
    end
    return redis.call('HGETALL', KEYS[1])`,
  // KEYS: pins. ARGV: prefix.
  listPins: `
    local out = {}
    for _, member in ipairs(redis.call('SMEMBERS', KEYS[1])) do
      local pin = redis.call('HGETALL', ARGV[1] .. 'pin:' .. member)
      if #pin > 0 then out[#out + 1] = pin end
    end
    return out`,
  // KEYS: apr-all, apr-pending, grants, rates, replays. ARGV: prefix, now, approval cutoff, batch.
  // Returns {removed, more}: more is 1 when an index had a full batch (call again).
  sweep: `
    local p, now, limit = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[4])
    local removed, more = 0, 0
    local function due(index, upto)
      local members = redis.call('ZRANGEBYSCORE', index, '-inf', upto, 'LIMIT', 0, limit)
      if #members == limit then more = 1 end
      return members
    end
    for _, id in ipairs(due(KEYS[1], ARGV[3])) do
      local h = p .. 'apr:' .. id
      local bkey = redis.call('HGET', h, 'bkey')
      if bkey then
        redis.call('DEL', h)
        removed = removed + 1
        redis.call('ZREM', p .. 'apr-denied:' .. bkey, id)
        local ptr = p .. 'apr-pending:' .. bkey
        if redis.call('GET', ptr) == id then redis.call('DEL', ptr) end
      end
      redis.call('ZREM', KEYS[1], id)
      redis.call('ZREM', KEYS[2], id)
    end
    for _, id in ipairs(due(KEYS[3], ARGV[2])) do
      local g = p .. 'grant:' .. id
      local f = redis.call('HMGET', g, 'bkey', 'uses_left', 'expires_at')
      if f[1] and (tonumber(f[3]) <= now or (f[2] and tonumber(f[2]) <= 0)) then
        redis.call('DEL', g)
        redis.call('SREM', p .. 'grants:' .. f[1], id)
        removed = removed + 1
      end
      if f[1] and tonumber(f[3]) > now and not (f[2] and tonumber(f[2]) <= 0) then
        redis.call('ZADD', KEYS[3], f[3], id)
      else
        redis.call('ZREM', KEYS[3], id)
      end
    end
    for _, key in ipairs(due(KEYS[4], ARGV[2])) do
      local r = p .. 'rate:' .. key
      local e = redis.call('HGET', r, 'expires_at')
      if e and tonumber(e) <= now then
        redis.call('DEL', r)
        removed = removed + 1
      end
      if e and tonumber(e) > now then redis.call('ZADD', KEYS[4], e, key) else redis.call('ZREM', KEYS[4], key) end
    end
    for _, id in ipairs(due(KEYS[5], ARGV[2])) do
      local r = p .. 'replay:' .. id
      local e = redis.call('GET', r)
      if e and tonumber(e) <= now then
        redis.call('DEL', r)
        removed = removed + 1
      end
      if e and tonumber(e) > now then redis.call('ZADD', KEYS[5], e, id) else redis.call('ZREM', KEYS[5], id) end
    end
    return {removed, more}`,
} as const;

type ScriptName = keyof typeof SCRIPTS;
const SHAS = Object.fromEntries(Object.entries(SCRIPTS).map(([name, lua]) => [name, createHash('sha1').update(lua).digest('hex')])) as Record<
  ScriptName,
  string
>;

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
