/**
 * Opening a toyscope database: creates the file with mode 0600 (it holds children's voices), sets the pragmas,
 * refuses a schema newer than this code, upgrades an older one (migrations.ts) and wires the single writer,
 * the queries, pages, search, timeline, position tables, journal and retention into one `Store`, and fans the writer's commits out to `onCommit`
 * listeners (live updates). No SQL of its own beyond pragmas.
 */
import { closeSync, existsSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { StoreAggregates } from './aggregates.ts';
import { deferFindingUpkeep, restoreDeferredUpkeep } from './deferred-indexes.ts';
import { StoreJournal } from './journal.ts';
import { migrate, SCHEMA_VERSION, schemaVersion } from './migrations.ts';
import { StorePages } from './pages.ts';
import { StorePositions } from './positions.ts';
import { StoreQueries } from './queries.ts';
import { purge } from './retention.ts';
import { StoreSearch } from './search.ts';
import { StoreTimeline } from './timeline.ts';
import type { CaptureRecord, PurgeOptions, PurgeResult, Store, StoreWriter } from './types.ts';
import { SqliteStoreWriter } from './writer.ts';

/** How a store is opened and how its writer batches. */
export interface StoreOptions {
  /** Open for reading only: no writer, no migration (an older schema is an error). */
  readonly?: boolean;
  /** Rows per committed transaction (default 1000). */
  batchRows?: number;
  /** Longest time a written row waits for its commit, in ms (default 200). */
  batchMs?: number;
}

/** Rows per transaction during a bulk write (startBulk): 10× the default, ≈ 20% less CPU per row (bench/store). */
const BULK_BATCH_ROWS = 10_000;

/** Waits this long on a lock held by another connection before SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5000;

/** Creates `file` with mode 0600 unless it exists; SQLite gives its -wal and -shm files the same mode. */
function createPrivate(file: string): void {
  try {
    closeSync(openSync(file, 'wx', 0o600));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
}

/**
 * better-sqlite3's addon where its build puts it. Named by path, it skips the `bindings` package's search (a stack
 * trace and failed requires, ≈ 2 ms at start-up); in another layout the package searches as before.
 */
const ADDON: string | undefined = (() => {
  const file = join(
    dirname(createRequire(import.meta.url).resolve('better-sqlite3/package.json')),
    'build/Release/better_sqlite3.node',
  );
  return existsSync(file) ? file : undefined;
})();

/** Opens (creating and upgrading as needed) the database at `file`. */
export function openStore(file: string, opts: StoreOptions = {}): Store {
  if (!opts.readonly && file !== ':memory:') createPrivate(file);
  const db = new Database(file, {
    readonly: opts.readonly ?? false,
    fileMustExist: opts.readonly ?? false,
    ...(ADDON ? { nativeBinding: ADDON } : {}),
  });
  try {
    // Checked before any pragma that writes, so a newer database is left exactly as it was.
    const version = schemaVersion(db);
    if (version > SCHEMA_VERSION) throw new Error(`database schema ${version} is newer than this toyscope`);
    if (opts.readonly && version < SCHEMA_VERSION) {
      throw new Error(`database schema ${version} is older than this toyscope: open it read-write once to upgrade`);
    }
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.pragma('foreign_keys = ON');
    if (!opts.readonly) {
      db.pragma('journal_mode = WAL');
      // NORMAL in WAL mode: a commit is written to the WAL (write(2), in the OS page cache) before it returns, and
      // only checkpoints fsync. A killed process (SIGKILL, crash) therefore loses nothing committed and never
      // corrupts the file; only a power loss or kernel crash can roll back the last commits, never corrupt.
      db.pragma('synchronous = NORMAL');
      db.pragma('secure_delete = ON'); // purged evidence and values are zeroed, not left in free pages
      migrate(db);
      restoreDeferredUpkeep(db); // dropped by a bulk replay that did not get to rebuild them
    }
    return new SqliteStore(file, db, opts);
  } catch (e) {
    db.close();
    throw e;
  }
}

class SqliteStore implements Store {
  readonly path: string;
  readonly #db: Database.Database;
  readonly #opts: StoreOptions;
  readonly #q: StoreQueries;
  readonly #journal: StoreJournal;
  readonly pages: StorePages;
  readonly aggregates: StoreAggregates;
  readonly search: StoreSearch;
  readonly timeline: StoreTimeline;
  readonly positions: StorePositions;
  #writer: SqliteStoreWriter | undefined;
  #commitListeners: Array<(rev: number) => void> = [];

  constructor(path: string, db: Database.Database, opts: StoreOptions) {
    this.path = path;
    this.#db = db;
    this.#opts = opts;
    this.#q = new StoreQueries(db);
    this.#journal = new StoreJournal(db);
    this.pages = new StorePages(db);
    this.aggregates = new StoreAggregates(db);
    this.search = new StoreSearch(db);
    this.timeline = new StoreTimeline(db);
    this.positions = new StorePositions(db);
  }

  writer(): StoreWriter {
    if (this.#opts.readonly) throw new Error(`store ${this.path} is open read-only`);
    this.#writer ??= new SqliteStoreWriter(this.#db, {
      batchRows: this.#opts.batchRows ?? 1000,
      batchMs: this.#opts.batchMs ?? 200,
      onCommit: (rev) => this.#published(rev),
    });
    return this.#writer;
  }

  /** Commits what the writer holds first, so a capture just written counts. */
  hasCapture(sha256: string): boolean {
    this.#writer?.flush();
    return this.#q.hasCapture(sha256);
  }

  listCaptures = () => this.#q.listCaptures();
  /** Commits what the writer holds first, so a capture just written is found. */
  findCapture(sha256: string): CaptureRecord | undefined {
    this.#writer?.flush();
    return this.#q.findCapture(sha256);
  }
  listDevices = () => this.#q.listDevices();
  listDestinations: Store['listDestinations'] = (deviceId) => this.#q.listDestinations(deviceId);
  listFlows: Store['listFlows'] = (q) => this.#q.listFlows(q);
  listCertChecks: Store['listCertChecks'] = (q) => this.#q.listCertChecks(q);
  iterateFlows: Store['iterateFlows'] = (q) => this.#q.iterateFlows(q);
  summarizeFlows: Store['summarizeFlows'] = (ids, max) => this.#q.summarizeFlows(ids, max);
  listMessages: Store['listMessages'] = (flowId, limit) => this.#q.listMessages(flowId, limit);
  listExchanges: Store['listExchanges'] = (q) => this.#q.listExchanges(q);
  iterateExchanges: Store['iterateExchanges'] = (q) => this.#q.iterateExchanges(q);
  getFlow: Store['getFlow'] = (id) => this.#q.getFlow(id);
  getFinding: Store['getFinding'] = (id) => this.#q.getFinding(id);
  listFindings: Store['listFindings'] = (q) => this.#q.listFindings(q);
  countFindings: Store['countFindings'] = (q) => this.#q.countFindings(q);
  countFindingKinds: Store['countFindingKinds'] = (q) => this.#q.countFindingKinds(q);
  countFindingsByDestination: Store['countFindingsByDestination'] = (deviceId) =>
    this.#q.countFindingsByDestination(deviceId);
  listViolations: Store['listViolations'] = (q) => this.#q.listViolations(q);
  countViolations: Store['countViolations'] = (q) => this.#q.countViolations(q);
  readEvidence: Store['readEvidence'] = (id) => this.#q.readEvidence(id);
  evidenceInfo: Store['evidenceInfo'] = (id) => this.#q.evidenceInfo(id);
  readEvidenceRange: Store['readEvidenceRange'] = (id, start, end) => this.#q.readEvidenceRange(id, start, end);
  startExperiment: Store['startExperiment'] = (e) => this.#journal.startExperiment(e);
  endExperiment: Store['endExperiment'] = (id, endTs) => this.#journal.endExperiment(id, endTs);
  listExperiments: Store['listExperiments'] = () => this.#journal.listExperiments();
  getExperiment: Store['getExperiment'] = (id) => this.#journal.getExperiment(id);
  logReveal: Store['logReveal'] = (entry) => this.#journal.logReveal(entry);
  listReveals: Store['listReveals'] = (limit) => this.#journal.listReveals(limit);

  onCommit(fn: (rev: number) => void): () => void {
    this.#commitListeners = [...this.#commitListeners, fn];
    return () => {
      this.#commitListeners = this.#commitListeners.filter((f) => f !== fn);
    };
  }

  /** A listener that throws must not fail the commit that already happened, nor starve the others. */
  #published(rev: number): void {
    for (const fn of this.#commitListeners) {
      try {
        fn(rev);
      } catch {
        // the listener's own failure; the data is committed
      }
    }
  }

  dataVersion(): number {
    return this.#db.pragma('data_version', { simple: true }) as number;
  }

  /** Commits what the writer holds first, so the purge covers it. */
  purge(opts: PurgeOptions): PurgeResult {
    this.#writer?.flush();
    return purge(this.#db, opts);
  }

  /** Commits what the writer holds first: its rows are indexed as they were written. */
  startBulk(): () => void {
    if (this.#opts.readonly) throw new Error(`store ${this.path} is open read-only`);
    const writer = this.writer() as SqliteStoreWriter;
    writer.flush();
    const ownBatch = writer.raiseBatch(BULK_BATCH_ROWS);
    const deferred = deferFindingUpkeep(this.#db) > 0;
    return () => {
      writer.flush();
      ownBatch();
      if (deferred) restoreDeferredUpkeep(this.#db);
    };
  }

  close(): void {
    if (!this.#db.open) return;
    try {
      this.#writer?.close();
      if (!this.#opts.readonly) this.#db.pragma('optimize'); // refreshes planner statistics where they drifted
    } finally {
      this.#db.close();
    }
  }
}
