/**
 * The embedded state store: one SQLite file (better-sqlite3) in WAL mode, shared safely by
 * `toolgate serve` and the CLI, and by several processes, through busy_timeout and IMMEDIATE
 * transactions for every read-then-write.
 */
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { ToolgateError, isToolgateError, oneLine } from '../errors.js';
import { migrate } from './migrations.js';
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

/** How long a connection waits for another one's write lock before failing (ms). */
export const BUSY_TIMEOUT_MS = 5000;

interface ApprovalRow {
  id: string;
  principal: string;
  session: string;
  server: string;
  tool: string;
  args_sha256: string;
  args_preview: string;
  reason: string;
  rules: string;
  status: ApprovalRecord['status'];
  created_at: number;
  expires_at: number;
  resolved_at: number | null;
  resolved_by: string | null;
  scope: string | null;
}

interface PinRow {
  server: string;
  tool: string;
  hash: string;
  definition: string;
  first_seen: number;
  updated_at: number;
  status: PinRecord['status'];
  changed_hash: string | null;
  changed_definition: string | null;
  changed_at: number | null;
}

const BINDING = 'principal = @principal AND server = @server AND tool = @tool AND args_sha256 = @args_sha256';

/**
 * Opens (creating the folder, the file and the schema as needed) the SQLite state store at `path`.
 * A new file is made readable by its owner only: it holds argument previews.
 * Throws `TG_STATE_FAILED` naming the file when it cannot be opened or is not a toolgate state file.
 */
