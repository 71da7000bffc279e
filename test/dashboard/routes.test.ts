import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config.ts';
import { finding, messageRecord } from '../../testkit/records.ts';
import { type Harness, HOST, harness, MAC, sessionCookie } from './helpers.ts';

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(() => h.close());

const get = (url: string, headers: Record<string, string> = {}) =>
  h.app.inject({ method: 'GET', url, headers: { host: HOST, cookie: h.cookie, ...headers } });
const post = (url: string, payload?: object) =>
  h.app.inject({ method: 'POST', url, headers: { host: HOST, cookie: h.cookie }, ...(payload ? { payload } : {}) });

describe('findings', () => {
  it('lists masked findings newest first, with the total from the summary rows', async () => {
    const res = await get('/api/findings');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.total).toBe(2);
    expect(body.items.map((f: { id: string }) => f.id)).toEqual(['c1/2/f0', 'c1/1/f0']);
    expect(body.items[0].evidence).toEqual({ excerpt: '138••••5678', evidenceId: 'c1/2/e0' });
    expect(res.body).not.toContain('13812345678');
  });

  it('filters by every list filter and pages with a cursor', async () => {
    const ids = async (q: string) => (await get(`/api/findings?${q}`)).json().items.map((f: { id: string }) => f.id);
    expect(await ids('category=contacts')).toEqual(['c1/2/f0']);
    expect(await ids('thirdParty=false')).toEqual(['c1/1/f0']);
    expect(await ids('encrypted=false')).toEqual(['c1/2/f0']);
    expect(await ids(`device=${encodeURIComponent(MAC)}&destination=toycloud.example`)).toEqual(['c1/1/f0']);
    expect(await ids('host=track.ads.example&capture=cap-1')).toEqual(['c1/2/f0']);
    expect(await ids('since=1700000000005000')).toEqual(['c1/2/f0']);
    const first = (await get('/api/findings?limit=1')).json();
    expect(first.next).toBeDefined();
    const second = (await get(`/api/findings?limit=1&cursor=${first.next}`)).json();
    expect(second.items.map((f: { id: string }) => f.id)).toEqual(['c1/1/f0']);
    expect(second.next).toBeUndefined();
  });

  it('answers 400 to a bad filter or a forged cursor', async () => {
    for (const q of ['category=<script>', 'limit=0', 'limit=5000', 'cursor=AAAA', 'since=-1', 'bogus=1']) {
      const res = await get(`/api/findings?${q}`);
      expect([q, res.statusCode]).toEqual([q, 400]);
      expect(res.json().error).toBeTypeOf('string');
    }
  });

  it('shows one finding (ids with / percent-encoded) with its flow, masked', async () => {
    const res = await get('/api/findings/c1%2F2%2Ff0');
    expect(res.statusCode).toBe(200);
    expect(res.json().finding.evidence.value).toBeUndefined();
    expect(res.json().flow.id).toBe('c1/2');
    expect((await get('/api/findings/nope')).statusCode).toBe(404);
  });

  it('reveals a value as a logged action', async () => {
    const res = await post('/api/findings/c1%2F2%2Ff0/reveal');
    expect(res.json()).toEqual({ id: 'c1/2/f0', value: '13812345678' });
    const log = (await get('/api/reveals')).json().items;
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ findingId: 'c1/2/f0', remote: '127.0.0.1' });
    expect(log[0].session).toMatch(/^[0-9a-f]{16}$/);
    expect(h.cookie).not.toContain(log[0].session);
  });
});

