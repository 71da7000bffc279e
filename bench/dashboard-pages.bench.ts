/// <reference lib="dom" />
/**
 * The dashboard's pages in Debian's chromium (testkit/browser.ts): the bundle's size (raw and gzip, beside
 * the map data it loads on demand); the time from a finding written by this process's store writer (as the live
 * proxy writes) to its row in an open overview, beside the SSE event reaching a plain client; and, over a store of
 * 1,000,000 findings (bench/dashboard-store.ts), the findings page's first paint (from a blank tab, navigation to
 * the first rows visible, beside the login page opened the same way: the floor of any page on this machine at that
 * moment), the page opened with a filter from the overview (hash change to the filtered rows), and a filter change
 * on the page (one select changed until the new filter's first row shows and the address bar holds it), each beside
 * the API call the page makes for it.
 * Goals (issue 19): live ≤ 1 s; first paint and filter change p99 ≤ 300 ms.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { UI_BUILD_DIR } from '../dashboard/plugins/static.ts';
import { launchChromium, logIn, startSite } from '../testkit/browser.ts';
import { finding, flowRecord } from '../testkit/records.ts';
import { deviceOf, makeBigStore } from './dashboard-store.ts';
import { round } from './measure.ts';
import type { Bench } from './run.ts';

const SHAPE = { devices: 10, flows: 100_000, messagesPerFlow: 5, findings: 1_000_000 };
const LIVE_SAMPLES = 10;
const PAGE_ROUNDS = 20;
const WAIT = { timeout: 30_000 };
/** Filter changes made one select at a time (each keeps the others): every state matches rows in the store. */
const CHANGES: ReadonlyArray<[string, string]> = [
  ['category', 'voice'],
  ['thirdParty', 'true'],
  ['category', 'face'],
  ['encrypted', 'false'],
  ['category', ''],
  ['thirdParty', ''],
  ['device', deviceOf(3)],
  ['category', 'face'],
  ['encrypted', ''],
  ['device', deviceOf(7)],
  ['category', 'contacts'],
  ['device', ''],
  ['thirdParty', 'false'],
  ['device', deviceOf(1)],
  ['category', ''],
  ['encrypted', 'true'],
  ['device', deviceOf(6)],
  ['category', 'location'],
  ['thirdParty', ''],
  ['device', ''],
];

function percentiles(ms: number[]): { p50: number; p99: number } {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
  return { p50: round(at(0.5), 1), p99: round(at(0.99), 1) };
}

