/**
 * A Wi-Fi scan's and a cell tower's places in the API: the finding's page gets counts and the MCC's country only;
 * the located access points, towers and the estimate come with a reveal (logged), BSSIDs included; nothing placed
 * when the tables hold none of them, or once the values were purged.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { finding } from '../../testkit/records.ts';
import { type Harness, HOST, harness } from './helpers.ts';

let h: Harness;
const BSSIDS = '3c:37:86:5d:75:d4 30:86:2d:c4:29:d0 3c:37:86:5d:75:d5';

beforeEach(async () => {
  h = await harness();
  const w = h.store.writer();
  w.finding(
    finding({
      id: 'c1/2/f1',
      flowId: 'c1/2',
      category: 'location',
      subtype: 'wifi-scan',
      evidence: {
        excerpt: '3c:•••:d4|30:•••:d0|3c:•••:d5',
        value: BSSIDS.replaceAll(' ', '|'),
        detail: { bssids: BSSIDS },
      },
      detail: { accessPoints: 3, bssids: '3c:•••:d5' },
    }),
  );
  w.finding(
    finding({
      id: 'c1/2/f2',
      flowId: 'c1/2',
      category: 'location',
      subtype: 'cell-tower',
      evidence: { excerpt: '46•••42', value: '460,0,415,42' },
      detail: { towers: 1 },
    }),
  );
  w.finding(
    finding({
      id: 'c1/2/f3',
      flowId: 'c1/2',
      category: 'location',
      subtype: 'cell-tower',
      evidence: { excerpt: '46•••42', value: '460,0,415,42', detail: { cells: '460,0,415,42 460,0,415,43 262,1,7,9' } },
      detail: { towers: 3 },
    }),
  );
  w.finding(
    finding({
      id: 'c1/2/f4',
      flowId: 'c1/2',
      category: 'location',
      subtype: 'cell-tower',
      evidence: { excerpt: '46•••99', value: '460,0,415,99', detail: { cells: '460,0,415,99 460,0,999,1' } },
      detail: { towers: 2 },
    }),
  );
  w.flush();
});
afterEach(() => h.close());

const get = (url: string) => h.app.inject({ method: 'GET', url, headers: { host: HOST, cookie: h.cookie } });
const reveal = (id: string) =>
  h.app.inject({
    method: 'POST',
    url: `/api/findings/${encodeURIComponent(id)}/reveal`,
    headers: { host: HOST, cookie: h.cookie },
  });

function importAccessPoints() {
  const imp = h.store.positions.startImport('lab.csv');
  imp.wifi({ bssid: '3c37865d75d4', lat: 39.9088, lon: 116.3976, accuracyM: 10 });
  imp.wifi({ bssid: '30862dc429d0', lat: 39.9086, lon: 116.3972, accuracyM: 10 });
  imp.cell({ mcc: 460, mnc: 0, lac: 415, cid: 42, lat: 39.9087, lon: 116.3975, accuracyM: 800 });
  imp.end('bssid-csv');
}

describe('places of scan findings', () => {
  it('says how many access points the tables place, and nothing personal, before a reveal', async () => {
    let res = await get('/api/findings/c1%2F2%2Ff1');
    expect(res.json().places).toEqual({ kind: 'access-point', counted: 3, kept: 3, located: 0, countries: [] });
    importAccessPoints();
    res = await get('/api/findings/c1%2F2%2Ff1');
    expect(res.json().places).toEqual({ kind: 'access-point', counted: 3, kept: 3, located: 2, countries: [] });
    expect(res.body).not.toMatch(/3c:37:86|39\.908|116\.397/);
  });

  it('gives the located access points and the estimate with a reveal, which is logged', async () => {
    importAccessPoints();
    const res = await reveal('c1/2/f1');
    const places = res.json().places;
    expect(places.points).toEqual([
      { kind: 'access-point', label: '3c:37:86:5d:75:d4', lat: 39.9088, lon: 116.3976, accuracyM: 10 },
      { kind: 'access-point', label: '30:86:2d:c4:29:d0', lat: 39.9086, lon: 116.3972, accuracyM: 10 },
    ]);
    expect(places.estimate.lat).toBeCloseTo(39.9087, 6);
    expect(places.estimate.lon).toBeCloseTo(116.3974, 6);
    expect(places.estimate.accuracyM).toBeGreaterThan(10);
    expect(places.estimate.accuracyM).toBeLessThan(40);
    expect(h.store.listReveals().map((r) => r.findingId)).toContain('c1/2/f1');
  });

  it('names a tower’s country by its MCC even when no table holds the cell', async () => {
    const china = { mcc: '460', alpha2: 'CN', numeric: '156', name: 'China' };
    expect((await get('/api/findings/c1%2F2%2Ff2')).json().places).toEqual({
      kind: 'cell',
      counted: 1,
      kept: 1,
      located: 0,
      countries: [china],
    });
    importAccessPoints();
    const places = (await reveal('c1/2/f2')).json().places;
    expect(places.points).toEqual([
      { kind: 'cell', label: '460,0,415,42', lat: 39.9087, lon: 116.3975, accuracyM: 800 },
    ]);
    expect(places.estimate).toEqual({ lat: 39.9087, lon: expect.closeTo(116.3975, 9), accuracyM: 800 });
  });

  it('places every tower a finding kept, and names each MCC’s country', async () => {
    importAccessPoints();
    const imp = h.store.positions.startImport('more.csv');
    imp.cell({ mcc: 460, mnc: 0, lac: 415, cid: 43, lat: 39.9187, lon: 116.3875, accuracyM: 900 });
    imp.end('opencellid');
    const summary = (await get('/api/findings/c1%2F2%2Ff3')).json().places;
    expect(summary).toMatchObject({ kind: 'cell', counted: 3, kept: 3, located: 2 });
    expect(summary.countries.map((c: { alpha2: string }) => c.alpha2)).toEqual(['CN', 'DE']);
    const places = (await reveal('c1/2/f3')).json().places;
    expect(places.points.map((p: { label: string }) => p.label)).toEqual(['460,0,415,42', '460,0,415,43']);
  });

  it('places a tower no table holds by the known cells of its area, and says so', async () => {
    importAccessPoints();
    const imp = h.store.positions.startImport('more.csv');
    imp.cell({ mcc: 460, mnc: 0, lac: 415, cid: 43, lat: 39.9187, lon: 116.3875, accuracyM: 900 });
    imp.cell({ mcc: 460, mnc: 1, lac: 415, cid: 99, lat: 31.23, lon: 121.47, accuracyM: 500 }); // another network
    imp.end('opencellid');
    const summary = (await get('/api/findings/c1%2F2%2Ff4')).json().places;
    expect(summary).toMatchObject({ kind: 'cell', counted: 2, kept: 2, located: 0, byArea: 1 });
    expect(JSON.stringify(summary)).not.toMatch(/39\.9|116\.3/);
    const places = (await reveal('c1/2/f4')).json().places;
    expect(places.points).toEqual([
      {
        kind: 'cell',
        label: '460,0,415,99',
        lat: expect.any(Number),
        lon: expect.any(Number),
        accuracyM: 3000,
        areaCells: 2,
      },
    ]);
    // Between the two known cells of LAC 415 on network 460/0, nearer the more accurate one.
    const [p] = places.points;
    expect(p.lat).toBeGreaterThan(39.9087);
    expect(p.lat).toBeLessThan(39.9137);
    expect(p.lon).toBeGreaterThan(116.3925);
    expect(p.lon).toBeLessThan(116.3975);
    // The exactly placed towers of f3 stay exact.
    expect((await get('/api/findings/c1%2F2%2Ff3')).json().places).toMatchObject({ located: 2 });
    expect((await get('/api/findings/c1%2F2%2Ff3')).json().places.byArea).toBeUndefined();
  });

  it('keeps nothing to look up once the values were purged', async () => {
    importAccessPoints();
    h.store.purge({});
    expect((await get('/api/findings/c1%2F2%2Ff1')).json().places).toEqual({
      kind: 'access-point',
      counted: 3,
      kept: 0,
      located: 0,
      countries: [],
    });
  });

  it('has no places for other findings', async () => {
    expect((await get('/api/findings/c1%2F2%2Ff0')).json().places).toBeUndefined();
  });
});
