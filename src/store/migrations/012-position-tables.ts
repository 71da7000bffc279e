/**
 * Schema version 12: the lab's offline position tables (`toyscope geo import`, src/store/positions.ts, ADR 0022).
 * `geo_sources` names each imported file; `geo_wifi` places an access point by its BSSID as a search key (12 hex
 * digits, src/store/search.ts), `geo_cells` a cell by (MCC, MNC, LAC/TAC, CID). Both are WITHOUT ROWID tables keyed
 * by what a finding looks up, and carry no other index: an OpenCellID export is tens of millions of rows, and a
 * second index would double its size and halve the import's speed. `weight` is what a later observation of the same
 * access point from the same source is averaged against (WiGLE lists one row per sighting).
 */
import type { Migration } from '../migrations.ts';

export const positionTables: Migration = (db) => {
  db.exec(`
    CREATE TABLE geo_sources (
      id INTEGER PRIMARY KEY, path TEXT NOT NULL, format TEXT NOT NULL, imported_ts INTEGER NOT NULL,
      wifi INTEGER NOT NULL DEFAULT 0, cells INTEGER NOT NULL DEFAULT 0, skipped INTEGER NOT NULL DEFAULT 0,
      complete INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE geo_wifi (
      bssid TEXT PRIMARY KEY, lat REAL NOT NULL, lon REAL NOT NULL, accuracy_m REAL, weight REAL NOT NULL,
      source INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE geo_cells (
      mcc INTEGER NOT NULL, mnc INTEGER NOT NULL, lac INTEGER NOT NULL, cid INTEGER NOT NULL, radio TEXT,
      lat REAL NOT NULL, lon REAL NOT NULL, accuracy_m REAL, samples INTEGER, source INTEGER NOT NULL,
      PRIMARY KEY (mcc, mnc, lac, cid)
    ) WITHOUT ROWID;
  `);
};
