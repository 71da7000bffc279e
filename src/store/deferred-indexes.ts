/**
 * Findings indexes deferred during a bulk replay. Each finding row of a replay used to update every secondary index
 * of `findings` (a dozen, for the dashboard's filters and live updates): about three quarters of the store's cost
 * on a capture of many small messages, while building the same indexes once at the end by sorting costs a few
 * percent of that. So a replay into a store that holds few findings drops those indexes first and recreates them
 * when it ends (docs/adr/0016-deferred-finding-indexes.md).
 *
 * Crash safety: the CREATE statements of the dropped indexes are copied into `deferred_indexes` in the transaction
 * that drops them, and deleted in the one that recreates them; `restoreDeferredIndexes` runs at every read-write
 * open, so an index dropped by a killed process is back before anything else uses the file. Kept while deferred:
 * the primary key (upserts by id) and `findings_flow` (the foreign key's index: deleting a flow cascades through
 * it). Queries stay correct without the others, only slower. Not deferred when the store already holds more than
 * MAX_FINDINGS_TO_REINDEX findings: rebuilding is linear in the whole table, not in what the replay adds. Counts
 * (`finding_counts`) stay maintained by their triggers throughout.
 */
import type { Database } from 'better-sqlite3';

/** Past this many findings in the store, rebuilding the indexes costs more than keeping them up row by row. */
export const MAX_FINDINGS_TO_REINDEX = 100_000;

/** Indexes a bulk replay keeps: the foreign key's (cascading deletes of flows read it). */
const KEPT = new Set(['findings_flow']);

/**
 * Drops the deferrable findings indexes, recording how to recreate them; returns how many it dropped (0 when
 * the store holds more than `maxFindings` findings, or they are already deferred).
 */
export function deferFindingIndexes(db: Database, maxFindings = MAX_FINDINGS_TO_REINDEX): number {
  return db
    .transaction(() => {
      const total = db.prepare('SELECT coalesce(sum(n), 0) AS n FROM finding_counts').get() as { n: number };
      if (total.n > maxFindings) return 0;
      const indexes = db
        .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'findings' AND sql NOT NULL")
        .all() as Array<{ name: string; sql: string }>;
      const save = db.prepare('INSERT OR REPLACE INTO deferred_indexes (name, sql) VALUES (?, ?)');
      let dropped = 0;
      for (const { name, sql } of indexes) {
        if (KEPT.has(name)) continue;
        save.run(name, sql);
        db.exec(`DROP INDEX "${name.replaceAll('"', '""')}"`);
        dropped++;
      }
      return dropped;
    })
    .immediate();
}

/** Recreates every index `deferred_indexes` lists, in one transaction; returns how many. */
export function restoreDeferredIndexes(db: Database): number {
  const rows = db.prepare('SELECT name, sql FROM deferred_indexes').all() as Array<{ name: string; sql: string }>;
  if (rows.length === 0) return 0;
  db.transaction(() => {
    const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?").pluck();
    // Another process may have restored them meanwhile: read again inside the write lock.
    for (const { name, sql } of db.prepare('SELECT name, sql FROM deferred_indexes').all() as typeof rows) {
      if (exists.get(name) === undefined) db.exec(sql);
    }
    db.exec('DELETE FROM deferred_indexes');
  }).immediate();
  return rows.length;
}