describe('flows, devices, destinations, captures', () => {
  it('lists flows with filters and shows one with its messages and findings', async () => {
    expect((await get('/api/flows?tls=none')).json()).toMatchObject({ total: 1, items: [{ id: 'c1/2' }] });
    const one = (await get('/api/flows/c1%2F1')).json();
    expect(one.flow.id).toBe('c1/1');
    expect(one.messages).toHaveLength(1);
    expect(one.findings.map((f: { id: string }) => f.id)).toEqual(['c1/1/f0']);
    expect(JSON.stringify(one)).not.toContain('RIFF-secret');
    expect((await get('/api/flows?tls=bogus')).statusCode).toBe(400);
  });

  it('shows message heads masked as the CLI masks them, and one flow as HAR', async () => {
    h.store.writer().message(
      messageRecord({
        flowId: 'c1/1',
        msgId: 1,
        url: '/v1/u/13812345678?kid=7',
        headers: [['X-Phone', '13812345678']],
      }),
    );
    h.store.writer().flush();
    const one = (await get('/api/flows/c1%2F1')).json();
    expect(one.messages[0].headers).toEqual([
      ['Host', 'api.toycloud.example'],
      ['Content-Type', 'audio/wav'],
    ]);
    expect(JSON.stringify(one.messages)).not.toContain('13812345678');
    expect(one.messages[1].headers[0][0]).toBe('X-Phone');
    const har = await get('/api/flows/c1%2F1/har');
    expect(har.statusCode).toBe(200);
    expect(har.json().log.entries[0].request).toMatchObject({ method: 'POST' });
    expect(har.body).not.toContain('13812345678');
    expect((await get('/api/flows/nope/har')).statusCode).toBe(404);
  });

  it('counts per device and destination from the summary rows', async () => {
    const devices = (await get('/api/devices')).json().items;
    expect(devices).toMatchObject([{ id: MAC, findings: 2, flows: 2, categories: { voice: 1, contacts: 1 } }]);
    const dests = (await get('/api/destinations?thirdParty=true')).json().items;
    expect(dests).toMatchObject([{ host: 'track.ads.example', categories: { contacts: 1 }, tls: { none: 1 } }]);
    expect((await get('/api/captures')).json().items.map((c: { id: string }) => c.id)).toEqual(['cap-1']);
  });

  it('says whether first-party hosts are configured, so "not third party" is not shown as first party', async () => {
    const all = (await get('/api/destinations')).json().items;
    expect(all.map((d: { firstPartyKnown: boolean }) => d.firstPartyKnown)).toEqual([true, true]);
    const finding = (await get('/api/findings/c1%2F1%2Ff0')).json();
    expect(finding).toMatchObject({ finding: { destination: { thirdParty: false } }, firstPartyKnown: true });
    const bare = await harness({}, defaultConfig);
    try {
      const get2 = (url: string) =>
        bare.app.inject({ method: 'GET', url, headers: { host: HOST, cookie: bare.cookie } });
      const items = (await get2('/api/destinations')).json().items;
      expect(items.map((d: { firstPartyKnown: boolean }) => d.firstPartyKnown)).toEqual([false, false]);
      expect((await get2('/api/findings/c1%2F1%2Ff0')).json().firstPartyKnown).toBe(false);
    } finally {
      bare.close();
    }
  });
});

const reveal = (id: string) => post(`/api/findings/${encodeURIComponent(id)}/reveal`);

