/** The SQLite state schema as numbered migrations, applied once each under a version table. */
import type Database from 'better-sqlite3';
import { ToolgateError } from '../errors.js';

/**
 * Migration N (1-based) brings the schema from version N-1 to N. Append only: a released
 * migration never changes, since databases out there already ran it.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE approvals (
    id           TEXT PRIMARY KEY,
    principal    TEXT NOT NULL,
    session      TEXT NOT NULL,
    server       TEXT NOT NULL,
    tool         TEXT NOT NULL,
    args_sha256  TEXT NOT NULL,
    args_preview TEXT NOT NULL,
    reason       TEXT NOT NULL,
    rules        TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'denied')),
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    resolved_at  INTEGER,
    resolved_by  TEXT,
    scope        TEXT
  ) STRICT;
  CREATE INDEX approvals_by_binding ON approvals (principal, server, tool, args_sha256, status);
  CREATE INDEX approvals_by_status ON approvals (status, expires_at);

  CREATE TABLE grants (
    approval_id  TEXT PRIMARY KEY,
    principal    TEXT NOT NULL,
    server       TEXT NOT NULL,
    tool         TEXT NOT NULL,
    args_sha256  TEXT NOT NULL,
    session      TEXT,
    uses_left    INTEGER,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX grants_by_binding ON grants (principal, server, tool, args_sha256);

  CREATE TABLE rates (
    key        TEXT PRIMARY KEY,
    count      INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  ) STRICT;

  CREATE TABLE replay (
    id         TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL
  ) STRICT;

  CREATE TABLE pins (
    server             TEXT NOT NULL,
    tool               TEXT NOT NULL,
    hash               TEXT NOT NULL,
    definition         TEXT NOT NULL,
    first_seen         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    status             TEXT NOT NULL CHECK (status IN ('pinned', 'changed')),
    changed_hash       TEXT,
    changed_definition TEXT,
    changed_at         INTEGER,
    PRIMARY KEY (server, tool)
  ) STRICT;
  `,
];

/**
 * Brings `db` to the newest schema inside one IMMEDIATE transaction, so two processes opening
 * a new file at once migrate it once. Returns the version. Throws `TG_STATE_FAILED` for a file
 * written by a newer toolgate.
 */
export function migrate(db: Database.Database, file: string): number {
  const run = db.transaction((): number => {
    db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL) STRICT');
    const row = db.prepare('SELECT version FROM schema_version').get() as { version: number } | undefined;
    const current = row?.version ?? 0;
    if (current > MIGRATIONS.length) {
      throw new ToolgateError('TG_STATE_FAILED', `state store ${file} has schema version ${current}, newer than this toolgate knows (${MIGRATIONS.length})`, {
        details: { file },
      });
    }
    for (let version = current + 1; version <= MIGRATIONS.length; version++) db.exec(MIGRATIONS[version - 1] as string);
    if (row === undefined) db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(MIGRATIONS.length);
    else if (current < MIGRATIONS.length) db.prepare('UPDATE schema_version SET version = ?').run(MIGRATIONS.length);
    return MIGRATIONS.length;
  });
  return run.immediate();
}
