/// <reference lib="dom" />
/**
 * Devices by the names the lab gave them (toyscope.yaml `devices`) on every page that lists them, in Debian's
 * chromium (testkit/browser.ts): the destinations, the overview's "what went where", the findings list and a
 * finding's page show `teddy` with its address as the title, where they showed the address. Waits are bounded.
 */
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config.ts';
import { findingUrl, findingWhere } from '../../testkit/browser.ts';
import { browserSuite } from './browser-suite.ts';

const WAIT = { timeout: 60_000 };
// curl-multipart's device.
const config = { ...defaultConfig, devices: [{ name: 'teddy', ip: '127.0.0.2' }] };
const suite = browserSuite((site) => site.replay('curl-multipart'), config);

const devicesIn = (selector: string) =>
  suite.s.page
    .locator(`${selector} .device`)
    .evaluateAll((els) => els.map((e) => [e.textContent, e.getAttribute('title')]));

describe('device names', () => {
  it('shows the configured name, with the address as its title, wherever a device is listed', async () => {
    const { site, s } = suite;
    await s.page.goto(`${site.origin}/#/destinations`);
    await s.page.locator('#destinations .device', { hasText: 'teddy' }).first().waitFor(WAIT);
    expect(await devicesIn('#destinations')).toEqual([['teddy', '127.0.0.2']]);
    await s.page.goto(`${site.origin}/#/overview`);
    await s.page.locator('#matrix .device', { hasText: 'teddy' }).first().waitFor(WAIT);
    await s.page.goto(`${site.origin}/#/findings`);
    await s.page.locator('#findings-list .device', { hasText: 'teddy' }).first().waitFor(WAIT);
    const f = findingWhere(site, () => true);
    await s.page.goto(findingUrl(site, f.id));
    await s.page.locator('#finding .device', { hasText: 'teddy' }).waitFor(WAIT);
    expect(await devicesIn('#finding')).toEqual([['teddy', '127.0.0.2']]);
  }, 180_000);
});
