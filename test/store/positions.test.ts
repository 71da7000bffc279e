/**
 * The position tables: imports in batches (a batch boundary crossed), a WiGLE access point's sightings averaged within
 * one source while a later source replaces it, lookups by search key and by cell, the source list, purges.
 */
import { describe, expect, it } from 'vitest';
import { IMPORT_BATCH_ROWS } from '../../src/store/positions.ts';
import type { Store } from '../../src/store/types.ts';
import { eachTempStore } from '../helpers/temp-store.ts';

let store: Store;
eachTempStore((s) => {
  store = s;
});

describe('position tables', () => {
  it('imports past a batch, looks cells and access points up, and lists the source', () => {
    const imp = store.positions.startImport('cells.csv', 1_000);
    for (let cid = 1; cid <= IMPORT_BATCH_ROWS + 5; cid++) {
      imp.cell({ mcc: 460, mnc: 0, lac: 4566, cid, lat: 31 + cid / 1e6, lon: 121, accuracyM: 1000, radio: 'GSM' });
    }
    imp.skip();
    // Committed batch by batch: the first batch is readable before the end.
    expect(store.positions.cell({ mcc: 460, mnc: 0, lac: 4566, cid: 7 })).toEqual({
      lat: 31.000007,
      lon: 121,
      accuracyM: 1000,
    });
    expect(store.positions.sources()).toMatchObject([{ path: 'cells.csv', format: '', complete: false }]);
    const src = imp.end('opencellid');
    expect(src).toEqual({
      id: src.id,
      path: 'cells.csv',
      format: 'opencellid',
      importedTs: 1_000,
      wifi: 0,
      cells: IMPORT_BATCH_ROWS + 5,
      skipped: 1,
      complete: true,
    });
    expect(store.positions.cell({ mcc: 460, mnc: 0, lac: 4566, cid: IMPORT_BATCH_ROWS + 5 })?.lat).toBeCloseTo(
      31.010005,
      6,
    );
    expect(store.positions.cell({ mcc: 460, mnc: 1, lac: 4566, cid: 7 })).toBeUndefined();
  });

  it('averages one source’s sightings of an access point by weight; a later source replaces it', () => {
    const a = store.positions.startImport('wigle.csv');
    a.wifi({ bssid: '3c37865d75d4', lat: 40, lon: 116, accuracyM: 10, weight: 3 });
    a.wifi({ bssid: '3c37865d75d4', lat: 41, lon: 117, accuracyM: 20, weight: 1 });
    a.end('wigle');
    expect(store.positions.wifi('3c37865d75d4')).toEqual({ lat: 40.25, lon: 116.25, accuracyM: 12.5 });
    const b = store.positions.startImport('lab.csv');
    b.wifi({ bssid: '3c37865d75d4', lat: 30, lon: 120 });
    b.end('bssid-csv');
    expect(store.positions.wifi('3c37865d75d4')).toEqual({ lat: 30, lon: 120, accuracyM: undefined });
  });

  it('purges one source’s rows, or every table', () => {
    const a = store.positions.startImport('a.csv');
    a.wifi({ bssid: 'aabbccddee01', lat: 1, lon: 1 });
    a.cell({ mcc: 460, mnc: 0, lac: 1, cid: 1, lat: 1, lon: 1 });
    const first = a.end('bssid-csv');
    const b = store.positions.startImport('b.csv');
    b.wifi({ bssid: 'aabbccddee02', lat: 2, lon: 2 });
    b.end('bssid-csv');
    expect(store.positions.purge(first.id)).toBe(2);
    expect(store.positions.wifi('aabbccddee01')).toBeUndefined();
    expect(store.positions.wifi('aabbccddee02')).toBeDefined();
    expect(store.positions.sources().map((s) => s.path)).toEqual(['b.csv']);
    expect(store.positions.purge()).toBe(1);
    expect(store.positions.sources()).toEqual([]);
  });
});
