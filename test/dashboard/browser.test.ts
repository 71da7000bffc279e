/// <reference lib="dom" />
/**
 * The dashboard's pages in real Chromium (testkit/browser.ts): log in with the printed URL; a replay run
 * beside the open page shows up live; a voice clip's audio element loads with the clip's duration; a face photo
 * shows the detector's boxes where it put them; a revealed location lands on the offline map where d3-geo puts it;
 * the hostile-markup fixture's HTML, SVG and script show as text and never run; the overview's timeline draws its
 * series and follows a replay; a value searched in another notation finds its findings and destinations, masked;
 * and no request leaves the dashboard's origin. Waits are bounded (a loaded machine is slow, never wrong); nothing here is timed.
 */
import { geoEqualEarth } from 'd3-geo';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DashboardSite,
  findingUrl,
  findingWhere,
  launchChromium,
  logIn,
  type Session,
  startSite,
} from '../../testkit/browser.ts';
import { finding, flowRecord } from '../../testkit/records.ts';

const WAIT = { timeout: 60_000 };
const READY = '#findings-list[data-ready="true"] tbody tr';
/** A device with more findings than one page holds (written through the store's writer, as the proxy writes). */
const MANY = 'aa:bb:cc:00:00:99';
const T_MANY = 1_717_200_000_000_000;
let browser: Browser;
let site: DashboardSite;
let s: Session;

beforeAll(async () => {
  browser = await launchChromium();
  site = await startSite();
  s = await logIn(browser, site);
}, 120_000);

afterAll(async () => {
  await s?.context.close();
  await browser?.close();
  await site?.close();
});

