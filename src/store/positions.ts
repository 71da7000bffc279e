/**
 * The lab's offline position tables (migrations/012, ADR 0022): where Wi-Fi access points and cell towers are, as
 * imported from files a lab keeps (OpenCellID, WiGLE, its own `bssid,lat,lon`; parsed by src/geo/position-files.ts),
 * and the lookups a finding's scan needs. An import writes in transactions of IMPORT_BATCH_ROWS, so a file of tens
 * of millions of rows costs no more memory than one batch, and a killed import keeps the batches it committed (its
 * source row says `complete: false`). Not a geolocation service: a BSSID not in the tables stays unplaced; a cell
 * not in them may be placed by the other cells of its area (`cellsInArea`, src/geo/places.ts).
 */
import type { Database, Statement } from 'better-sqlite3';
import { cachedPrepare, type Prepare } from './statements.ts';

/** Rows per import transaction (≈ 10× fewer commits than the writer's default, as a bulk replay). */
export const IMPORT_BATCH_ROWS = 10_000;

/** A place: WGS84 degrees, and how far off it may be (metres) when the source says. */
export interface Position {
  lat: number;
  lon: number;
  accuracyM?: number;
}

/** One access point sighting or place: `bssid` as a search key (12 lower-case hex digits). */
export interface WifiRow extends Position {
  bssid: string;
  /** How much this row counts against other rows of the same access point in the same file (default 1). */
  weight?: number;
}

/** One cell: MCC, MNC, LAC (or TAC), cell id, and the radio when the source names it. */
export interface CellKey {
  mcc: number;
  mnc: number;
  lac: number;
  cid: number;
}

export interface CellRow extends CellKey, Position {
  radio?: string;
  samples?: number;
}

/** An imported file as `toyscope geo` lists it. */
export interface PositionSource {
  id: number;
  path: string;
  format: string;
  /** µs since the epoch. */
  importedTs: number;
  /** Rows imported (a later import of the same access point or cell takes its row over). */
  wifi: number;
  cells: number;
  /** Rows the file held that were not positions (bad values, Bluetooth sightings …). */
  skipped: number;
  /** The import ran to the end of the file. */
  complete: boolean;
}

/** An import under way: rows go in batches; `end` commits the rest and records the counts. */
export interface PositionImport {
  readonly sourceId: number;
  wifi(row: WifiRow): void;
  cell(row: CellRow): void;
  skip(): void;
  /** Commits what is pending and marks the import complete, in the format the file turned out to be. */
  end(format: string): PositionSource;
}

/**
 * Same access point, same source: the weighted mean of the sightings (WiGLE lists one row per sighting). Another
 * source: the newer import wins. (Longitudes are averaged as numbers: sightings of one access point are metres apart.)
 */
const UPSERT_WIFI = `
  INSERT INTO geo_wifi (bssid, lat, lon, accuracy_m, weight, source) VALUES (?, ?, ?, ?, ?, ?)
  ON CONFLICT (bssid) DO UPDATE SET
    lat = CASE WHEN source = excluded.source THEN (lat * weight + excluded.lat * excluded.weight) / (weight + excluded.weight) ELSE excluded.lat END,
    lon = CASE WHEN source = excluded.source THEN (lon * weight + excluded.lon * excluded.weight) / (weight + excluded.weight) ELSE excluded.lon END,
    accuracy_m = CASE WHEN source = excluded.source AND accuracy_m IS NOT NULL AND excluded.accuracy_m IS NOT NULL
      THEN (accuracy_m * weight + excluded.accuracy_m * excluded.weight) / (weight + excluded.weight) ELSE excluded.accuracy_m END,
    weight = CASE WHEN source = excluded.source THEN weight + excluded.weight ELSE excluded.weight END,
    source = excluded.source`;

const UPSERT_CELL = `
  INSERT INTO geo_cells (mcc, mnc, lac, cid, radio, lat, lon, accuracy_m, samples, source)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (mcc, mnc, lac, cid) DO UPDATE SET radio = excluded.radio, lat = excluded.lat, lon = excluded.lon,
    accuracy_m = excluded.accuracy_m, samples = excluded.samples, source = excluded.source`;

interface SourceRow {
  id: number;
  path: string;
  format: string;
  imported_ts: number;
  wifi: number;
  cells: number;
  skipped: number;
  complete: number;
}

const sourceOf = (r: SourceRow): PositionSource => ({
  id: r.id,
  path: r.path,
  format: r.format,
  importedTs: r.imported_ts,
  wifi: r.wifi,
  cells: r.cells,
  skipped: r.skipped,
  complete: r.complete === 1,
});

export class StorePositions {
  readonly #db: Database;
  readonly #stmt: Prepare;

  constructor(db: Database) {
    this.#db = db;
    this.#stmt = cachedPrepare(db);
  }

