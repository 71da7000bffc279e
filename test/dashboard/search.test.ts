import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildDashboard } from '../../dashboard/server.ts';
import { defaultConfig } from '../../src/config.ts';
import { finding } from '../../testkit/records.ts';
import { type Harness, HOST, harness, sessionCookie, T0, TOKEN } from './helpers.ts';

let h: Harness;
beforeEach(async () => {
  h = await harness();
  // A device MAC sent to the first party (the seed has a phone number sent to a third party).
  h.store.writer().finding(
    finding({
      id: 'c1/1/f1',
      flowId: 'c1/1',
      category: 'identifiers',
      subtype: 'mac',
      firstTs: T0 + 7000,
      evidence: { excerpt: 'AA••••••••••••••FF', value: 'AA:BB:CC:DD:EE:FF' },
      detail: {},
    }),
  );
  h.store.writer().flush();
});
afterEach(() => h.close());

const search = (payload: unknown, app = h.app, cookie = h.cookie) =>
  app.inject({ method: 'POST', url: '/api/search', headers: { host: HOST, cookie }, payload: payload as object });

describe('POST /api/search', () => {
  it('finds a MAC written in another notation, with the finding and where it went', async () => {
    const res = await search({ q: 'aa-bb-cc-dd-ee-ff' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ match: 'contains', values: 1, moreValues: false, findings: 1 });
    expect(body.items.map((f: { id: string }) => f.id)).toEqual(['c1/1/f1']);
    expect(body.destinations).toEqual([
      {
        host: 'api.toycloud.example',
        etld1: 'toycloud.example',
        operator: 'ToyCo',
        thirdParty: false,
        deviceId: '02:00:00:00:00:01',
        findings: 1,
        categories: ['identifiers'],
        firstTs: T0 + 7000,
        lastTs: T0 + 200,
      },
    ]);
    expect((await search({ q: 'AABB.CCDD.EEFF' })).json().items).toHaveLength(1);
  });

  it('finds a phone number by its last digits, masked in the answer', async () => {
    const res = await search({ q: '5678' });
    const body = res.json();
    expect(body.items.map((f: { id: string }) => f.id)).toEqual(['c1/2/f0']);
    expect(body.items[0].evidence).toEqual({ excerpt: '138••••5678', evidenceId: 'c1/2/e0' });
    expect(body.destinations[0]).toMatchObject({ host: 'track.ads.example', thirdParty: true });
    expect(res.body).not.toContain('13812345678');
    // Searching reveals nothing by itself: no reveal log entry.
    expect(h.store.listReveals()).toEqual([]);
  });

  it('answers an empty result when nothing matches', async () => {
    const res = await search({ q: '99:88:77:66' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ values: 0, items: [], destinations: [], findings: 0 });
    expect((await search({ q: '5678', match: 'exact' })).json().items).toEqual([]);
  });

  it('answers hostile or malformed queries with a clear 400, never a crash', async () => {
    for (const q of ['%', '_', '%_%', "'", '"', '*', '(', '\u0000']) {
      const res = await search({ q });
      expect([q, res.statusCode]).toEqual([q, 400]);
      expect(res.json().error).toMatch(/letters or digits/);
    }
    for (const payload of [
      { q: 'x'.repeat(257) },
      { q: '' },
      {},
      { q: { a: 1 } },
      { q: 'ab', match: 'like' },
      { q: 'a', x: 1 },
    ]) {
      const res = await search(payload);
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toBeTypeOf('string');
    }
    expect((await search({ q: 'x'.repeat(100_000) })).statusCode).toBe(413); // past the body limit
    // Wildcards, quotes and SQL inside a value are punctuation and letters: searched for, never interpreted.
    expect((await search({ q: '"; DROP TABLE findings; --' })).json()).toMatchObject({ values: 0, items: [] });
    expect((await search({ q: "5'6%7_8" })).json().items.map((f: { id: string }) => f.id)).toEqual(['c1/2/f0']);
    expect(
      (await h.app.inject({ method: 'GET', url: '/api/findings', headers: { host: HOST, cookie: h.cookie } })).json()
        .total,
    ).toBe(3);
  });

  it('keeps the value out of the server log', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const app = await buildDashboard({
      store: h.store,
      token: TOKEN,
      config: defaultConfig,
      allowedHosts: new Set([HOST]),
      logger: { level: 'trace', stream },
    });
    const cookie = await sessionCookie(app);
    expect((await search({ q: '138-1234-5678' }, app, cookie)).json().items).toHaveLength(1);
    expect((await search({ q: '%%' }, app, cookie)).statusCode).toBe(400);
    await app.close();
    const log = lines.join('');
    expect(log).toContain('value search');
    expect(log).not.toMatch(/1234|5678|%%/);
  });
});

describe('GET /api/timeline', () => {
  it('counts findings per category in buckets chosen from the range', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/api/timeline', headers: { host: HOST, cookie: h.cookie } });
    expect(res.statusCode).toBe(200);
    const minute = 60_000_000;
    expect(res.json()).toEqual({
      bucketUs: minute,
      ts: [Math.floor(T0 / minute) * minute],
      series: { voice: [1], contacts: [1], identifiers: [1] },
    });
    const day = await h.app.inject({
      method: 'GET',
      url: `/api/timeline?since=${T0}&until=${T0 + 86_400_000_000}`,
      headers: { host: HOST, cookie: h.cookie },
    });
    expect(day.json().bucketUs).toBe(15 * minute);
    expect(day.json().ts).toHaveLength(97);
    for (const q of ['since=-1', 'until=x', 'bucket=5']) {
      const bad = await h.app.inject({
        method: 'GET',
        url: `/api/timeline?${q}`,
        headers: { host: HOST, cookie: h.cookie },
      });
      expect([q, bad.statusCode]).toEqual([q, 400]);
    }
  });
});
