/// <reference lib="dom" />
/**
 * Remakes docs/screenshots/*.png: every dashboard page in Debian's chromium over a store filled by replaying
 * fixtures (testkit/browser.ts). Not a test: run `npx tsx test/dashboard/screenshots.ts` after changing
 * the pages, then look at the images.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { findingUrl, findingWhere, launchChromium, logIn, type Session, startSite } from '../../testkit/browser.ts';

const ROOT = join(import.meta.dirname, '../..');
const OUT = join(ROOT, 'docs/screenshots');
const FIXTURES = ['curl-multipart', 'voice-http-containers', 'child-photo-profile', 'mqtt-iot-topics', 'loc-amap-wifi'];
/** A Wi-Fi access point's BSSID that loc-amap-wifi sends in a scan (as 3c:37:86:5d:75:d4), typed another way. */
const SEARCHED = '3C-37-86-5D-75-D4';

mkdirSync(OUT, { recursive: true });
const browser = await launchChromium();
const site = await startSite();
try {
  for (const f of FIXTURES) await site.replay(f);
  // A position table holding the access points of loc-amap-wifi's AMap scan, imported as a lab would.
  execFileSync(process.execPath, [
    join(ROOT, 'bin/toyscope.js'),
    'geo',
    'import',
    '--data-dir',
    site.dir,
    join(ROOT, 'test/data/geo/bssids.csv'),
  ]);
  const s = await logIn(browser, site, { width: 1280, height: 860 });
  const shooter = (on: Session) => async (name: string, url: string, ready: string, before?: () => Promise<void>) => {
    await on.page.goto(url);
    await on.page.waitForSelector(ready, { timeout: 60_000 });
    await on.page.waitForLoadState('networkidle');
    await before?.();
    await on.page.screenshot({ path: join(OUT, `${name}.png`), fullPage: false });
  };
  const timelineInView = async () => {
    await s.page.locator('#timeline').evaluate((e) => e.closest('section')?.scrollIntoView());
  };
  const shot = shooter(s);
  const voice = findingWhere(site, (f) => f.category === 'voice' && f.subtype === 'wav');
  const face = findingWhere(site, (f) => f.category === 'face' && f.subtype === 'face');
  const loc = findingWhere(site, (f) => f.subtype === 'coordinates' && f.evidence.value === '30.2741,120.1551');
  const flow = voice.flowId;
  await shot('overview', `${site.origin}/#/overview`, '#matrix tbody tr');
  await shot('overview-timeline', `${site.origin}/#/overview`, '#timeline canvas', timelineInView);
  await shot('findings', `${site.origin}/#/findings?category=voice`, '#findings-list[data-ready="true"] tbody tr');
  // A photo or a clip shows after the logged reveal, as a tester sees it.
  const revealed = (on: Session, shown: string) => async () => {
    await on.page.click('#reveal');
    await on.page.waitForSelector(shown, { timeout: 60_000 });
    await on.page.waitForLoadState('networkidle');
  };
  await shot('finding-voice', findingUrl(site, voice.id), '#evidence-hidden', revealed(s, '.wave canvas, .wave div'));
  await shot('finding-face', findingUrl(site, face.id), '#evidence-hidden', revealed(s, '#photo .face-box'));
  await shot('finding-location', findingUrl(site, loc.id), '#map[data-ready="true"]', async () => {
    await s.page.click('#reveal');
    await s.page.waitForSelector('#map-point');
  });
  const scan = findingWhere(site, (f) => f.subtype === 'wifi-scan' && f.destination.host === 'apilocate.amap.com');
  await shot('finding-wifi-scan', findingUrl(site, scan.id), '#map[data-ready="true"]', async () => {
    await s.page.click('#reveal');
    await s.page.waitForSelector('#map-estimate');
    await s.page.locator('#places-note').evaluate((e) => e.closest('section')?.scrollIntoView());
  });
  const tower = findingWhere(site, (f) => f.subtype === 'cell-tower' && f.destination.host === 'www.googleapis.com');
  await shot('finding-cell-tower', findingUrl(site, tower.id), '#map path.highlight', async () => {
    await s.page.locator('#places-note').evaluate((e) => e.closest('section')?.scrollIntoView());
  });
  await shot('search', `${site.origin}/#/search?q=${encodeURIComponent(SEARCHED)}`, '#search-result tbody tr');
  await shot('destinations', `${site.origin}/#/destinations`, '#destinations tbody tr');
  await shot('flows', `${site.origin}/#/flows?id=${encodeURIComponent(flow)}`, '#flow pre.head');
  await shot('report', `${site.origin}/#/report?device=${encodeURIComponent(voice.deviceId)}&lang=zh-CN`, '#report');
  await s.page.evaluate(() => localStorage.setItem('toyscope.theme', 'dark'));
  await s.page.evaluate(() => localStorage.setItem('toyscope.lang', 'zh-CN'));
  await s.page.reload();
  await shot('overview-dark-zh', `${site.origin}/#/overview`, '#matrix tbody tr');
  await shot('overview-timeline-dark-zh', `${site.origin}/#/overview`, '#timeline canvas', timelineInView);
  await s.context.close();
  const tablet = await logIn(browser, site, { width: 820, height: 1180 });
  await shooter(tablet)('findings-tablet', `${site.origin}/#/findings`, '#findings-list[data-ready="true"] tbody tr');
  await shooter(tablet)(
    'finding-face-tablet',
    findingUrl(site, face.id),
    '#evidence-hidden',
    revealed(tablet, '#photo .face-box'),
  );
  await tablet.context.close();
  console.log(`screenshots in ${OUT}`);
} finally {
  await browser.close();
  await site.close();
}