  /**
   * Starts importing `path`: a source row now (format unknown until `end`; a killed import leaves it incomplete),
   * rows in batches as they are given.
   */
  startImport(path: string, nowUs = Date.now() * 1000): PositionImport {
    const db = this.#db;
    const sourceId = Number(
      this.#stmt("INSERT INTO geo_sources (path, format, imported_ts) VALUES (?, '', ?)").run(path, nowUs)
        .lastInsertRowid,
    );
    const wifiSt: Statement = db.prepare(UPSERT_WIFI);
    const cellSt: Statement = db.prepare(UPSERT_CELL);
    const counts = { wifi: 0, cells: 0, skipped: 0 };
    let wifi: WifiRow[] = [];
    let cells: CellRow[] = [];
    const commit = db.transaction(() => {
      for (const r of wifi) wifiSt.run(r.bssid, r.lat, r.lon, r.accuracyM ?? null, r.weight ?? 1, sourceId);
      for (const r of cells) {
        cellSt.run(
          r.mcc,
          r.mnc,
          r.lac,
          r.cid,
          r.radio ?? null,
          r.lat,
          r.lon,
          r.accuracyM ?? null,
          r.samples ?? null,
          sourceId,
        );
      }
      this.#stmt('UPDATE geo_sources SET wifi = ?, cells = ?, skipped = ? WHERE id = ?').run(
        counts.wifi,
        counts.cells,
        counts.skipped,
        sourceId,
      );
      wifi = [];
      cells = [];
    });
    const full = () => wifi.length + cells.length >= IMPORT_BATCH_ROWS;
    return {
      sourceId,
      wifi(row) {
        counts.wifi++;
        wifi.push(row);
        if (full()) commit();
      },
      cell(row) {
        counts.cells++;
        cells.push(row);
        if (full()) commit();
      },
      skip() {
        counts.skipped++;
      },
      end: (format) => {
        commit();
        this.#stmt('UPDATE geo_sources SET complete = 1, format = ? WHERE id = ?').run(format, sourceId);
        return sourceOf(this.#stmt('SELECT * FROM geo_sources WHERE id = ?').get(sourceId) as SourceRow);
      },
    };
  }

  /** The imported files, oldest first. */
  sources(): PositionSource[] {
    return (this.#stmt('SELECT * FROM geo_sources ORDER BY id').all() as SourceRow[]).map(sourceOf);
  }

  /** Deletes the rows one source brought (every source when none is given) and its record; rows deleted. */
  purge(sourceId?: number): number {
    return this.#db.transaction(() => {
      if (sourceId === undefined) {
        const n =
          this.#db.prepare('DELETE FROM geo_wifi').run().changes +
          this.#db.prepare('DELETE FROM geo_cells').run().changes;
        this.#db.prepare('DELETE FROM geo_sources').run();
        return n;
      }
      const n =
        this.#stmt('DELETE FROM geo_wifi WHERE source = ?').run(sourceId).changes +
        this.#stmt('DELETE FROM geo_cells WHERE source = ?').run(sourceId).changes;
      this.#stmt('DELETE FROM geo_sources WHERE id = ?').run(sourceId);
      return n;
    })();
  }

  /** Where the access point with this search key is, if a table has it. */
  wifi(bssid: string): Position | undefined {
    const r = this.#stmt('SELECT lat, lon, accuracy_m FROM geo_wifi WHERE bssid = ?').get(bssid) as
      | { lat: number; lon: number; accuracy_m: number | null }
      | undefined;
    return r && { lat: r.lat, lon: r.lon, accuracyM: r.accuracy_m ?? undefined };
  }

  /**
   * The cells the tables hold in one area (MCC, MNC, LAC or TAC), at most `limit` (the primary key's prefix: one
   * range read): where a cell no table holds may be.
   */
  cellsInArea(k: Omit<CellKey, 'cid'>, limit: number): Position[] {
    const rows = this.#stmt(
      'SELECT lat, lon, accuracy_m FROM geo_cells WHERE mcc = ? AND mnc = ? AND lac = ? LIMIT ?',
    ).all(k.mcc, k.mnc, k.lac, limit) as Array<{ lat: number; lon: number; accuracy_m: number | null }>;
    return rows.map((r) => ({ lat: r.lat, lon: r.lon, accuracyM: r.accuracy_m ?? undefined }));
  }

  /** Where this cell is, if a table has it. */
  cell(k: CellKey): Position | undefined {
    const r = this.#stmt(
      'SELECT lat, lon, accuracy_m FROM geo_cells WHERE mcc = ? AND mnc = ? AND lac = ? AND cid = ?',
    ).get(k.mcc, k.mnc, k.lac, k.cid) as { lat: number; lon: number; accuracy_m: number | null } | undefined;
    return r && { lat: r.lat, lon: r.lon, accuracyM: r.accuracy_m ?? undefined };
  }
}
