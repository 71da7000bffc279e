import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/db.ts';
import { deferFindingIndexes, restoreDeferredIndexes } from '../../src/store/deferred-indexes.ts';
import type { Store } from '../../src/store/types.ts';
import { finding, flowRecord, tempDir } from '../../testkit/records.ts';

let tmp: ReturnType<typeof tempDir>;
let file: string;

beforeEach(() => {
  tmp = tempDir();
  file = join(tmp.dir, 'toyscope.db');
});
afterEach(() => tmp.cleanup());

/** The findings indexes as SQLite holds them: name → CREATE statement. */
function findingIndexes(f: string): Record<string, string> {
  const db = new Database(f, { readonly: true });
  try {
    const rows = db
      .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'findings' AND sql NOT NULL")
      .all() as Array<{ name: string; sql: string }>;
    return Object.fromEntries(rows.map((r) => [r.name, r.sql]));
  } finally {
    db.close();
  }
}

/** Writes `n` findings on one flow. */
function write(store: Store, from: number, n: number): void {
  const w = store.writer();
  w.flow(flowRecord());
  for (let i = from; i < from + n; i++) w.finding(finding({ id: `flow-1/f${i}`, firstTs: i, lastTs: i }));
  w.flush();
}

describe('deferred findings indexes', () => {
  it('drops all but the foreign key index, builds the same ones back, and the rows and counts are unchanged', () => {
    let store = openStore(file);
    store.close();
    const fresh = findingIndexes(file);
    expect(Object.keys(fresh).length).toBeGreaterThan(5);

    store = openStore(file);
    write(store, 0, 3);
    const restore = store.startBulk();
    expect(Object.keys(findingIndexes(file))).toEqual(['findings_flow']);
    write(store, 3, 4); // upserts by id still work without the dropped indexes
    write(store, 0, 1);
    restore();
    expect(findingIndexes(file)).toEqual(fresh);
    expect(store.countFindings()).toBe(7);
    expect(store.countFindingsByDestination().reduce((n, d) => n + d.count, 0)).toBe(7);
    expect(store.pages.findings({}, { limit: 10 }).items).toHaveLength(7);
    store.close();
  });

  it('a process that stops before rebuilding them (kill -9) leaves them to the next open', () => {
    const store = openStore(file);
    const fresh = findingIndexes(file);
    store.startBulk(); // never restored: as if killed
    write(store, 0, 2);
    store.close();
    expect(Object.keys(findingIndexes(file))).toEqual(['findings_flow']);

    const reopened = openStore(file);
    expect(findingIndexes(file)).toEqual(fresh);
    expect(reopened.countFindings()).toBe(2);
    reopened.close();
    const db = new Database(file, { readonly: true });
    expect(db.prepare('SELECT count(*) FROM deferred_indexes').pluck().get()).toBe(0);
    db.close();
  });

  it('keeps them in a store that already holds more findings than it is worth rebuilding for', () => {
    const store = openStore(file);
    write(store, 0, 3);
    store.close();
    const db = new Database(file);
    expect(deferFindingIndexes(db, 2)).toBe(0);
    expect(Object.keys(findingIndexes(file)).length).toBeGreaterThan(5);
    expect(deferFindingIndexes(db, 3)).toBeGreaterThan(5);
    expect(restoreDeferredIndexes(db)).toBeGreaterThan(5);
    expect(restoreDeferredIndexes(db)).toBe(0);
    db.close();
  });

  it('is refused on a read-only store', () => {
    openStore(file).close();
    const ro = openStore(file, { readonly: true });
    expect(() => ro.startBulk()).toThrow(/read-only/);
    ro.close();
  });
});
