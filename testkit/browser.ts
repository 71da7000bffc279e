/**
 * A real browser on a real dashboard, for the browser tests and the screenshot script: Debian's `chromium` (found
 * on PATH, as `which chromium` would) driven by playwright-core — never a downloaded browser — headless, without
 * background networking, `--no-sandbox` as root; `toyscope dashboard`'s server (startDashboard) on a loopback port
 * over a fresh data directory that `toyscope replay` (a child process, as a tester runs it) fills. Every request
 * the page makes is recorded so a test can check none leaves the dashboard's origin.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { type RunningDashboard, startDashboard } from '../dashboard/server.ts';
import { type Config, defaultConfig } from '../src/config.ts';
import { dataDirPaths } from '../src/data-dir.ts';
import type { Finding } from '../src/model/finding.ts';
import { openStore } from '../src/store/db.ts';
import type { Store } from '../src/store/types.ts';
import { tempDir } from './records.ts';

const ROOT = join(import.meta.dirname, '..');
const run = promisify(execFile);

/** The first `name` on PATH that is executable (what `which` prints), or undefined. */
export function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (!dir) continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {}
  }
  return undefined;
}

/** Debian's chromium, headless; throws a one-line error when it is not installed (.ci/run installs it). */
export async function launchChromium(): Promise<Browser> {
  const executablePath = onPath('chromium');
  if (!executablePath) throw new Error('chromium is not on PATH: apt-get install chromium (.ci/run does)');
  const args = ['--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];
  if (process.getuid?.() === 0) args.push('--no-sandbox');
  return chromium.launch({ executablePath, headless: true, args, timeout: 60_000 });
}

export interface DashboardSite {
  dir: string;
  store: Store;
  dashboard: RunningDashboard;
  /** `http://127.0.0.1:PORT` */
  origin: string;
  /** `toyscope replay --data-dir DIR fixtures/<name>/capture.pcap`; throws unless it exits 0 or 1 (violations). */
  replay(fixture: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * A dashboard over a new data directory, listening on 127.0.0.1 on a free port; `before` may fill the database,
 * `config` is the dashboard's toyscope.yaml (default: none).
 */
export async function startSite(
  opts: { before?: (dbFile: string) => void; config?: Config } = {},
): Promise<DashboardSite> {
  const t = tempDir();
  const paths = dataDirPaths(t.dir);
  opts.before?.(paths.db);
  const store = openStore(paths.db, { batchMs: 5 });
  const dashboard = await startDashboard({
    store,
    config: opts.config ?? defaultConfig,
    listen: { host: '127.0.0.1', port: 0 },
    paths,
  });
  return {
    dir: t.dir,
    store,
    dashboard,
    origin: new URL(dashboard.url).origin,
    async replay(fixture) {
      const capture = join(ROOT, 'fixtures', fixture, 'capture.pcap');
      const args = [join(ROOT, 'bin', 'toyscope.js'), 'replay', '--data-dir', t.dir, capture];
      try {
        await run(process.execPath, args, { timeout: 120_000 });
      } catch (e) {
        const x = e as { code?: number; stderr?: string };
        // Exit 1 = policy violations found: the replay itself worked.
        if (x.code !== 1) throw new Error(`replay ${fixture}: exit ${x.code}: ${String(x.stderr).slice(0, 300)}`);
      }
    },
    async close() {
      await dashboard.close();
      store.close();
      t.cleanup();
    },
  };
}

export interface Session {
  context: BrowserContext;
  page: Page;
  /** Every URL the page requested, in order. */
  requests: string[];
  /** Messages of page errors and console errors. */
  errors: string[];
  /** Dialogs (alert, confirm …) the page tried to open: a script from captured data would show here. */
  dialogs: string[];
}

/** A new browser context logged in through the printed login URL (token in the fragment). */
export async function logIn(
  browser: Browser,
  site: DashboardSite,
  viewport = { width: 1280, height: 900 },
): Promise<Session> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const s: Session = { context, page, requests: [], errors: [], dialogs: [] };
  page.on('request', (r) => s.requests.push(r.url()));
  page.on('pageerror', (e) => s.errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && s.errors.push(m.text()));
  page.on('dialog', (d) => {
    s.dialogs.push(d.message());
    d.dismiss().catch(() => {});
  });
  const loginUrl = site.dashboard.loginUrl;
  if (!loginUrl) throw new Error('the dashboard printed no login URL (token file already there?)');
  await page.goto(loginUrl);
  await page.waitForURL(`${site.origin}/`);
  await page.waitForSelector('#devices');
  return s;
}

/** The first stored finding `pred` accepts (the test's way to pick which page to open). */
export function findingWhere(site: DashboardSite, pred: (f: Finding) => boolean): Finding {
  const f = site.store.listFindings({ limit: 10_000 }).find(pred);
  if (!f) throw new Error('no such finding in the store');
  return f;
}

/** The page of one finding (ids hold `/`: one encoded path segment). */
export const findingUrl = (site: DashboardSite, id: string) => `${site.origin}/#/finding/${encodeURIComponent(id)}`;
