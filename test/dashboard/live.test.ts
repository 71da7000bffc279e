import { statSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listenWarnings, parseListen, type RunningDashboard, startDashboard } from '../../dashboard/server.ts';
import { defaultConfig } from '../../src/config.ts';
import { dataDirPaths } from '../../src/data-dir.ts';
import { openStore } from '../../src/store/db.ts';
import type { Store } from '../../src/store/types.ts';
import { finding, flowRecord, tempDir } from '../../testkit/records.ts';

let t: ReturnType<typeof tempDir>;
let store: Store;
let running: RunningDashboard | undefined;
beforeEach(() => {
  t = tempDir();
  store = openStore(join(t.dir, 'toyscope.db'), { batchMs: 5 });
});
afterEach(async () => {
  await running?.close();
  running = undefined;
  store.close();
  t.cleanup();
});

const start = () =>
  startDashboard({ store, config: defaultConfig, listen: { host: '127.0.0.1', port: 0 }, paths: dataDirPaths(t.dir) });

/** Logs in with the token from the login URL; returns the session cookie. */
async function login(d: RunningDashboard): Promise<string> {
  const token = new URL(d.loginUrl!).hash.replace('#token=', '');
  const res = await fetch(`${d.url}api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token }),
  });
  expect(res.status).toBe(204);
  return res.headers.get('set-cookie')!.split(';')[0]!;
}

/** Opens /api/events and collects events until `until` says stop (bounded by a deadline). */
function listen(d: RunningDashboard, cookie: string, until: (events: string[]) => boolean): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const events: string[] = [];
    const req = request(`${d.url}api/events`, { headers: { cookie } }, (res) => {
      expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
      let buf = '';
      res.on('data', (c: Buffer) => {
        buf += c.toString();
        let i = buf.indexOf('\n\n');
        while (i >= 0) {
          events.push(buf.slice(0, i));
          buf = buf.slice(i + 2);
          i = buf.indexOf('\n\n');
        }
        if (until(events)) {
          req.destroy();
          resolve(events);
        }
      });
    });
    req.on('error', (e) => (e.message.includes('aborted') ? undefined : reject(e)));
    setTimeout(() => {
      req.destroy();
      resolve(events);
    }, 20_000).unref();
    req.end();
  });
}

const has = (name: string, id: string) => (events: string[]) =>
  events.some((e) => e.includes(`event: ${name}`) && e.includes(`"id":"${id}"`));

describe('startDashboard', () => {
  it('makes a 0600 token once and prints the login URL only then', async () => {
    running = await start();
    expect(running.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(running.loginUrl).toMatch(/\/login#token=[\w-]{43}$/);
    expect(statSync(join(t.dir, 'dashboard-token')).mode & 0o777).toBe(0o600);
    await running.close();
    running = await start();
    expect(running.loginUrl).toBeUndefined();
  });

  it('warns when listening beyond loopback, and parses HOST:PORT', () => {
    expect(listenWarnings({ host: '127.0.0.1', port: 8081 })).toEqual([]);
    expect(listenWarnings({ host: '::1', port: 8081 })).toEqual([]);
    expect(listenWarnings({ host: '0.0.0.0', port: 8081 })[0]).toMatch(/not on loopback/);
    expect(parseListen('[::1]:9000')).toEqual({ host: '::1', port: 9000 });
    expect(() => parseListen('8081')).toThrow(/HOST:PORT/);
    expect(() => parseListen('127.0.0.1:99999')).toThrow('port 99999 is out of range (0–65535)');
  });
});

describe('live updates (SSE)', () => {
  it('sends flows and masked findings written by this process (the proxy passes its store)', async () => {
    running = await start();
    const cookie = await login(running);
    const got = listen(running, cookie, has('finding', 'live-1'));
    await new Promise((r) => setTimeout(r, 200)); // connected
    const w = store.writer();
    w.flow(flowRecord({ id: 'flow-live' }));
    w.finding(finding({ id: 'live-1', flowId: 'flow-live', evidence: { excerpt: '13••••78', value: '13912345678' } }));
    w.flush();
    const events = await got;
    expect(events[0]).toMatch(/^id: \d+\nevent: hello/);
    expect(has('flow', 'flow-live')(events)).toBe(true);
    expect(has('finding', 'live-1')(events)).toBe(true);
    expect(events.join('')).not.toContain('13912345678');
  });

  it('sends what another connection writes (toyscope dashboard beside a replay), by polling data_version', async () => {
    running = await start();
    const cookie = await login(running);
    const got = listen(running, cookie, has('finding', 'other-1'));
    await new Promise((r) => setTimeout(r, 200));
    const other = openStore(store.path, { batchMs: 5 });
    const w = other.writer();
    w.flow(flowRecord({ id: 'flow-other' }));
    w.finding(finding({ id: 'other-1', flowId: 'flow-other' }));
    other.close();
    expect(has('finding', 'other-1')(await got)).toBe(true);
  });

  it('refuses the stream without a session', async () => {
    running = await start();
    const res = await fetch(`${running.url}api/events`);
    expect(res.status).toBe(401);
  });
});
