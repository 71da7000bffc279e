import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/db.ts';
import { deferFindingUpkeep, restoreDeferredUpkeep } from '../../src/store/deferred-indexes.ts';
import type { Store } from '../../src/store/types.ts';
import { finding, flowRecord, tempDir } from '../../testkit/records.ts';
import { summaryTables } from '../helpers/summary-tables.ts';

let tmp: ReturnType<typeof tempDir>;
let file: string;

beforeEach(() => {
  tmp = tempDir();
  file = join(tmp.dir, 'toyscope.db');
});
afterEach(() => tmp.cleanup());

/** The findings indexes or triggers as SQLite holds them: name → CREATE statement. */
function findingObjects(f: string, type: 'index' | 'trigger'): Record<string, string> {
  const db = new Database(f, { readonly: true });
  try {
    const rows = db
      .prepare("SELECT name, sql FROM sqlite_master WHERE type = ? AND tbl_name = 'findings' AND sql NOT NULL")
      .all(type) as Array<{ name: string; sql: string }>;
    return Object.fromEntries(rows.map((r) => [r.name, r.sql]));
  } finally {
    db.close();
  }
}
const findingIndexes = (f: string) => findingObjects(f, 'index');
const findingTriggers = (f: string) => findingObjects(f, 'trigger');

/**
 * A replay's writes into `store`, in three steps: findings before the bulk (some to be purged), findings during it
 * (two devices and hosts, minutes apart, values shared, one updated in place as a stream goes on), and a purge of
 * the first flow in between, as a replay replacing an interrupted run does.
 */
const MINUTE = 60_000_000;
function writeBefore(store: Store): void {
  const w = store.writer();
  w.flow(flowRecord({ id: 'old', captureId: 'b'.repeat(64) }));
  const seen = { excerpt: '••', value: 'serial-0' }; // seen again during the bulk: its first seen outlives the purge
  for (let i = 0; i < 3; i++) {
    w.finding(finding({ id: `old/f${i}`, flowId: 'old', firstTs: i * MINUTE, lastTs: i * MINUTE, evidence: seen }));
  }
  w.flush();
}
function writeDuring(store: Store): void {
  const w = store.writer();
  w.flow(flowRecord());
  w.flow(
    flowRecord({
      id: 'flow-2',
      deviceId: '127.0.0.9',
      destination: { host: 'log.example', etld1: 'example', thirdParty: true },
    }),
  );
  for (let i = 0; i < 40; i++) {
    const two = i % 3 === 0;
    w.finding(
      finding({
        id: `${two ? 'flow-2' : 'flow-1'}/f${i}`,
        flowId: two ? 'flow-2' : 'flow-1',
        ...(two
          ? { deviceId: '127.0.0.9', destination: { host: 'log.example', etld1: 'example', thirdParty: true } }
          : {}),
        category: i % 4 === 0 ? 'identifiers' : 'voice',
        firstTs: 5 * MINUTE + i * 7_000_000,
        lastTs: 5 * MINUTE + i * 7_000_000,
        evidence: { excerpt: '••', value: `serial-${i % 5}` },
        final: i !== 1,
      }),
    );
  }
  store.purge({ captureId: 'b'.repeat(64), everything: true });
  w.finding(
    finding({
      id: 'flow-1/f1',
      firstTs: 5 * MINUTE + 7_000_000,
      lastTs: 9 * MINUTE,
      evidence: { excerpt: '••', value: 'serial-1' },
    }),
  );
  w.flush();
}

/** The same writes through the triggers, into a store of their own; its path. */
function throughTriggers(): string {
  const kept = join(tmp.dir, 'kept.db');
  const store = openStore(kept);
  writeBefore(store);
  writeDuring(store);
  store.close();
  return kept;
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
    expect(deferFindingUpkeep(db, 2)).toBe(0);
    expect(Object.keys(findingIndexes(file)).length).toBeGreaterThan(5);
    expect(deferFindingUpkeep(db, 3)).toBeGreaterThan(5);
    expect(restoreDeferredUpkeep(db)).toBeGreaterThan(5);
    expect(restoreDeferredUpkeep(db)).toBe(0);
    db.close();
  });

  it('drops the summary triggers and rebuilds their tables as the triggers would have kept them', () => {
    const kept = throughTriggers();
    const store = openStore(file);
    const triggers = findingTriggers(file);
    writeBefore(store);
    const restore = store.startBulk();
    expect(Object.keys(findingTriggers(file))).toEqual([]);
    writeDuring(store);
    restore();
    expect(findingTriggers(file)).toEqual(triggers);
    store.close();
    expect(summaryTables(file)).toEqual(summaryTables(kept));
    expect(summaryTables(file).values.length).toBeGreaterThan(5);
  });

  it('a killed bulk write leaves the next open to rebuild the summaries and recreate the triggers', () => {
    const kept = throughTriggers();
    const store = openStore(file);
    const triggers = findingTriggers(file);
    writeBefore(store);
    store.startBulk(); // never restored: as if killed
    writeDuring(store);
    store.close();
    expect(Object.keys(findingTriggers(file))).toEqual([]);

    openStore(file).close();
    expect(findingTriggers(file)).toEqual(triggers);
    expect(summaryTables(file)).toEqual(summaryTables(kept));
  });

  it('is refused on a read-only store', () => {
    openStore(file).close();
    const ro = openStore(file, { readonly: true });
    expect(() => ro.startBulk()).toThrow(/read-only/);
    ro.close();
  });
});
