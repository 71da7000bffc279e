/**
 * One Chromium, one dashboard site and one logged-in session for a browser test file (testkit/browser.ts): opened
 * before its tests (`fill` writes or replays what they need first), closed after them.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import type { Config } from '../../src/config.ts';
import { type DashboardSite, launchChromium, logIn, type Session, startSite } from '../../testkit/browser.ts';

export interface BrowserSuite {
  browser: Browser;
  site: DashboardSite;
  s: Session;
  /** Page and console errors before the tests (the login page's own 401 and favicon 404). */
  errorsBefore: number;
}

export function browserSuite(fill?: (site: DashboardSite) => void | Promise<void>, config?: Config): BrowserSuite {
  const suite = {} as BrowserSuite;
  beforeAll(async () => {
    suite.browser = await launchChromium();
    suite.site = await startSite(config ? { config } : {});
    await fill?.(suite.site);
    suite.s = await logIn(suite.browser, suite.site);
    suite.errorsBefore = suite.s.errors.length;
  }, 180_000);
  afterAll(async () => {
    await suite.s?.context.close();
    await suite.browser?.close();
    await suite.site?.close();
  });
  return suite;
}