describe('dashboard pages in Chromium', () => {
  it('logs in from the printed URL and drops the token from the address bar', async () => {
    expect(s.page.url()).toBe(`${site.origin}/`);
    expect(await s.page.locator('header.top nav a').count()).toBeGreaterThanOrEqual(5);
  });

  it('shows a replayed fixture’s findings live on the open overview', async () => {
    await s.page.goto(`${site.origin}/#/overview`);
    await s.page.waitForSelector('#live.live', WAIT);
    await site.replay('curl-multipart');
    // curl-multipart: a child's nickname and age from 127.0.0.2 to ai.xiaoyu-toys.com; the page is not reloaded.
    const loads = s.requests.filter((u) => u === `${site.origin}/`).length;
    await s.page.locator('#latest tr', { hasText: 'child-profile/name' }).first().waitFor(WAIT);
    await s.page.locator('#devices tbody tr', { hasText: '127.0.0.2' }).first().waitFor(WAIT);
    await s.page.locator('#matrix tbody tr', { hasText: 'ai.xiaoyu-toys.com' }).first().waitFor(WAIT);
    expect(s.requests.filter((u) => u === `${site.origin}/`).length).toBe(loads);
  }, 120_000);

  it('plays voice clips: the audio element loads and reports the clip’s duration', async () => {
    await site.replay('voice-http-containers');
    await site.replay('voice-raw-pcm');
    const clips = site.store
      .listFindings({ limit: 1000 })
      .filter(
        (f) => f.category === 'voice' && f.evidence.evidenceId && ['wav', 'opus', 'mp3', 'raw-pcm'].includes(f.subtype),
      );
    expect(new Set(clips.map((f) => f.subtype))).toEqual(new Set(['wav', 'opus', 'mp3', 'raw-pcm']));
    for (const f of clips) {
      await s.page.goto(findingUrl(site, f.id));
      // A child's voice is personal: no player and no request for the clip before the logged reveal.
      await s.page.locator('#evidence-hidden').waitFor(WAIT);
      expect(await s.page.locator('audio').count()).toBe(0);
      await s.page.click('#reveal');
      const audio = s.page.locator('audio#voice');
      await audio.waitFor(WAIT);
      const duration = await audio.evaluate(
        (a: HTMLAudioElement) =>
          new Promise<number>((resolve, reject) => {
            if (a.readyState >= 1) resolve(a.duration);
            a.addEventListener('loadedmetadata', () => resolve(a.duration));
            a.addEventListener('error', () => reject(new Error(`media error ${a.error?.code}`)));
          }),
      );
      const expected = Number(f.detail?.durationMs) / 1000;
      expect(Number.isFinite(expected), `${f.subtype} has durationMs`).toBe(true);
      expect(Math.abs(duration - expected), `${f.subtype}: ${duration} s vs ${expected} s`).toBeLessThan(0.1);
    }
  }, 180_000);

  it('draws the face detector’s boxes where it put them on the photo', async () => {
    await site.replay('child-photo-profile');
    const f = findingWhere(site, (x) => x.category === 'face' && x.subtype === 'face');
    const asked = s.requests.length;
    await s.page.goto(findingUrl(site, f.id));
    await s.page.locator('#evidence-hidden').waitFor(WAIT);
    expect(await s.page.locator('#photo').count()).toBe(0);
    expect(s.requests.slice(asked).filter((u) => u.includes('/api/evidence/'))).toEqual([]);
    await s.page.click('#reveal');
    const img = s.page.locator('#photo img');
    await img.waitFor(WAIT);
    await s.page.waitForFunction(
      () => (document.querySelector('#photo img') as HTMLImageElement)?.complete,
      null,
      WAIT,
    );
    const boxes = JSON.parse(String(f.detail?.boxes)) as number[][];
    expect(boxes.length).toBeGreaterThan(0);
    const shown = await img.boundingBox();
    const natural = await img.evaluate((i: HTMLImageElement) => [i.naturalWidth, i.naturalHeight]);
    expect(natural).toEqual([Number(f.detail?.width), Number(f.detail?.height)]);
    const drawn = s.page.locator('#photo .face-box');
    expect(await drawn.count()).toBe(boxes.length);
    const scale = shown!.width / natural[0]!;
    for (const [i, [x, y, w, h]] of boxes.entries()) {
      const b = (await drawn.nth(i).boundingBox())!;
      expect(Math.abs(b.x - (shown!.x + x! * scale))).toBeLessThan(2);
      expect(Math.abs(b.y - (shown!.y + y! * scale))).toBeLessThan(2);
      expect(Math.abs(b.width - w! * scale)).toBeLessThan(2);
      expect(Math.abs(b.height - h! * scale)).toBeLessThan(2);
    }
  }, 120_000);

  it('puts a revealed location on the offline map, and logs the reveal', async () => {
    await site.replay('mqtt-iot-topics');
    const f = findingWhere(site, (x) => x.subtype === 'coordinates' && x.evidence.value === '30.2741,120.1551');
    await s.page.goto(findingUrl(site, f.id));
    await s.page.waitForSelector('#map[data-ready="true"]', WAIT);
    expect(await s.page.locator('#map-point').count()).toBe(0); // masked until revealed
    await s.page.click('#reveal');
    const point = s.page.locator('#map-point');
    await point.waitFor(WAIT);
    const [lon, lat] = (await point.getAttribute('data-lonlat'))!.split(',').map(Number);
    expect(lon).toBeCloseTo(120.1551, 4);
    expect(lat).toBeCloseTo(30.2741, 4);
    // Where d3-geo puts it with the page's projection, and inside the country outlines drawn.
    const [cx, cy] = geoEqualEarth().fitSize([640, 330], { type: 'Sphere' })([lon!, lat!])!;
    expect(Number(await point.getAttribute('cx'))).toBeCloseTo(cx, 3);
    expect(Number(await point.getAttribute('cy'))).toBeCloseTo(cy, 3);
    expect(await s.page.locator('#map path.country').count()).toBeGreaterThan(100);
    expect(site.store.listReveals().map((r) => r.findingId)).toContain(f.id);
  }, 120_000);

  it('shows the hostile-markup fixture’s HTML, SVG and script as text, and runs none of it', async () => {
    await site.replay('hostile-markup');
    const hostile = site.store
      .listFindings({ limit: 10_000 })
      .filter((f) => f.deviceId.includes('127.0.0.86') || f.destination.host.includes('<'));
    expect(hostile.length).toBeGreaterThan(0);
    const flowIds = [...new Set(hostile.map((f) => f.flowId))];
    const pages = [
      `${site.origin}/#/overview`,
      `${site.origin}/#/findings`,
      `${site.origin}/#/destinations`,
      ...hostile.map((f) => findingUrl(site, f.id)),
      ...flowIds.map((id) => `${site.origin}/#/flows?id=${encodeURIComponent(id)}`),
    ];
    let text = '';
    for (const url of pages) {
      await s.page.goto(url);
      await s.page.waitForLoadState('networkidle');
      if (url.endsWith('/findings')) await s.page.waitForSelector(READY, WAIT);
      text += await s.page.locator('main').textContent();
      const injected = await s.page.evaluate(() => ({
        pwned: (window as { __pwned?: unknown }).__pwned,
        handlers: document.querySelectorAll(
          '[onload],[onerror],[onmouseover],main script,main iframe:not(#report),main b',
        ).length,
      }));
      expect(injected, url).toEqual({ pwned: undefined, handlers: 0 });
    }
    expect(text).toContain('<svg onload="window.__pwned=4">.xiaoyu-toys.com');
    expect(text).toMatch(/<script>window\.__pwned=5<\/script>/);
    expect(s.dialogs).toEqual([]);
  }, 180_000);

  it('draws the overview’s timeline: a canvas with one series per category, updated live', async () => {
    const errors = s.errors.length;
    await s.page.goto(`${site.origin}/#/overview`);
    const chart = s.page.locator('#timeline');
    await s.page.waitForSelector('#timeline canvas', WAIT);
    const categories = [...new Set(site.store.listFindings({ limit: 10_000 }).map((f) => f.category))].sort();
    expect(await chart.getAttribute('data-series')).toBe(categories.join(','));
    // uPlot's legend: the time, then one entry per series; and the series are drawn in their colours.
    expect(await chart.locator('.u-legend .u-series').count()).toBe(categories.length + 1);
    const coloured = await chart.evaluate((box) => {
      const canvas = box.querySelector('canvas') as HTMLCanvasElement;
      const px = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      let n = 0;
      for (let i = 0; i < px.length; i += 4)
        if (px[i]! > 200 && px[i + 1]! > 60 && px[i + 1]! < 120 && px[i + 2]! < 40) n++;
      return n; // pixels of the voice line (#e8590c)
    });
    expect(coloured).toBeGreaterThan(0);
    const total = Number(await chart.getAttribute('data-total'));
    await site.replay('contacts-family-sync');
    await s.page.waitForFunction(
      (before) => Number(document.querySelector('#timeline')?.getAttribute('data-total')) > before,
      total,
      WAIT,
    );
    expect((await chart.getAttribute('data-series'))?.split(',')).toContain('contacts');
    expect(s.errors.slice(errors)).toEqual([]); // no CSP refusal, no script error
  }, 120_000);

  it('searches a value in another notation or by its last digits and shows the findings and destinations', async () => {
    const errors = s.errors.length;
    await site.replay('loc-amap-wifi');
    await s.page.goto(`${site.origin}/#/search`);
    // loc-amap-wifi sends the access point 3c:37:86:5d:75:d4 in a Wi-Fi scan to www.googleapis.com.
    await s.page.fill('#search-q', '3C-37-86-5D-75-D4');
    await s.page.press('#search-q', 'Enter');
    await s.page.locator('#search-destinations tr', { hasText: 'www.googleapis.com' }).waitFor(WAIT);
    const rows = s.page.locator('#search-findings tbody tr');
    expect(await rows.allTextContents()).toEqual(
      expect.arrayContaining([expect.stringContaining('location/wifi-scan')]),
    );
    expect(await s.page.locator('main').textContent()).not.toMatch(/3c:37:86:5d:75:d4/i); // masked
    // A phone number by its last digits (contacts-family-sync: +86 139 1234 5678, to api.xiaoyu-toys.com).
    await s.page.goto(`${site.origin}/#/search?q=${encodeURIComponent('139 1234 5678')}`);
    await s.page.locator('#search-destinations tr', { hasText: 'api.xiaoyu-toys.com' }).waitFor(WAIT);
    const phone = await rows.allTextContents();
    expect(phone.some((r) => r.includes('contacts/phone-number'))).toBe(true);
    expect(phone.join('')).not.toContain('13912345678');
    // Keyboard: from the box down into the list, j to the next row, Enter opens that finding.
    await s.page.focus('#search-q');
    await s.page.keyboard.press('ArrowDown');
    await s.page.keyboard.press('j');
    const second = await rows.nth(1).getAttribute('data-id');
    expect(await s.page.evaluate(() => document.activeElement?.getAttribute('data-id'))).toBe(second);
    await s.page.keyboard.press('Enter');
    await s.page.waitForURL(`${site.origin}/#/finding/${encodeURIComponent(second!)}`, WAIT);
    expect(s.errors.slice(errors)).toEqual([]);
  }, 120_000);

  it('keeps the findings list virtualised: only rows in view are drawn, scrolling fetches the next keyset page', async () => {
    const w = site.store.writer();
    w.flow(flowRecord({ id: 'many/1', deviceId: MANY, device: { ip: '127.0.0.99', port: 40000 } }));
    for (let i = 0; i < 450; i++) {
      w.finding(
        finding({
          id: `many/1/f${i}`,
          flowId: 'many/1',
          deviceId: MANY,
          category: 'identifiers',
          subtype: i % 2 ? 'serial' : 'imei',
          firstTs: T_MANY + i * 1000,
          evidence: { excerpt: `SN••••${i}` },
          detail: {},
        }),
      );
    }
    w.flush();
    await s.page.goto(`${site.origin}/#/findings?device=${MANY}`);
    await s.page.waitForSelector(READY, WAIT);
    await s.page.locator('#list-end', { hasText: '100 / 450' }).waitFor(WAIT);
    const drawn = () => s.page.locator('#findings-list tbody tr').count();
    expect(await drawn()).toBeLessThan(60);
    expect(await s.page.locator('#findings-list tbody tr').first().getAttribute('data-id')).toBe('many/1/f449');
    const pages = () => s.requests.filter((u) => u.includes('/api/findings?') && u.includes('cursor=')).length;
    const before = pages();
    await s.page.locator('#findings-list').evaluate((el) => {
      el.scrollTop = el.scrollHeight;
    });
    await s.page.locator('#list-end', { hasText: '200 / 450' }).waitFor(WAIT);
    expect(pages()).toBeGreaterThan(before);
    expect(await drawn()).toBeLessThan(60);
    // The rows drawn are the ones scrolled to, not the first ones.
    const firstDrawn = Number(await s.page.locator('#findings-list tbody tr').first().getAttribute('data-index'));
    expect(firstDrawn).toBeGreaterThan(40);
  }, 120_000);

  it('moves through the list with the keyboard, keeping the focused row in view, and opens it with Enter', async () => {
    await s.page.goto('about:blank'); // a new document: the list starts at its top
    await s.page.goto(`${site.origin}/#/findings?device=${MANY}`);
    await s.page.waitForSelector(READY, WAIT);
    await s.page.locator('#findings-list tbody tr').first().focus();
    for (let i = 0; i < 45; i++) await s.page.keyboard.press('ArrowDown');
    await s.page.keyboard.press('ArrowUp');
    const focused = await s.page.evaluate(() => {
      const tr = document.activeElement as HTMLElement;
      const box = document.getElementById('findings-list')!.getBoundingClientRect();
      const r = tr.getBoundingClientRect();
      return { index: tr.dataset.index, id: tr.dataset.id, inView: r.top >= box.top && r.bottom <= box.bottom + 1 };
    });
    expect(focused).toEqual({ index: '44', id: 'many/1/f405', inView: true });
    await s.page.keyboard.press('Enter');
    await s.page.waitForSelector('#finding', WAIT);
    expect(decodeURIComponent(s.page.url())).toContain('#/finding/many/1/f405');
  }, 120_000);

  it('changes a filter in place: no reload, the address bar holds it, back restores the list', async () => {
    await s.page.goto('about:blank');
    await s.page.goto(`${site.origin}/#/findings?device=${MANY}`);
    await s.page.waitForSelector(READY, WAIT);
    const documents = () => s.requests.filter((u) => u === `${site.origin}/`).length;
    const loads = documents();
    await s.page.evaluate(() => {
      (window as { __marker?: number }).__marker = 19;
    });
    await s.page.selectOption('select[name="category"]', 'identifiers');
    await s.page.waitForFunction(() => location.hash.includes('category=identifiers'), null, WAIT);
    await s.page.waitForSelector(READY, WAIT);
    await s.page.selectOption('select[name="device"]', '');
    await s.page.waitForFunction(() => !location.hash.includes('device='), null, WAIT);
    await s.page.waitForSelector(READY, WAIT);
    const cats = await s.page.locator('#findings-list tbody tr td:nth-child(3)').allTextContents();
    expect(cats.length).toBeGreaterThan(0);
    expect(cats.every((c) => c.startsWith('identifiers/'))).toBe(true);
    expect(await s.page.evaluate(() => (window as { __marker?: number }).__marker)).toBe(19);
    expect(documents()).toBe(loads);
    await s.page.goBack();
    await s.page.waitForFunction(
      (d) => new URLSearchParams(location.hash.split('?')[1]).get('device') === d,
      MANY,
      WAIT,
    );
    await s.page.waitForSelector(READY, WAIT);
    // The list and the form follow the address: wait for the select to show it (under load, READY can still be the
    // filtered list's for a moment; a CI run read the select before it changed).
    await s.page.waitForFunction(
      (d) => document.querySelector<HTMLSelectElement>('select[name="device"]')?.value === d,
      MANY,
      WAIT,
    );
    expect(await s.page.locator('select[name="device"]').inputValue()).toBe(MANY);
    await s.page.waitForFunction(
      () => document.querySelector('#findings-list tbody tr')?.getAttribute('data-id') === 'many/1/f449',
      null,
      WAIT,
    );
    expect(await s.page.evaluate(() => (window as { __marker?: number }).__marker)).toBe(19);
  }, 120_000);

  it('fits a tablet (820 × 1180): the findings list and a finding’s page scroll no wider than the screen', async () => {
    const tablet = await logIn(browser, site, { width: 820, height: 1180 });
    try {
      const overflow = () =>
        tablet.page.evaluate(() =>
          [document.documentElement, ...Array.from(document.querySelectorAll('main, #findings-list, #finding'))]
            .filter((el) => el.scrollWidth > el.clientWidth + 1)
            .map((el) => el.id || el.tagName),
        );
      await tablet.page.goto(`${site.origin}/#/findings`);
      await tablet.page.waitForSelector(READY, WAIT);
      expect(await overflow()).toEqual([]);
      const f = findingWhere(site, (x) => x.category === 'face' && x.subtype === 'face');
      await tablet.page.goto(findingUrl(site, f.id));
      await tablet.page.click('#reveal');
      await tablet.page.waitForSelector('#photo img', WAIT);
      expect(await overflow()).toEqual([]);
    } finally {
      await tablet.context.close();
    }
  }, 120_000);

  it('makes no request outside the dashboard’s origin', () => {
    expect(s.requests.length).toBeGreaterThan(10);
    // blob: URLs of this origin are the waveform's decoded audio, made in the page.
    const own = (u: string) => u.startsWith(`${site.origin}/`) || u.startsWith(`blob:${site.origin}/`);
    expect(s.requests.filter((u) => !own(u))).toEqual([]);
  });
});