describe('evidence', () => {
  it('serves a photo or a clip only to a session that revealed its finding (logged)', async () => {
    const before = await get('/api/evidence/c1%2F1%2Fe0');
    expect(before.statusCode).toBe(403);
    expect(before.json().error).toMatch(/^reveal the finding first/);
    expect(before.rawPayload.toString()).not.toContain('RIFF');
    expect((await reveal('c1/1/f0')).statusCode).toBe(200);
    expect(h.store.listReveals().map((r) => r.findingId)).toEqual(['c1/1/f0']);
    expect((await get('/api/evidence/c1%2F1%2Fe0')).statusCode).toBe(200);
    // Another session has revealed nothing.
    const other = await sessionCookie(h.app);
    const theirs = await h.app.inject({
      method: 'GET',
      url: '/api/evidence/c1%2F1%2Fe0',
      headers: { host: HOST, cookie: other },
    });
    expect(theirs.statusCode).toBe(403);
    // Nor does this one for a finding it did not reveal.
    expect((await get('/api/evidence/c1%2F2%2Fe0')).statusCode).toBe(403);
  });

  it('serves audio inline with ranges so a player can seek', async () => {
    const w = h.store.writer();
    w.finding(
      finding({ id: 'c1/1/f9', flowId: 'c1/1', evidence: { excerpt: 'Og••', value: 'OggS', evidenceId: 'c1/1/e1' } }),
    );
    w.flush();
    await reveal('c1/1/f0');
    await reveal('c1/1/f9');
    const whole = await get('/api/evidence/c1%2F1%2Fe0');
    expect(whole.statusCode).toBe(200);
    expect(whole.headers['content-type']).toBe('audio/wav');
    expect(whole.headers['content-disposition']).toBe('inline');
    expect(whole.headers['accept-ranges']).toBe('bytes');
    expect(whole.rawPayload.length).toBe(1000);
    const part = await get('/api/evidence/c1%2F1%2Fe0', { range: 'bytes=2-5' });
    expect(part.statusCode).toBe(206);
    expect(part.headers['content-range']).toBe('bytes 2-5/1000');
    expect([...part.rawPayload]).toEqual([70, 70, 7, 7]); // "FF" of RIFF, then the fill
    const tail = await get('/api/evidence/c1%2F1%2Fe0', { range: 'bytes=-3' });
    expect(tail.headers['content-range']).toBe('bytes 997-999/1000');
    const opus = await get('/api/evidence/c1%2F1%2Fe1');
    expect([opus.headers['content-type'], opus.headers['content-disposition']]).toEqual(['audio/ogg', 'inline']);
    const bad = await get('/api/evidence/c1%2F1%2Fe0', { range: 'bytes=5000-' });
    expect(bad.statusCode).toBe(416);
    expect(bad.headers['content-range']).toBe('bytes */1000');
  });

  it('sends anything else as an attachment of type octet-stream, sandboxed', async () => {
    await reveal('c1/2/f0');
    await reveal('c1/1/f0');
    const res = await get('/api/evidence/c1%2F2%2Fe0');
    expect(res.headers['content-type']).toBe('application/octet-stream');
    expect(res.headers['content-disposition']).toBe('attachment; filename="evidence-c1_2_e0.bin"');
    expect(res.headers['content-security-policy']).toMatch(/sandbox/);
    const forced = await get('/api/evidence/c1%2F1%2Fe0?download=true');
    expect(forced.headers['content-disposition']).toMatch(/^attachment/);
  });
});

describe('experiments', () => {
  it('starts and stops by name, one running per name', async () => {
    const started = await post('/api/experiments', { name: 'consent off', device: MAC, note: 'app toggle' });
    expect(started.statusCode).toBe(201);
    expect(started.json()).toMatchObject({ name: 'consent off', deviceId: MAC, notes: 'app toggle' });
    expect((await post('/api/experiments', { name: 'consent off' })).statusCode).toBe(409);
    const stopped = await post('/api/experiments/consent%20off/stop');
    expect(stopped.json().endTs).toBeGreaterThanOrEqual(started.json().startTs);
    expect((await post('/api/experiments/consent%20off/stop')).statusCode).toBe(404);
    expect((await get('/api/experiments')).json().items).toHaveLength(1);
    expect((await post('/api/experiments', { name: '' })).statusCode).toBe(400);
  });
});

describe('report', () => {
  it('renders HTML with only its own style sheet allowed, and JSON and CSV as downloads', async () => {
    const html = await get(`/api/report?device=${encodeURIComponent(MAC)}&lang=en`);
    expect(html.statusCode).toBe(200);
    expect(html.headers['content-security-policy']).toMatch(/style-src 'sha256-[A-Za-z0-9+/=]+'/);
    expect(html.headers['content-security-policy']).not.toMatch(/script-src|unsafe/);
    expect(html.body).toContain('Necessity');
    expect(html.body).not.toMatch(/<script/);
    // No language asked: English (the page asks for the UI's; Chinese needs CJK fonts to read).
    expect((await get(`/api/report?device=${encodeURIComponent(MAC)}`)).body).toContain('<html lang="en">');
    const json = await get(`/api/report?device=${encodeURIComponent(MAC)}&format=json`);
    expect(json.headers['content-disposition']).toMatch(/attachment/);
    expect(json.json().principles).toHaveLength(8);
    const csv = await get(`/api/report?device=${encodeURIComponent(MAC)}&format=csv&lang=zh-CN`);
    expect(csv.body).toContain('聚焦必要原则');
    expect((await get('/api/report?device=nobody')).statusCode).toBe(404);
  });
});
