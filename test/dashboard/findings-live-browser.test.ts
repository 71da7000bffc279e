/// <reference lib="dom" />
/**
 * The findings page follows the live feed in Debian's chromium (testkit/browser.ts): findings committed while it is
 * open are put on top when the list is at its top (and the keyset paging below them still reads every row once), counted
 * in a "N new findings — show" bar when it is scrolled down, and left out when the filters exclude them. Findings are
 * written through the store's writer, as the proxy writes them. Waits are bounded; nothing here is timed.
 */
import { describe, expect, it } from 'vitest';
import type { Category } from '../../src/model/finding.ts';
import { finding, flowRecord } from '../../testkit/records.ts';
import { browserSuite } from './browser-suite.ts';

const WAIT = { timeout: 60_000 };
const READY = '#findings-list[data-ready="true"] tbody tr';
const DEVICE = 'aa:bb:cc:00:00:42';
const T = 1_717_300_000_000_000;
let n = 0;
const suite = browserSuite((site) => {
  site.store.writer().flow(flowRecord({ id: 'live/1', deviceId: DEVICE, device: { ip: '127.0.0.42', port: 40000 } }));
  write(150);
});

/** Writes `count` findings of DEVICE, each newer than the last one written. */
function write(count: number, category: Category = 'identifiers'): string[] {
  const w = suite.site.store.writer();
  const ids: string[] = [];
  for (let i = 0; i < count; i++, n++) {
    const id = `live/1/f${n}`;
    ids.push(id);
    w.finding(
      finding({
        id,
        flowId: 'live/1',
        deviceId: DEVICE,
        category,
        subtype: category === 'voice' ? 'raw-pcm' : 'serial',
        firstTs: T + n * 1000,
        evidence: { excerpt: `SN••••${n}` },
        detail: {},
      }),
    );
  }
  w.flush();
  return ids;
}

const rowIds = () =>
  suite.s.page.locator('#findings-list tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-id')));

describe('findings page, live', () => {
  it('puts new findings on top of a list at its top, and pages on below them without a row twice', async () => {
    const { site, s } = suite;
    await s.page.goto(`${site.origin}/#/findings?device=${DEVICE}`);
    await s.page.waitForSelector(READY, WAIT);
    await s.page.locator('#list-end', { hasText: '100 / 150' }).waitFor(WAIT);
    const [newer, newest] = write(2);
    await s.page.locator('#list-end', { hasText: '102 / 152' }).waitFor(WAIT);
    expect((await rowIds()).slice(0, 3)).toEqual([newest, newer, 'live/1/f149']);
    expect(await s.page.locator('#new-findings').count()).toBe(0);
    expect(await s.page.locator('#total').textContent()).toContain('152');
    // Keyboard order follows the rows: the second row is index 1.
    expect(await s.page.locator(`#findings-list tr[data-id="${newer}"]`).getAttribute('data-index')).toBe('1');
    await s.page.locator('#findings-list').evaluate((el) => {
      el.scrollTop = el.scrollHeight;
    });
    await s.page.locator('#list-end', { hasText: '152 / 152' }).waitFor(WAIT);
    // Every row once: the last one, the oldest finding, sits at index 151 after the next keyset page.
    await s.page.locator('#findings-list').evaluate((el) => {
      el.scrollTop = el.scrollHeight;
    });
    const last = s.page.locator('#findings-list tbody tr').last();
    await s.page.waitForFunction(
      () => document.querySelector('#findings-list tbody tr:last-child')?.getAttribute('data-id') === 'live/1/f0',
      null,
      WAIT,
    );
    expect(await last.getAttribute('data-index')).toBe('151');
  }, 120_000);

  it('counts new findings in a bar while the list is scrolled down, and shows them on a click', async () => {
    const { site, s } = suite;
    await s.page.goto('about:blank');
    await s.page.goto(`${site.origin}/#/findings?device=${DEVICE}`);
    await s.page.waitForSelector(READY, WAIT);
    await s.page.locator('#findings-list').evaluate((el) => {
      el.scrollTop = 600;
    });
    await s.page.waitForFunction(() => Number(document.getElementById('findings-list')?.dataset.first) > 0, null, WAIT);
    const before = await rowIds();
    const ids = write(3);
    const bar = s.page.locator('#new-findings');
    await bar.waitFor(WAIT);
    expect((await bar.textContent())?.trim()).toBe('3 new findings — show');
    expect(await rowIds()).toEqual(before); // nothing moved under the reader
    await bar.click();
    await s.page.waitForFunction(
      (id) => document.querySelector('#findings-list tbody tr')?.getAttribute('data-id') === id,
      ids[2],
      WAIT,
    );
    expect(await s.page.locator('#findings-list').evaluate((el) => el.scrollTop)).toBe(0);
    expect(await bar.count()).toBe(0);
  }, 120_000);

  it('leaves out new findings the filters exclude', async () => {
    const { site, s } = suite;
    await s.page.goto(`${site.origin}/#/findings?device=${DEVICE}&category=identifiers`);
    await s.page.waitForSelector(READY, WAIT);
    const [voice] = write(1, 'voice');
    const [serial] = write(1);
    await s.page.waitForFunction(
      (id) => document.querySelector('#findings-list tbody tr')?.getAttribute('data-id') === id,
      serial,
      WAIT,
    );
    expect(await rowIds()).not.toContain(voice);
    expect(await s.page.locator('#new-findings').count()).toBe(0);
  }, 120_000);
});
