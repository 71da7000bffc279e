/**
 * Schema version 11: `deferred_indexes` holds the CREATE statements of the findings indexes a bulk replay dropped
 * (deferred-indexes.ts). A row is written in the transaction that drops its index and deleted in the one that
 * recreates it, so a process killed in between leaves the statement on disk and the next read-write open puts
 * the index back.
 */
import type { Migration } from '../migrations.ts';

export const deferredIndexes: Migration = (db) => {
  db.exec('CREATE TABLE deferred_indexes (name TEXT PRIMARY KEY, sql TEXT NOT NULL) WITHOUT ROWID;');
};
