import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/db.ts';
import { SCHEMA_VERSION } from '../../src/store/migrations.ts';
import { finding, flowRecord, MAC, T0, tempDir } from '../../testkit/records.ts';

let tmp: ReturnType<typeof tempDir>;
let file: string;
beforeEach(() => {
  tmp = tempDir();
  file = join(tmp.dir, 'toyscope.db');
});
afterEach(() => tmp.cleanup());

describe('openStore', () => {
  it('creates the database and its WAL with mode 0600, at the current schema', () => {
    const store = openStore(file);
    store.writer().flow(flowRecord());
    store.writer().flush();
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(`${file}-wal`).mode & 0o777).toBe(0o600);
    store.close();
    const db = new Database(file, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('refuses a database from a newer schema and leaves it untouched', () => {
    const db = new Database(file);
    db.exec('CREATE TABLE future (x)');
    db.pragma(`user_version = ${SCHEMA_VERSION + 7}`);
    db.close();
    const before = readFileSync(file);
    expect(() => openStore(file)).toThrow(`database schema ${SCHEMA_VERSION + 7} is newer than this toyscope`);
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it('opens read-only: reads work, no writer, an older schema is an error', () => {
    const store = openStore(file);
    store.writer().flow(flowRecord());
    store.writer().finding(finding());
    store.close();
    const ro = openStore(file, { readonly: true });
    expect(ro.countFindings()).toBe(1);
    expect(() => ro.writer()).toThrow(/read-only/);
    ro.close();
    const old = join(tmp.dir, 'old.db');
    const db = new Database(old);
    db.pragma('user_version = 1');
    db.close();
    expect(() => openStore(old, { readonly: true })).toThrow(/older than this toyscope/);
    expect(() => openStore(join(tmp.dir, 'missing.db'), { readonly: true })).toThrow();
  });

  it('does not open a file that is not a database', () => {
    writeFileSync(file, 'not a database, just text that is long enough to have a header '.repeat(4));
    expect(() => openStore(file)).toThrow(/not a database/);
  });

  it('records experiments', () => {
    const store = openStore(file);
    const a = store.startExperiment({ name: 'voice feature on', startTs: T0, notes: 'bear awake' });
    const b = store.startExperiment({ name: 'pairing', startTs: T0 + 10, deviceId: MAC });
    store.endExperiment(a.id, T0 + 5);
    expect(a).toEqual({ id: a.id, name: 'voice feature on', startTs: T0, notes: 'bear awake' });
    expect(store.listExperiments()).toEqual([
      { id: b.id, name: 'pairing', startTs: T0 + 10, deviceId: MAC },
      { id: a.id, name: 'voice feature on', startTs: T0, endTs: T0 + 5, notes: 'bear awake' },
    ]);
    store.close();
    store.close(); // idempotent
  });
});
