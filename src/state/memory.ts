/** The state store in process memory: for tests and for a gateway without `state.path`. */
import {
  APPROVAL_RETENTION_MS,
  windowEnd,
  type ApprovalBinding,
  type ApprovalRecord,
  type GrantRecord,
  type PinRecord,
  type Resolution,
  type StateStore,
} from './store.js';

// Atomicity: every method does all its reading and writing synchronously, before its first
// await, so no other call can interleave on the single JavaScript thread.

/** A fresh, empty in-memory state store. Nothing survives the process; `close()` releases nothing. */
export function createMemoryState(): StateStore {
  const approvals = new Map<string, ApprovalRecord>();
  const grants = new Map<string, GrantRecord>();
  const rates = new Map<string, { count: number; expires_at: number }>();
  const replay = new Map<string, number>();
  const pins = new Map<string, PinRecord>();
  const pinKey = (server: string, tool: string): string => JSON.stringify([server, tool]);

  return {
    location: 'memory',
    approvals: {
      async putPending(record, now) {
        const standing = [...approvals.values()].find((a) => a.status === 'pending' && a.expires_at > now && sameBinding(a, record));
        if (standing) {
          const updated = { ...standing, session: record.session };
          approvals.set(updated.id, updated);
          return copy(updated);
        }
        approvals.set(record.id, copy(record));
        return copy(record);
      },
      async get(id) {
        const found = approvals.get(id);
        return found ? copy(found) : null;
      },
      async listPending(now) {
        return [...approvals.values()]
          .filter((a) => a.status === 'pending' && a.expires_at > now)
          .sort((a, b) => a.created_at - b.created_at)
          .map(copy);
      },
      async resolve(id, resolution, now) {
        const found = approvals.get(id);
        if (!found || found.status !== 'pending' || found.expires_at <= now) return null;
        const resolved = resolvedRecord(found, resolution, now);
        approvals.set(id, resolved);
        if (resolution.status === 'approved') {
          const { grant } = resolution;
          grants.set(id, {
            approval_id: id,
            principal: found.principal,
            server: found.server,
            tool: found.tool,
            args_sha256: found.args_sha256,
            session: grant.sessionBound ? found.session : null,
            uses_left: grant.uses,
            created_at: now,
            expires_at: grant.expires_at,
          });
        }
        return copy(resolved);
      },
      async findDenied(binding, now) {
        const denied = [...approvals.values()]
          .filter((a) => a.status === 'denied' && a.expires_at > now && sameBinding(a, binding))
          .sort((a, b) => (b.resolved_at ?? 0) - (a.resolved_at ?? 0));
        return denied[0] ? copy(denied[0]) : null;
      },
    },
    grants: {
      async consume(binding, session, now) {
        const usable = [...grants.values()]
          .filter((g) => isUsable(g, now) && sameBinding(g, binding) && (g.session === null || g.session === session))
          .sort((a, b) => Number(a.uses_left !== null) - Number(b.uses_left !== null) || b.expires_at - a.expires_at);
        const chosen = usable[0];
        if (!chosen) return null;
        const used = chosen.uses_left === null ? chosen : { ...chosen, uses_left: chosen.uses_left - 1 };
        grants.set(used.approval_id, used);
        return { ...used };
      },
      async list(now) {
        return [...grants.values()].filter((g) => isUsable(g, now)).map((g) => ({ ...g }));
      },
      async revoke(approvalId) {
        return grants.delete(approvalId);
      },
    },
    rates: {
      async hit(key, windowMs, now) {
        const end = windowEnd(now, windowMs);
        const current = rates.get(key);
        const next = current && current.expires_at > now ? { count: current.count + 1, expires_at: current.expires_at } : { count: 1, expires_at: end };
        rates.set(key, next);
        return next.count;
      },
      async counts(keys, now) {
        const out = new Map<string, number>();
        for (const key of keys) {
          const current = rates.get(key);
          if (current && current.expires_at > now) out.set(key, current.count);
        }
        return out;
      },
    },
    replay: {
      async claim(id, expiresAt, now) {
        const seenUntil = replay.get(id);
        if (seenUntil !== undefined && seenUntil > now) return false;
        replay.set(id, expiresAt);
        return true;
      },
    },
    pins: {
      async get(server, tool) {
        const found = pins.get(pinKey(server, tool));
        return found ? copyPin(found) : null;
      },
      async list() {
        return [...pins.values()].sort((a, b) => a.server.localeCompare(b.server) || a.tool.localeCompare(b.tool)).map(copyPin);
      },
      async pinIfAbsent(pin, now) {
        const key = pinKey(pin.server, pin.tool);
        const found = pins.get(key);
        if (found) return copyPin(found);
        const created: PinRecord = { ...pin, first_seen: now, updated_at: now, status: 'pinned' };
        pins.set(key, created);
        return copyPin(created);
      },
      async markChanged(server, tool, hash, definition, now) {
        const key = pinKey(server, tool);
        const found = pins.get(key);
        if (!found) return null;
        const { changed: _dropped, ...rest } = found;
        const updated: PinRecord =
          hash === found.hash
            ? { ...rest, status: 'pinned', updated_at: now }
            : { ...rest, status: 'changed', updated_at: now, changed: { hash, definition, seen_at: now } };
        pins.set(key, updated);
        return copyPin(updated);
      },
      async accept(server, tool, now) {
        const key = pinKey(server, tool);
        const found = pins.get(key);
        if (!found) return null;
        if (!found.changed) return copyPin(found);
        const accepted: PinRecord = {
          server,
          tool,
          hash: found.changed.hash,
          definition: found.changed.definition,
          first_seen: found.first_seen,
          updated_at: now,
          status: 'pinned',
        };
        pins.set(key, accepted);
        return copyPin(accepted);
      },
    },
    async sweep(now) {
      let removed = 0;
      for (const [id, a] of approvals) if (a.expires_at + APPROVAL_RETENTION_MS <= now && approvals.delete(id)) removed++;
      for (const [id, g] of grants) if (!isUsable(g, now) && grants.delete(id)) removed++;
      for (const [key, r] of rates) if (r.expires_at <= now && rates.delete(key)) removed++;
      for (const [id, until] of replay) if (until <= now && replay.delete(id)) removed++;
      return removed;
    },
    async close() {},
  };
}

function sameBinding(a: ApprovalBinding, b: ApprovalBinding): boolean {
  return a.principal === b.principal && a.server === b.server && a.tool === b.tool && a.args_sha256 === b.args_sha256;
}

function isUsable(g: GrantRecord, now: number): boolean {
  return g.expires_at > now && (g.uses_left === null || g.uses_left > 0);
}

function resolvedRecord(found: ApprovalRecord, resolution: Resolution, now: number): ApprovalRecord {
  return {
    ...found,
    status: resolution.status,
    resolved_at: now,
    ...(resolution.by !== undefined ? { resolved_by: resolution.by } : {}),
    ...(resolution.status === 'approved' ? { scope: resolution.scope } : {}),
  };
}

// Callers get copies, so mutating a returned record never changes the store.
function copy(record: ApprovalRecord): ApprovalRecord {
  return structuredClone(record);
}

function copyPin(pin: PinRecord): PinRecord {
  return structuredClone(pin);
}
