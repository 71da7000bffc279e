/// <reference lib="dom" />
/**
 * The Report page in Debian's chromium (testkit/browser.ts): the embedded report follows the UI's language (English
 * in an English UI, Chinese once the UI is switched to Chinese), its language menu is labelled in the UI's
 * language, and a language chosen there wins over the UI's. Waits are bounded; nothing here is timed.
 */
import { describe, expect, it } from 'vitest';
import { browserSuite } from './browser-suite.ts';

const WAIT = { timeout: 60_000 };
const suite = browserSuite((site) => site.replay('curl-multipart'));

/** The report frame's `lang` query and its document's `<html lang>`, once loaded. */
async function frameLang(): Promise<{ asked: string | null; shown: string }> {
  const { s } = suite;
  const frame = s.page.locator('iframe#report');
  await frame.waitFor(WAIT);
  const src = (await frame.getAttribute('src')) ?? '';
  const asked = new URLSearchParams(src.slice(src.indexOf('?'))).get('lang');
  const shown = await s.page.frameLocator('iframe#report').locator(`html[lang="${asked}"]`).getAttribute('lang', WAIT);
  return { asked, shown: shown ?? '' };
}

describe('the Report page', () => {
  it('shows the report in the UI’s language, and in the one chosen on the page', async () => {
    const { site, s } = suite;
    await s.page.goto(`${site.origin}/#/overview`);
    await s.page.evaluate(() => localStorage.setItem('toyscope.lang', 'en'));
    await s.page.goto(`${site.origin}/#/report`);
    await s.page.reload();
    expect(await frameLang()).toEqual({ asked: 'en', shown: 'en' });
    expect(await s.page.locator('form.filters label', { hasText: 'Report language' }).count()).toBe(1);

    await s.page.locator('header.top button', { hasText: '中文' }).click(); // the UI switches to Chinese
    await s.page.locator('form.filters label', { hasText: '报告语言' }).waitFor(WAIT);
    expect(await frameLang()).toEqual({ asked: 'zh-CN', shown: 'zh-CN' });

    await s.page.locator('form.filters select').nth(1).selectOption('en'); // chosen on the page: wins
    await s.page.waitForURL(/lang=en/, WAIT);
    expect(await frameLang()).toEqual({ asked: 'en', shown: 'en' });
    expect(s.errors.slice(suite.errorsBefore)).toEqual([]);
  }, 120_000);
});
