/**
 * `toyscope geo`: import the real-format sample files (test/data/geo) into a store, list them, purge them; bad
 * files and arguments end in one line and exit 2, and a file that failed leaves nothing behind.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/db.ts';
import { tempDir } from '../../testkit/records.ts';
import { runCliInProcess } from '../helpers/cli-run.ts';

const FILES = join(import.meta.dirname, '../data/geo');
let tmp: ReturnType<typeof tempDir>;
let db: string;

beforeEach(() => {
  tmp = tempDir();
  db = join(tmp.dir, 'toyscope.db');
  openStore(db).close();
});
afterEach(() => tmp.cleanup());

/** Runs `toyscope --db DB …` in this process on a store of its own (the command closes it). */
async function geo(...argv: string[]) {
  const store = openStore(db);
  try {
    return await runCliInProcess(['--db', db, 'geo', ...argv], { store });
  } finally {
    store.close();
  }
}

describe('toyscope geo', () => {
  it('imports OpenCellID, WiGLE and plain files, says what each gave, and lists them', async () => {
    const r = await geo('import', join(FILES, 'opencellid.csv'), join(FILES, 'wigle.csv'), join(FILES, 'bssids.csv'));
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines[0]).toMatch(
      /opencellid\.csv: opencellid, 0 access point rows, 4 cell rows, 1 skipped \(1 latitude '99\.000000' is not one\) \(source 1\)\.$/,
    );
    expect(lines[1]).toMatch(/wigle\.csv: wigle, 3 access point rows, 0 cell rows, 2 skipped .*\(source 2\)\.$/);
    expect(lines[2]).toMatch(/bssids\.csv: bssid-csv, 3 access point rows, 0 cell rows \(source 3\)\.$/);
    const list = await geo();
    expect(list.out).toMatch(/SOURCE +IMPORTED/);
    expect(list.out).toMatch(/1 .*opencellid\.csv +opencellid +0 +4 +1 +complete/);
    const json = JSON.parse((await geo('list', '--json')).out) as { sources: Array<{ format: string; wifi: number }> };
    expect(json.sources.map((s) => [s.format, s.wifi])).toEqual([
      ['opencellid', 0],
      ['wigle', 3],
      ['bssid-csv', 3],
    ]);
    const check = openStore(db);
    expect(check.positions.wifi('30862dc429d0')).toEqual({ lat: 39.90851, lon: 116.39711, accuracyM: 6 });
    check.close();
  });

  it('imports only the MCCs asked for from a gzipped file', async () => {
    const r = await geo('import', '--mcc', '460', join(FILES, 'opencellid-460.csv.gz'));
    expect(r.out).toMatch(/2 cell rows, 1 skipped \(1 other MCC\)/);
  });

  it('fails in one line, exit 2, on a file that is no position table, and keeps nothing of it', async () => {
    const r = await geo('import', join(FILES, 'bssids.csv'), join(FILES, 'not-positions.csv'));
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toEqual([
      expect.stringMatching(/^toyscope: .*not-positions\.csv: not a position table: expected an OpenCellID export/),
    ]);
    const json = JSON.parse((await geo('--json')).out) as { sources: Array<{ path: string }> };
    expect(json.sources.map((s) => s.path)).toEqual([join(FILES, 'bssids.csv')]);
  });

  it('rejects bad arguments in one line', async () => {
    for (const [argv, message] of [
      [['import'], "'geo import' needs at least one FILE"],
      [['import', '--mcc', '46', 'x.csv'], "--mcc: expected 3-digit mobile country codes (460,454), got '46'"],
      [['purge', '--source', 'x', '--yes'], "--source: expected a source id from 'toyscope geo', got 'x'"],
      [['purge', '--source', '9', '--yes'], "no position source 9 ('toyscope geo' lists them)"],
      [['purge'], 'refusing to purge every position table without --yes (not a terminal)'],
      [['locate'], "unknown action 'locate' (list, import or purge)"],
    ] as Array<[string[], string]>) {
      const r = await geo(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err.split('\n')[0], argv.join(' ')).toBe(`toyscope: ${message}`);
    }
  });

  it('purges one source or every table', async () => {
    await geo('import', join(FILES, 'wigle.csv'), join(FILES, 'bssids.csv'));
    expect((await geo('purge', '--source', '1', '--yes')).out).toBe(
      'Deleted 2 position rows (the rows of position source 1).\n',
    );
    expect((await geo('purge', '--yes')).out).toBe('Deleted 3 position rows (every position table).\n');
    expect((await geo()).out).toMatch(/No position tables yet\. Import one with '.*geo import FILE'\./);
  });
});