export async function openSqliteState(path: string): Promise<StateStore> {
  const fail = (e: unknown): never => {
    if (isToolgateError(e)) throw e;
    throw new ToolgateError('TG_STATE_FAILED', `state store ${path}: ${oneLine(e)}`, { cause: e, details: { file: path } });
  };
  // Several processes opening one new file at once can meet SQLITE_BUSY while it is switched to
  // WAL (SQLite does not always call the busy handler there): such an open is tried again.
  for (let attempt = 1; ; attempt++) {
    let db: Database.Database | undefined;
    try {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      const isNew = !existsSync(path);
      db = new Database(path);
      if (isNew) chmodSync(path, 0o600);
      // busy_timeout first: switching to WAL needs a lock another process may hold.
      db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
      db.pragma('journal_mode = WAL');
      // NORMAL is durable against process crashes in WAL mode; only an OS crash may lose the last commits.
      db.pragma('synchronous = NORMAL');
      migrate(db, path);
      return sqliteStore(db, path, fail);
    } catch (e) {
      db?.close();
      const code = (e as { code?: unknown }).code;
      if ((code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') && attempt < OPEN_ATTEMPTS) {
        await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
        continue;
      }
      return fail(e);
    }
  }
}

/** How many times opening is tried when another process holds the file's lock. */
const OPEN_ATTEMPTS = 10;

function sqliteStore(db: Database.Database, path: string, fail: (e: unknown) => never): StateStore {
  // Statements are prepared lazily and once: the hot path (rates, replay, grants) re-uses them.
  const cache = new Map<string, Database.Statement>();
  const sql = (text: string): Database.Statement => {
    let stmt = cache.get(text);
    if (!stmt) {
      stmt = db.prepare(text);
      cache.set(text, stmt);
    }
    return stmt;
  };
  // Every call runs as one IMMEDIATE transaction: the write lock is taken (waiting up to
  // busy_timeout) before reading, so read-then-write is atomic across connections.
  const tx = async <T>(work: () => T): Promise<T> => {
    try {
      return db.transaction(work).immediate();
    } catch (e) {
      return fail(e);
    }
  };
  const read = async <T>(work: () => T): Promise<T> => {
    try {
      return work();
    } catch (e) {
      return fail(e);
    }
  };
  const getApproval = (id: string): ApprovalRecord | null => {
    const row = sql('SELECT * FROM approvals WHERE id = ?').get(id) as ApprovalRow | undefined;
    return row ? toApproval(row) : null;
  };
  const getPin = (server: string, tool: string): PinRecord | null => {
    const row = sql('SELECT * FROM pins WHERE server = ? AND tool = ?').get(server, tool) as PinRow | undefined;
    return row ? toPin(row) : null;
  };
  let closed = false;

  return {
    location: path,
    approvals: {
      putPending: (record, now) =>
        tx(() => {
          const standing = sql(`SELECT id FROM approvals WHERE ${BINDING} AND status = 'pending' AND expires_at > @now ORDER BY created_at LIMIT 1`).get({
            ...binding(record),
            now,
          }) as { id: string } | undefined;
          if (standing) {
            sql('UPDATE approvals SET session = ? WHERE id = ?').run(record.session, standing.id);
            return getApproval(standing.id) as ApprovalRecord;
          }
          sql(
            `INSERT INTO approvals (id, principal, session, server, tool, args_sha256, args_preview, reason, rules, status, created_at, expires_at)
             VALUES (@id, @principal, @session, @server, @tool, @args_sha256, @args_preview, @reason, @rules, 'pending', @created_at, @expires_at)`,
          ).run({
            id: record.id,
            ...binding(record),
            session: record.session,
            args_preview: record.args_preview,
            reason: record.reason,
            rules: JSON.stringify(record.rules),
            created_at: record.created_at,
            expires_at: record.expires_at,
          });
          return getApproval(record.id) as ApprovalRecord;
        }),
      get: (id) => read(() => getApproval(id)),
      listPending: (now) =>
        read(() =>
          (sql(`SELECT * FROM approvals WHERE status = 'pending' AND expires_at > ? ORDER BY created_at, id`).all(now) as ApprovalRow[]).map(toApproval),
        ),
      resolve: (id, resolution, now) =>
        tx(() => {
          const found = getApproval(id);
          if (!found || found.status !== 'pending' || found.expires_at <= now) return null;
          sql('UPDATE approvals SET status = ?, resolved_at = ?, resolved_by = ?, scope = ? WHERE id = ?').run(
            resolution.status,
            now,
            resolution.by ?? null,
            resolution.status === 'approved' ? JSON.stringify(resolution.scope) : null,
            id,
          );
          if (resolution.status === 'approved') {
            const { grant } = resolution;
            sql(
              `INSERT INTO grants (approval_id, principal, server, tool, args_sha256, session, uses_left, created_at, expires_at)
               VALUES (@approval_id, @principal, @server, @tool, @args_sha256, @session, @uses_left, @created_at, @expires_at)`,
            ).run({
              approval_id: id,
              ...binding(found),
              session: grant.sessionBound ? found.session : null,
              uses_left: grant.uses,
              created_at: now,
              expires_at: grant.expires_at,
            });
          }
          return getApproval(id);
        }),
      findDenied: (b, now) =>
        read(() => {
          const row = sql(`SELECT * FROM approvals WHERE ${BINDING} AND status = 'denied' AND expires_at > @now ORDER BY resolved_at DESC LIMIT 1`).get({
            ...binding(b),
            now,
          }) as ApprovalRow | undefined;
          return row ? toApproval(row) : null;
        }),
    },
    grants: {
      consume: (b, session, now) =>
        tx(() => {
          const row = sql(
            `SELECT * FROM grants WHERE ${BINDING} AND expires_at > @now AND (session IS NULL OR session = @session)
             AND (uses_left IS NULL OR uses_left > 0) ORDER BY (uses_left IS NOT NULL), expires_at DESC LIMIT 1`,
          ).get({ ...binding(b), now, session }) as GrantRecord | undefined;
          if (!row) return null;
          if (row.uses_left === null) return { ...row };
          sql('UPDATE grants SET uses_left = uses_left - 1 WHERE approval_id = ?').run(row.approval_id);
          return { ...row, uses_left: row.uses_left - 1 };
        }),
      list: (now) =>
        read(() => sql('SELECT * FROM grants WHERE expires_at > ? AND (uses_left IS NULL OR uses_left > 0) ORDER BY created_at').all(now) as GrantRecord[]),
      revoke: (approvalId) => tx(() => sql('DELETE FROM grants WHERE approval_id = ?').run(approvalId).changes > 0),
    },
    rates: {
      hit: async (key, windowMs, now) => {
        const end = windowEnd(now, windowMs);
        return tx(() => {
          const row = sql(
            `INSERT INTO rates (key, count, expires_at) VALUES (@key, 1, @end)
             ON CONFLICT (key) DO UPDATE SET
               count = CASE WHEN rates.expires_at > @now THEN rates.count + 1 ELSE 1 END,
               expires_at = CASE WHEN rates.expires_at > @now THEN rates.expires_at ELSE @end END
             RETURNING count`,
          ).get({ key, end, now }) as { count: number };
          return row.count;
        });
      },
      counts: (keys, now) =>
        read(() => {
          const out = new Map<string, number>();
          const stmt = sql('SELECT count FROM rates WHERE key = ? AND expires_at > ?');
          for (const key of keys) {
            const row = stmt.get(key, now) as { count: number } | undefined;
            if (row) out.set(key, row.count);
          }
          return out;
        }),
    },
    replay: {
      claim: (id, expiresAt, now) =>
        tx(() => {
          const seen = sql('SELECT expires_at FROM replay WHERE id = ?').get(id) as { expires_at: number } | undefined;
          if (seen && seen.expires_at > now) return false;
          sql('INSERT INTO replay (id, expires_at) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET expires_at = excluded.expires_at').run(id, expiresAt);
          return true;
        }),
    },
    pins: {
      get: (server, tool) => read(() => getPin(server, tool)),
      list: () => read(() => (sql('SELECT * FROM pins ORDER BY server, tool').all() as PinRow[]).map(toPin)),
      pinIfAbsent: (pin, now) =>
        tx(() => {
          sql(
            `INSERT INTO pins (server, tool, hash, definition, first_seen, updated_at, status) VALUES (?, ?, ?, ?, ?, ?, 'pinned')
             ON CONFLICT (server, tool) DO NOTHING`,
          ).run(pin.server, pin.tool, pin.hash, pin.definition, now, now);
          return getPin(pin.server, pin.tool) as PinRecord;
        }),
      markChanged: (server, tool, hash, definition, now) =>
        tx(() => {
          const found = getPin(server, tool);
          if (!found) return null;
          if (hash === found.hash) {
            sql(
              `UPDATE pins SET status = 'pinned', updated_at = ?, changed_hash = NULL, changed_definition = NULL, changed_at = NULL WHERE server = ? AND tool = ?`,
            ).run(now, server, tool);
          } else {
            sql(
              `UPDATE pins SET status = 'changed', updated_at = ?, changed_hash = ?, changed_definition = ?, changed_at = ? WHERE server = ? AND tool = ?`,
            ).run(now, hash, definition, now, server, tool);
          }
          return getPin(server, tool);
        }),
      accept: (server, tool, now) =>
        tx(() => {
          const found = getPin(server, tool);
          if (!found?.changed) return found;
          sql(
            `UPDATE pins SET hash = changed_hash, definition = changed_definition, status = 'pinned', updated_at = ?,
             changed_hash = NULL, changed_definition = NULL, changed_at = NULL WHERE server = ? AND tool = ?`,
          ).run(now, server, tool);
          return getPin(server, tool);
        }),
    },
    sweep: (now) =>
      tx(
        () =>
          sql('DELETE FROM approvals WHERE expires_at <= ?').run(now - APPROVAL_RETENTION_MS).changes +
          sql('DELETE FROM grants WHERE expires_at <= ? OR uses_left <= 0').run(now).changes +
          sql('DELETE FROM rates WHERE expires_at <= ?').run(now).changes +
          sql('DELETE FROM replay WHERE expires_at <= ?').run(now).changes,
      ),
    close: async () => {
      if (closed) return;
      closed = true;
      cache.clear();
      try {
        db.close();
      } catch (e) {
        fail(e);
      }
    },
  };
}

function binding(b: ApprovalBinding): ApprovalBinding {
  return { principal: b.principal, server: b.server, tool: b.tool, args_sha256: b.args_sha256 };
}

function toApproval(row: ApprovalRow): ApprovalRecord {
  return {
    id: row.id,
    principal: row.principal,
    session: row.session,
    server: row.server,
    tool: row.tool,
    args_sha256: row.args_sha256,
    args_preview: row.args_preview,
    reason: row.reason,
    rules: JSON.parse(row.rules) as string[],
    status: row.status,
    created_at: row.created_at,
    expires_at: row.expires_at,
    ...(row.resolved_at !== null ? { resolved_at: row.resolved_at } : {}),
    ...(row.resolved_by !== null ? { resolved_by: row.resolved_by } : {}),
    ...(row.scope !== null ? { scope: JSON.parse(row.scope) as ApprovalScope } : {}),
  };
}

function toPin(row: PinRow): PinRecord {
  return {
    server: row.server,
    tool: row.tool,
    hash: row.hash,
    definition: row.definition,
    first_seen: row.first_seen,
    updated_at: row.updated_at,
    status: row.status,
    ...(row.changed_hash !== null && row.changed_definition !== null && row.changed_at !== null
      ? { changed: { hash: row.changed_hash, definition: row.changed_definition, seen_at: row.changed_at } }
      : {}),
  };
}
