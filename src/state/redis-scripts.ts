/** The Lua scripts behind the Redis state store: every read-then-write is one script, so it is atomic. */
import { createHash } from 'node:crypto';

// Keys (P = prefix): apr:<id> hash; apr-pending:<binding> the id pending for a binding;
// apr-pending zset id by created_at; apr-denied:<binding> zset id by resolved_at; apr-all zset
// id by expires_at; grant:<id> hash; grants:<binding> set of ids; grants zset id by the time it
// can be swept (expires_at, or 0 once used up); rate:<key> hash {count, expires_at}; rates zset
// key by expires_at; replay:<id> its expiry; replays zset; pin:<[server,tool]> hash; pins set.
export const SCRIPTS = {
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

export type ScriptName = keyof typeof SCRIPTS;
export const SHAS = Object.fromEntries(Object.entries(SCRIPTS).map(([name, lua]) => [name, createHash('sha1').update(lua).digest('hex')])) as Record<
  ScriptName,
  string
>;