const bench: Bench = async (emit) => {
  // What every page loads (app.js and the chunks the build's index.html preloads), and every script of the build.
  const preloaded = existsSync(join(UI_BUILD_DIR, 'index.html'))
    ? [...readFileSync(join(UI_BUILD_DIR, 'index.html'), 'utf8').matchAll(/modulepreload" href="\/static\/([^"]+)"/g)]
    : [];
  const scripts = (names: string[]) => Buffer.concat(names.map((n) => readFileSync(join(UI_BUILD_DIR, n))));
  const atlas = readFileSync(join(UI_BUILD_DIR, 'countries-110m.json'));
  for (const [what, js] of [
    ['bundle: first load (app.js + preloaded chunks)', scripts(['app.js', ...preloaded.map((m) => m[1]!)])],
    ['bundle: every script', scripts(readdirSync(UI_BUILD_DIR).filter((n) => n.endsWith('.js')))],
  ] as const) {
    emit({
      bench: 'dashboard-pages',
      what,
      bytes: js.length,
      gzip_bytes: gzipSync(js).length,
      reference: 'countries-110m.json (loaded by the map only)',
      reference_bytes: atlas.length,
      reference_gzip_bytes: gzipSync(atlas).length,
      ratio: round(js.length / atlas.length, 2),
    });
  }

  const browser = await launchChromium();
  try {
    // Live: a finding written in-process (the proxy's path) until its row shows on the open overview.
    const site = await startSite();
    try {
      const s = await logIn(browser, site);
      await s.page.goto(`${site.origin}/#/overview`);
      await s.page.waitForSelector('#live.live', WAIT);
      const w = site.store.writer();
      w.flow(flowRecord({ id: 'live/1' }));
      w.flush();
      const page: number[] = [];
      const sse: number[] = [];
      for (let i = 0; i < LIVE_SAMPLES; i++) {
        const id = `live/1/f${i}`;
        const heard = s.page.evaluate(
          (want) =>
            new Promise<number>((resolve) => {
              const es = new EventSource('/api/events');
              es.addEventListener('finding', (e) => {
                if (JSON.parse((e as MessageEvent).data).id === want) {
                  es.close();
                  resolve(performance.now());
                }
              });
            }),
          id,
        );
        await s.page.waitForTimeout(100);
        const t0 = await s.page.evaluate(() => performance.now());
        const start = performance.now();
        w.finding(finding({ id, flowId: 'live/1', firstTs: Date.now() * 1000 }));
        w.flush();
        await s.page.waitForSelector(`#latest tr[data-id="${id}"]`, WAIT);
        page.push(performance.now() - start);
        sse.push((await heard) - t0);
      }
      const p = percentiles(page);
      const r = percentiles(sse);
      emit({
        bench: 'dashboard-pages',
        what: 'finding written → row visible',
        samples: LIVE_SAMPLES,
        p50_ms: p.p50,
        p99_ms: p.p99,
        reference: 'SSE event in the same page',
        reference_p50_ms: r.p50,
        reference_p99_ms: r.p99,
        ratio: round(r.p50 / p.p50, 2),
      });
      await s.context.close();
    } finally {
      await site.close();
    }

    // 1,000,000 findings: first paint and filter change of the findings page.
    const big = await startSite({
      before: (file) => {
        const seconds = makeBigStore(file, SHAPE);
        emit({ bench: 'dashboard-pages', what: 'generate', findings: SHAPE.findings, seconds: round(seconds) });
      },
    });
    try {
      const s = await logIn(browser, big);
      try {
        await s.page.addInitScript({ content: ROWS_DRAWN });
        const ready = '#findings-list[data-ready="true"] tbody tr';
        // First paint: from a blank tab, navigation to the first rows visible. Beside it, the floor any page costs
        // here at that moment: the same navigation to the login page (the style sheet and one small script).
        const first: number[] = [];
        const firstInPage: number[] = [];
        const firstApi: number[] = [];
        const floor: number[] = [];
        for (let i = 0; i < PAGE_ROUNDS; i++) {
          await s.page.goto('about:blank');
          let start = performance.now();
          await s.page.goto(`${big.origin}/#/findings`);
          await s.page.waitForSelector(ready, WAIT);
          first.push(performance.now() - start);
          firstInPage.push(await s.page.evaluate('window.__rowsDrawn'));
          firstApi.push(await apiTime(s.page, '/api/findings?limit=100'));
          await s.page.goto('about:blank');
          start = performance.now();
          await s.page.goto(`${big.origin}/login`);
          await s.page.waitForSelector('#login', WAIT);
          floor.push(performance.now() - start);
        }
        // Opening the page with a filter from the overview (a hash change: the page mounts with its filter).
        const filters = [
          'category=voice',
          `device=${deviceOf(3)}`,
          'thirdParty=true',
          'encrypted=false',
          'category=face',
        ];
        const open: number[] = [];
        const openApi: number[] = [];
        await s.page.goto(`${big.origin}/#/overview`);
        for (let i = 0; i < PAGE_ROUNDS; i++) {
          const f = filters[i % filters.length]!;
          await s.page.evaluate(() => {
            location.hash = '#/overview';
          });
          await s.page.waitForSelector('#devices', WAIT);
          const id = await firstId(s.page, f);
          const start = performance.now();
          await s.page.evaluate((h) => {
            location.hash = h;
          }, `#/findings?${f}`);
          await waitForRows(s.page, id);
          open.push(performance.now() - start);
          openApi.push(await apiTime(s.page, `/api/findings?limit=100&${f}`));
        }

        // A filter change on the page: one select of the filter form changed, until the first row of the new filter
        // shows (its id known beforehand from the API) and the address bar holds the filter.
        await s.page.goto(`${big.origin}/#/findings`);
        await s.page.waitForSelector(ready, WAIT);
        const want = new Map<string, string>();
        const plan = CHANGES.map(([name, value]) => {
          if (value) want.set(name, value);
          else want.delete(name);
          return { name, value, query: new URLSearchParams([...want]).toString() };
        });
        const expected: string[] = [];
        for (const c of plan) expected.push(await firstId(s.page, c.query));
        const change: number[] = [];
        const changeInPage: number[] = [];
        const changeApi: number[] = [];
        for (const [i, c] of plan.entries()) {
          await s.page.waitForFunction(
            ([name, value]) =>
              Array.from(document.querySelector<HTMLSelectElement>(`select[name="${name}"]`)?.options ?? []).some(
                (o) => o.value === value,
              ),
            [c.name, c.value],
            WAIT,
          );
          await s.page.evaluate(`(${WATCH_CHANGE})(${JSON.stringify(expected[i])})`);
          const start = performance.now();
          await s.page.selectOption(`select[name="${c.name}"]`, c.value);
          await waitForRows(s.page, expected[i]!);
          await s.page.waitForFunction(
            (q) => {
              // Same filters, in whatever order the page writes them.
              const [path, qs = ''] = location.hash.split('?');
              const mine = [...new URLSearchParams(qs)].sort().join('&');
              return path === '#/findings' && mine === [...new URLSearchParams(q)].sort().join('&');
            },
            c.query,
            WAIT,
          );
          change.push(performance.now() - start);
          changeInPage.push(await s.page.evaluate('window.__changeDrawn'));
          changeApi.push(await apiTime(s.page, `/api/findings?limit=100&${c.query}`));
        }
        const p = percentiles(first);
        const f = percentiles(floor);
        const a = percentiles(firstApi);
        emit({
          bench: 'dashboard-pages',
          what: 'findings page first paint (1M findings)',
          rounds: PAGE_ROUNDS,
          p50_ms: p.p50,
          p99_ms: p.p99,
          reference: 'the login page opened the same way (the floor of any page here)',
          reference_p50_ms: f.p50,
          reference_p99_ms: f.p99,
          ratio: round(f.p50 / p.p50, 2),
          api_p50_ms: a.p50,
          api_p99_ms: a.p99,
          ...inPage(firstInPage),
        });
        for (const [what, ms, ref, own] of [
          ['findings page opened with a filter from the overview (1M findings)', open, openApi, undefined],
          ['findings filter change (1M findings)', change, changeApi, changeInPage],
        ] as const) {
          const p = percentiles([...ms]);
          const r = percentiles([...ref]);
          emit({
            ...(own ? inPage(own) : {}),
            bench: 'dashboard-pages',
            what,
            rounds: PAGE_ROUNDS,
            p50_ms: p.p50,
            p99_ms: p.p99,
            reference: 'the same API call from the page',
            reference_p50_ms: r.p50,
            reference_p99_ms: r.p99,
            ratio: round(r.p50 / p.p50, 2),
          });
        }
      } finally {
        await s.context.close();
      }
    } finally {
      await big.close();
    }
  } finally {
    await browser.close();
  }
};

/**
 * The page's own clock, beside the bench's (which adds Playwright's round trips): `window.__rowsDrawn` is when a ready
 * findings list first had rows and the frame after was drawn, in ms since the navigation started. A string, so the
 * bench's compiler leaves it as it is; it runs in every document of the context.
 */
const ROWS_DRAWN = `window.__rowsDrawn = new Promise((resolve) => {
  const mo = new MutationObserver(() => {
    if (!document.querySelector('#findings-list[data-ready="true"] tbody tr')) return;
    mo.disconnect();
    requestAnimationFrame(() => setTimeout(() => resolve(performance.now()), 0));
  });
  mo.observe(document, { childList: true, subtree: true, attributes: true });
});`;

/** In the page: `window.__changeDrawn`, ms from the next change event to the frame after row `want` leads the list. */
const WATCH_CHANGE = `(want) => {
  window.__changeDrawn = new Promise((resolve) => {
    let t0;
    document.addEventListener('change', () => { t0 = performance.now(); }, { capture: true, once: true });
    const mo = new MutationObserver(() => {
      const tr = document.querySelector('#findings-list[data-ready="true"] tbody tr');
      if (t0 === undefined || !tr || tr.getAttribute('data-id') !== want) return;
      mo.disconnect();
      requestAnimationFrame(() => setTimeout(() => resolve(performance.now() - t0), 0));
    });
    mo.observe(document, { childList: true, subtree: true, attributes: true });
  });
}`;

function inPage(ms: number[]): { in_page_p50_ms: number; in_page_p99_ms: number } {
  const p = percentiles(ms);
  return { in_page_p50_ms: p.p50, in_page_p99_ms: p.p99 };
}

/** The id of the first finding the API gives for a page query (`category=voice&…`). */
async function firstId(page: import('playwright-core').Page, query: string): Promise<string> {
  const id = await page.evaluate(
    async (q) => (await (await fetch(`/api/findings?limit=1&${q}`)).json()).items[0]?.id as string | undefined,
    query,
  );
  if (!id) throw new Error(`no finding matches ${query}`);
  return id;
}

/** Until the findings list is ready and its first row is `id`. */
async function waitForRows(page: import('playwright-core').Page, id: string): Promise<void> {
  await page.waitForFunction(
    (want) => document.querySelector('#findings-list[data-ready="true"] tbody tr')?.getAttribute('data-id') === want,
    id,
    WAIT,
  );
}

/** Milliseconds of one `fetch(url)` (and its JSON) from inside the page. */
async function apiTime(page: import('playwright-core').Page, url: string): Promise<number> {
  return page.evaluate(async (u) => {
    const t0 = performance.now();
    await (await fetch(u)).json();
    return performance.now() - t0;
  }, url);
}

export default bench;
