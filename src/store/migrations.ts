/**
 * Schema versions as an ordered list of migrations, versioned by `PRAGMA user_version`: migration i brings a
 * database from version i to i + 1, each in its own transaction. A new (empty) database is made at the current
 * version by one script instead (fresh-schema.ts, generated from this chain), in one transaction. Opening the database, pragmas and the newer-schema
 * refusal are in db.ts; the SQL of each version is in migrations/.
 */
import type { Database } from 'better-sqlite3';
import { FRESH_SCHEMA, FRESH_SCHEMA_VERSION } from './fresh-schema.ts';
import { initial } from './migrations/001-initial.ts';
import { evidenceDestinations } from './migrations/002-evidence-destinations.ts';
import { tlsInfo } from './migrations/003-tls-info.ts';
import { messageHeads } from './migrations/004-message-heads.ts';
import { captureStatus } from './migrations/005-capture-status.ts';
import { personalDetail } from './migrations/006-personal-detail.ts';
import { dashboard } from './migrations/007-dashboard.ts';
import { certChecks } from './migrations/008-cert-checks.ts';
import { valueSearch } from './migrations/009-value-search.ts';
import { findingMinutes } from './migrations/010-finding-minutes.ts';
import { deferredIndexes } from './migrations/011-deferred-indexes.ts';
import { positionTables } from './migrations/012-position-tables.ts';

/** One step of the schema, run inside a transaction. */
export type Migration = (db: Database) => void;

/** In order: index 0 makes version 1. */
export const MIGRATIONS: readonly Migration[] = [
  initial,
  evidenceDestinations,
  tlsInfo,
  messageHeads,
  captureStatus,
  personalDetail,
  dashboard,
  certChecks,
  valueSearch,
  findingMinutes,
  deferredIndexes,
  positionTables,
];

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** Reads `PRAGMA user_version`. */
export function schemaVersion(db: Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Upgrades `db` to `target` (default: the current version), one transaction per step, so a crash leaves it at
 * a whole version; an empty database to the current version in one. Throws on a database newer than this code.
 */
export function migrate(db: Database, target = SCHEMA_VERSION): void {
  const from = schemaVersion(db);
  if (from > SCHEMA_VERSION) throw new Error(`database schema ${from} is newer than this toyscope`);
  if (from === 0 && target === FRESH_SCHEMA_VERSION && isEmpty(db)) {
    db.transaction(() => {
      for (const sql of FRESH_SCHEMA) db.exec(sql);
      db.pragma(`user_version = ${target}`);
    }).immediate();
    return;
  }
  for (let v = from; v < target; v++) {
    db.transaction(() => {
      MIGRATIONS[v]!(db);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
}

/** No table, index or trigger yet: a new file. */
function isEmpty(db: Database): boolean {
  return db.prepare('SELECT count(*) FROM sqlite_master').pluck().get() === 0;
}
