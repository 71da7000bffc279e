/// <reference lib="dom" />
/**
 * A Wi-Fi scan and a cell tower on the finding page's offline map, in Debian's chromium (testkit/browser.ts): with
 * no position table the page says so and how to import one; after `toyscope geo import` of a plain table holding the
 * scan's access points (test/data/geo/bssids.csv, as loc-amap-wifi sends them) it says they can be placed and, once
 * revealed (a logged action), draws each where the table puts it, with the estimate among them; a cell tower's MCC
 * highlights its country without any table, and a tower no table holds is placed by the known cells of its area.
 * Waits are bounded; nothing here is timed.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { findingUrl, findingWhere } from '../../testkit/browser.ts';
import { browserSuite } from './browser-suite.ts';

const ROOT = join(import.meta.dirname, '../..');
const WAIT = { timeout: 60_000 };
const run = promisify(execFile);
/** The AMap scan's access points as bssids.csv places them: BSSID → [lon, lat]. */
const PLACED: Record<string, [number, number]> = {
  'e8:94:f6:68:0c:2a': [121.473802, 31.230502],
  '5c:63:bf:a4:bf:56': [121.474411, 31.230911],
  'd8:15:0d:c3:a0:11': [121.475, 31.231],
};
const suite = browserSuite((site) => site.replay('loc-amap-wifi'));

describe('scan findings on the map', () => {
  it('says when no table places a scan, then draws the access points a table places, once revealed', async () => {
    const { site, s } = suite;
    const f = findingWhere(site, (x) => x.subtype === 'wifi-scan' && x.destination.host === 'apilocate.amap.com');
    await s.page.goto(findingUrl(site, f.id));
    await s.page.waitForSelector('#map[data-ready="true"]', WAIT);
    const note = s.page.locator('#places-note');
    expect(await note.textContent()).toBe(
      "3 access points, none in the lab's position tables — import one with toyscope geo import",
    );
    await run(
      process.execPath,
      [
        join(ROOT, 'bin', 'toyscope.js'),
        'geo',
        'import',
        '--data-dir',
        site.dir,
        join(ROOT, 'test/data/geo/bssids.csv'),
      ],
      { timeout: 120_000 },
    );
    await s.page.reload();
    await note.filter({ hasText: "3 / 3 access points are in the lab's position tables" }).waitFor(WAIT);
    expect(await s.page.locator('#map circle.place').count()).toBe(0); // positions only with a reveal
    await s.page.click('#reveal');
    await s.page.waitForSelector('#map-estimate', WAIT);
    const places = await s.page.locator('#map circle.place').evaluateAll((cs) =>
      cs.map((c) => ({
        label: c.querySelector('title')?.textContent,
        lonlat: c.getAttribute('data-lonlat')!.split(',').map(Number),
        x: Number(c.getAttribute('cx')),
        y: Number(c.getAttribute('cy')),
      })),
    );
    expect(Object.fromEntries(places.map((p) => [p.label, p.lonlat]))).toEqual(PLACED);
    // Zoomed to them: inside the map, apart from each other, the estimate among them.
    for (const p of places) {
      expect(p.x).toBeGreaterThan(0);
      expect(p.x).toBeLessThan(640);
      expect(p.y).toBeGreaterThan(0);
      expect(p.y).toBeLessThan(330);
    }
    expect(Math.max(...places.map((p) => p.x)) - Math.min(...places.map((p) => p.x))).toBeGreaterThan(5);
    const [lon, lat] = (await s.page.locator('#map-estimate').getAttribute('data-lonlat'))!.split(',').map(Number);
    expect(lon).toBeGreaterThan(121.4738);
    expect(lon).toBeLessThan(121.475);
    expect(lat).toBeGreaterThan(31.2305);
    expect(lat).toBeLessThan(31.231);
    expect(await note.textContent()).toMatch(
      /^3 \/ 3 access points placed from the lab’s position tables · estimate ±\d+ m$/,
    );
    expect(site.store.listReveals().map((r) => r.findingId)).toContain(f.id);
  }, 180_000);

  it('highlights the country of a cell tower’s MCC when no table holds the cell', async () => {
    const { site, s } = suite;
    const f = findingWhere(site, (x) => x.subtype === 'cell-tower' && x.destination.host === 'www.googleapis.com');
    await s.page.goto(findingUrl(site, f.id));
    await s.page.locator('#places-countries', { hasText: 'MCC 460: China' }).waitFor(WAIT);
    await s.page.waitForSelector('#map[data-ready="true"]', WAIT);
    expect(
      await s.page.locator('#map path.country.highlight').evaluateAll((ps) => ps.map((p) => p.getAttribute('data-id'))),
    ).toEqual(['156']);
    expect(await s.page.locator('#places-note').textContent()).toMatch(
      /^1 cell tower, none in the lab's position tables/,
    );
  }, 120_000);

  it('places a tower no table holds by the known cells of its area, once revealed', async () => {
    const { site, s } = suite;
    const f = findingWhere(site, (x) => x.subtype === 'cell-tower' && x.destination.host === 'www.googleapis.com');
    // Two other cells of the tower's area (same MCC, MNC, LAC) in an OpenCellID export; the tower itself in none.
    const [mcc, mnc, lac, cid] = (f.evidence.value ?? '').split(',').map(Number) as [number, number, number, number];
    const dir = mkdtempSync(join(tmpdir(), 'toyscope-area-'));
    const file = join(dir, 'area.csv');
    writeFileSync(
      file,
      [
        'radio,mcc,net,area,cell,unit,lon,lat,range,samples,changeable,created,updated,averageSignal',
        `LTE,${mcc},${mnc},${lac},${cid + 1},,121.4700,31.2300,1200,4,1,1459692062,1553505291,0`,
        `LTE,${mcc},${mnc},${lac},${cid + 2},,121.4800,31.2400,1200,4,1,1459692062,1553505291,0`,
        '',
      ].join('\n'),
    );
    const cli = join(ROOT, 'bin', 'toyscope.js');
    await run(process.execPath, [cli, 'geo', 'import', '--data-dir', site.dir, file], { timeout: 120_000 });
    await s.page.goto(findingUrl(site, f.id));
    await s.page.reload(); // the previous test left the page on this finding: a goto to it changes nothing
    const note = s.page.locator('#places-note');
    await note
      .filter({ hasText: '1 cell tower: 1 not in the tables, placed by the known cells of their area' })
      .waitFor(WAIT);
    expect(await s.page.locator('#map circle.place').count()).toBe(0); // positions only with a reveal
    await s.page.locator('#reveal').click();
    const area = s.page.locator('#map circle.place.area');
    await area.waitFor(WAIT);
    expect(await area.locator('title').textContent()).toBe(`${mcc},${mnc},${lac},${cid} (area of 2 known cells)`);
    const [lon, lat] = (await area.getAttribute('data-lonlat'))!.split(',').map(Number);
    expect(lon).toBeCloseTo(121.475, 3);
    expect(lat).toBeCloseTo(31.235, 3);
  }, 180_000);

  it('shows captured values as text and makes no request outside the dashboard’s origin', () => {
    const { site, s, errorsBefore } = suite;
    expect(s.errors.slice(errorsBefore)).toEqual([]);
    expect(s.dialogs).toEqual([]);
    expect(s.requests.filter((u) => !u.startsWith(`${site.origin}/`))).toEqual([]);
  });
});
