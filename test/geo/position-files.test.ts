/**
 * The position-file readers on small files in the real formats (test/data/geo: an OpenCellID export with its
 * header, a per-country OpenCellID file gzipped and without one, a WiGLE 1.4 export, a plain bssid,lat,lon table)
 * and on files that are not position tables, which must fail in one line.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.ts';
import { bssidKey, csvFields, type PositionLine, readPositionFile } from '../../src/geo/position-files.ts';

const FILES = join(import.meta.dirname, '../data/geo');

async function read(name: string, mcc?: number[]) {
  const rows: PositionLine[] = [];
  const progress: number[] = [];
  const summary = await readPositionFile(join(FILES, name), (r) => rows.push(r), {
    mcc: mcc && new Set(mcc),
    progress: (n) => progress.push(n),
  });
  return { summary, rows, progress };
}

const wifi = (rows: PositionLine[]) => rows.flatMap((r) => ('wifi' in r ? [r.wifi] : []));
const cells = (rows: PositionLine[]) => rows.flatMap((r) => ('cell' in r ? [r.cell] : []));

describe('position files', () => {
  it('reads an OpenCellID export: cells keyed by MCC, MNC, area, cell; range as accuracy; a bad latitude skipped', async () => {
    const { summary, rows, progress } = await read('opencellid.csv');
    expect(summary.format).toBe('opencellid');
    expect(cells(rows).map((c) => [c.mcc, c.mnc, c.lac, c.cid, c.radio])).toEqual([
      [460, 0, 4566, 6758, 'GSM'],
      [460, 0, 4566, 6759, 'GSM'],
      [460, 0, 415, 42, 'LTE'],
      [262, 2, 801, 211250, 'UMTS'],
    ]);
    expect(cells(rows)[2]).toMatchObject({ lat: 39.908692, lon: 116.397477, accuracyM: 800, samples: 31 });
    expect([...summary.skipped]).toEqual([["latitude '99.000000' is not one", 1]]);
    expect(progress.at(-1)).toBe(468); // the file's size: progress ends at 100 %
  });

  it('reads a gzipped per-country OpenCellID file without a header, keeping only the MCCs asked for', async () => {
    const all = await read('opencellid-460.csv.gz');
    expect(cells(all.rows).map((c) => c.mcc)).toEqual([460, 460, 454]);
    const china = await read('opencellid-460.csv.gz', [460]);
    expect(cells(china.rows).map((c) => c.cid)).toEqual([10443, 175241985]);
    expect([...china.summary.skipped]).toEqual([['other MCC', 1]]);
  });

  it('reads a WiGLE export: Wi-Fi sightings only, weighted by signal, a quoted SSID with a comma', async () => {
    const { summary, rows } = await read('wigle.csv');
    expect(summary.format).toBe('wigle');
    const w = wifi(rows);
    expect(w.map((r) => r.bssid)).toEqual(['3c37865d75d4', '3c37865d75d4', '30862dc429d0']);
    expect(w[0]).toMatchObject({ lat: 39.90881, lon: 116.39761, accuracyM: 8 });
    // −45 dBm counts 100 times as much as −85 dBm.
    expect(w[0]!.weight! / w[1]!.weight!).toBeCloseTo(100, 6);
    expect([...summary.skipped]).toEqual([
      ['BLE type (Wi-Fi rows only)', 1],
      ['GSM type (Wi-Fi rows only)', 1],
    ]);
  });

  it('reads a plain bssid,lat,lon[,accuracy_m] table in any MAC notation', async () => {
    const { summary, rows } = await read('bssids.csv');
    expect(summary.format).toBe('bssid-csv');
    expect(wifi(rows)).toEqual([
      { bssid: 'e894f6680c2a', lat: 31.230502, lon: 121.473802, accuracyM: 25 },
      { bssid: '5c63bfa4bf56', lat: 31.230911, lon: 121.474411, accuracyM: undefined },
      { bssid: 'd8150dc3a011', lat: 31.231, lon: 121.475, accuracyM: 40 },
    ]);
  });

  it('fails in one line on a file that is no position table, or whose rows hold no position', async () => {
    const cases: Array<[string, RegExp]> = [
      ['not-positions.csv', /not-positions\.csv: not a position table: expected an OpenCellID export/],
      ['wigle-no-header.csv', /wigle-no-header\.csv: WiGLE export without its column header/],
      ['wigle-bad-header.csv', /line 2: WiGLE header lacks RSSI, CurrentLatitude, CurrentLongitude, AccuracyMeters/],
      ['no-positions.csv', /no position in the file \(line 2: latitude 'north' is not one\)/],
      ['empty.csv', /empty\.csv: empty file/],
      ['absent.csv', /cannot read .*absent\.csv: no such file or directory/],
    ];
    for (const [name, message] of cases) {
      const err = await read(name).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, name).toBeInstanceOf(InputError);
      expect((err as Error).message, name).toMatch(message);
      expect((err as Error).message, name).not.toContain('\n');
    }
  });

  it('splits CSV fields with RFC 4180 quotes, and keys BSSIDs as the value search does', () => {
    expect(csvFields('a,"b, c","say ""hi""",')).toEqual(['a', 'b, c', 'say "hi"', '']);
    expect(bssidKey('3C-37-86-5D-75-D4')).toBe('3c37865d75d4');
    expect(bssidKey('3c37.865d.75d4')).toBe('3c37865d75d4');
    expect(bssidKey('ff:ff:ff:ff:ff:ff')).toBeUndefined();
    expect(bssidKey('3c:37:86:5d:75')).toBeUndefined();
  });
});
