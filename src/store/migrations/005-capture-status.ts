/**
 * Schema version 5: a capture row is written when its replay starts (`status` 'incomplete') and completed at the
 * end ('complete'), so the partial data a killed run left is marked, can be purged by capture and is replaced by
 * a rerun. `sha256` is the hash of the capture's bytes: the id for a file, known only at the end for a capture
 * read from standard input (whose id is then a random one). Rows from version 4 are complete, their id their hash.
 */
import type { Migration } from '../migrations.ts';

export const captureStatus: Migration = (db) => {
  db.exec(`
    ALTER TABLE captures ADD COLUMN status TEXT NOT NULL DEFAULT 'complete';
    ALTER TABLE captures ADD COLUMN sha256 TEXT;
    UPDATE captures SET sha256 = id;
  `);
};
