import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../src/model/finding.ts';
import { openStore } from '../../src/store/db.ts';
import { migrate } from '../../src/store/migrations.ts';
import { findingSearchKey, MAX_SEARCH_KEY_CHARS, SearchQueryError, searchKey } from '../../src/store/search.ts';
import type { Store } from '../../src/store/types.ts';
import { finding, flowRecord, T0 } from '../../testkit/records.ts';
import { eachTempStore } from '../helpers/temp-store.ts';

let store: Store;
let dir: string;
eachTempStore((s, d) => {
  store = s;
  dir = d;
});

const ids = (r: { items: Finding[] }) => r.items.map((f) => f.id);

/** A personal value (masked excerpt) sent by `device` to `host`. */
function valueFinding(id: string, value: string, over: Partial<Finding> = {}): Finding {
  return finding({
    id,
    flowId: 'fl',
    category: 'identifiers',
    subtype: 'mac',
    evidence: { excerpt: '••••', value },
    ...over,
  });
}

function seed(...fs: Finding[]): void {
  const w = store.writer();
  w.flow(flowRecord({ id: 'fl' }));
  for (const f of fs) w.finding(f);
  w.flush();
}

describe('search keys', () => {
  it('are NFKC, lower case, letters and digits only, cut at MAX_SEARCH_KEY_CHARS', () => {
    expect(searchKey('AA-BB-CC-DD-EE-FF')).toBe('aabbccddeeff');
    expect(searchKey('aa:bb:cc:dd:ee:ff')).toBe('aabbccddeeff');
    expect(searchKey('aabb.ccdd.eeff')).toBe('aabbccddeeff');
    expect(searchKey('+86 (138) 1234-5678')).toBe('8613812345678');
    expect(searchKey('１３８ １２３４')).toBe('1381234'); // full-width digits
    expect(searchKey('Zhang Wei 张伟')).toBe('zhangwei张伟');
    expect(searchKey(`%_'"\\;--`)).toBe('');
    expect([...searchKey('x'.repeat(10_000))]).toHaveLength(MAX_SEARCH_KEY_CHARS);
  });

  it('are kept only for values with something masked', () => {
    expect(findingSearchKey({ evidence: { excerpt: '••••', value: 'AA:BB' } })).toBe('aabb');
    expect(findingSearchKey({ evidence: { excerpt: '1 face in image/jpeg', value: '1 face in image/jpeg' } })).toBe(
      undefined,
    );
    expect(findingSearchKey({ evidence: { excerpt: '••' } })).toBe(undefined);
  });
});

describe('search by value', () => {
  it('finds a MAC written in another notation, newest first, masked, with its destinations', () => {
    seed(
      valueFinding('a', 'AA:BB:CC:DD:EE:FF', { firstTs: T0 + 1 }),
      valueFinding('b', 'aabbccddeeff', {
        firstTs: T0 + 2,
        deviceId: 'dev-2',
        destination: { host: 'track.ads.example', etld1: 'ads.example', thirdParty: true },
      }),
      valueFinding('c', '11:22:33:44:55:66', { firstTs: T0 + 3 }),
    );
    const r = store.search.search({ q: 'aa-bb-cc-dd-ee-ff' });
    expect(r).toMatchObject({ match: 'contains', values: 1, moreValues: false, findings: 2 });
    expect(ids(r)).toEqual(['b', 'a']);
    expect(r.items[0]?.evidence).toEqual({ excerpt: '••••' });
    expect(r.destinations).toEqual([
      expect.objectContaining({ host: 'api.toycloud.example', deviceId: finding().deviceId, findings: 1 }),
      expect.objectContaining({ host: 'track.ads.example', deviceId: 'dev-2', thirdParty: true, findings: 1 }),
    ]);
    expect(r.destinations[1]).toMatchObject({ categories: ['identifiers'], firstTs: T0 + 2 });
  });

  it('finds a phone number by its last digits; short queries match whole values only', () => {
    seed(
      valueFinding('p', '+8613812345678', { category: 'contacts', subtype: 'phone-number' }),
      valueFinding('n', '李明'),
      valueFinding('m', '欧阳明华'),
    );
    expect(ids(store.search.search({ q: '5678' }))).toEqual(['p']);
    expect(ids(store.search.search({ q: '138 1234 5678' }))).toEqual(['p']);
    expect(store.search.search({ q: '李明' })).toMatchObject({ match: 'exact', values: 1, items: [{ id: 'n' }] });
    expect(ids(store.search.search({ q: '明华' }))).toEqual([]);
    expect(ids(store.search.search({ q: '阳明华' }))).toEqual(['m']);
    expect(store.search.search({ q: '5678', match: 'exact' }).items).toEqual([]);
    expect(store.search.search({ q: '+86 138 1234 5678', match: 'exact' }).items.map((f) => f.id)).toEqual(['p']);
  });

  it('answers nothing for no match, refuses a query with no letter or digit, and takes hostile text literally', () => {
    seed(valueFinding('a', 'AA:BB:CC:DD:EE:FF'));
    expect(store.search.search({ q: 'ffee' })).toMatchObject({ values: 0, items: [], destinations: [] });
    for (const q of ['%', '_', '"', "'", '*', '%%%___']) {
      expect(() => store.search.search({ q })).toThrow(SearchQueryError);
    }
    // FTS5 syntax and LIKE wildcards are punctuation: removed, not interpreted.
    expect(ids(store.search.search({ q: '"bb" OR * NEAR(cc)' }))).toEqual([]);
    expect(ids(store.search.search({ q: 'b%b_c"c' }))).toEqual(['a']);
  });

  it('gives every finding of a value repeated in one batch its key, and a key again after a purge removed it', () => {
    const w = store.writer();
    w.flow(flowRecord({ id: 'fl' }));
    for (const id of ['a', 'b', 'c'])
      w.finding(valueFinding(id, 'AA:BB:CC:DD:EE:FF', { firstTs: T0 + id.charCodeAt(0) }));
    w.flush();
    expect(ids(store.search.search({ q: 'aabbccddeeff' }))).toEqual(['c', 'b', 'a']);
    w.finding(valueFinding('d', 'AA:BB:CC:DD:EE:FF'));
    store.purge({}); // commits d, then removes every value and its key
    w.flow(flowRecord({ id: 'fl' }));
    w.finding(valueFinding('e', 'AA:BB:CC:DD:EE:FF'));
    w.flush();
    expect(ids(store.search.search({ q: 'aabbccddeeff' }))).toEqual(['e']);
  });

  it('keeps one key per distinct value and follows a finding updated in place', () => {
    seed(valueFinding('a', 'AA:BB:CC:DD:EE:FF'), valueFinding('b', 'aa-bb-cc-dd-ee-ff'));
    store.writer().finding(valueFinding('a', 'Zhang Wei'));
    store.writer().flush();
    expect(ids(store.search.search({ q: 'zhangwei' }))).toEqual(['a']);
    expect(ids(store.search.search({ q: 'aabbcc' }))).toEqual(['b']);
    store.writer().finding(valueFinding('b', 'Li Lei'));
    store.writer().flush();
    // The MAC's key is left behind until a purge, but no finding carries it: no match.
    expect(store.search.search({ q: 'aabbcc' })).toMatchObject({ values: 0, items: [], destinations: [] });
    expect(store.search.search({ q: 'aabbccddeeff', match: 'exact' }).values).toBe(0);
  });

  it('keeps where each value went exact through updates in place, moves and purges', () => {
    const tracker = { host: 'track.ads.example', etld1: 'ads.example', thirdParty: true };
    const many = Array.from({ length: 30 }, (_, i) => valueFinding(`m${i}`, 'AA:BB:CC:DD:EE:FF', { firstTs: T0 + i }));
    seed(...many, valueFinding('t', 'aabbccddeeff', { firstTs: T0 + 100, lastTs: T0 + 100, destination: tracker }));
    const where = () =>
      store.search.search({ q: 'aabbccddeeff' }).destinations.map((d) => [d.host, d.findings, d.lastTs]);
    expect(where()).toEqual([
      ['api.toycloud.example', 30, T0 + 200],
      ['track.ads.example', 1, T0 + 100],
    ]);
    const w = store.writer();
    w.finding(valueFinding('t', 'aabbccddeeff', { firstTs: T0 + 100, lastTs: T0 + 900, destination: tracker }));
    w.finding(valueFinding('m0', 'Zhang Wei', { firstTs: T0 })); // another value now
    w.flush();
    expect(where()).toEqual([
      ['api.toycloud.example', 29, T0 + 200],
      ['track.ads.example', 1, T0 + 900],
    ]);
    expect(store.search.search({ q: 'aabbccddeeff' }).findings).toBe(30);
    store.purge({ beforeTs: T0 + 1000 }); // every value
    expect(where()).toEqual([]);
  });

  it('lists the newest findings from the value index without a sort of the table', () => {
    const db = new Database(store.path, { readonly: true });
    const plan = db
      .prepare(
        'EXPLAIN QUERY PLAN SELECT *, rowid AS rowid_ FROM findings WHERE value_key = ? ORDER BY first_ts DESC, rowid DESC LIMIT ?',
      )
      .all(1, 10) as { detail: string }[];
    db.close();
    expect(plan.map((p) => p.detail).join('\n')).toMatch(/USING INDEX findings_value_key/);
    expect(plan.map((p) => p.detail).join('\n')).not.toMatch(/TEMP B-TREE/);
  });

  it('forgets purged values: keys and their trigrams go with the value', () => {
    seed(valueFinding('a', 'AA:BB:CC:DD:EE:FF'));
    store.purge({});
    expect(store.search.search({ q: 'aabbcc' }).items).toEqual([]);
    const db = new Database(store.path, { readonly: true });
    expect(db.prepare('SELECT count(*) AS n FROM search_values').get()).toEqual({ n: 0 });
    expect(db.prepare('SELECT count(*) AS n FROM value_destinations').get()).toEqual({ n: 0 });
    expect(
      db.prepare('SELECT count(*) AS n FROM search_trigrams WHERE search_trigrams MATCH \'"bbcc"\'').get(),
    ).toEqual({ n: 0 });
    db.close();
  });
});

describe('migration 9', () => {
  it('gives the findings of a version 8 database their keys and keeps every row', () => {
    store.close();
    const file = join(dir, 'v8.db');
    const db = new Database(file);
    migrate(db, 8);
    db.exec(`INSERT INTO flows (id, device_id, client_ip, client_port, server_ip, server_port, transport, tls, source,
        first_ts, last_ts, destination_host, destination_etld1)
      VALUES ('f1', 'd', '127.0.0.2', 1, '127.0.0.1', 2, 'http', 'none', 'capture', 1, 1, 'h', 'h')`);
    const add = db.prepare(`INSERT INTO findings (id, flow_id, device_id, category, subtype, confidence, first_ts,
        last_ts, direction, destination_host, destination_third_party, encrypted, excerpt, value)
      VALUES (?, 'f1', 'd', ?, 'x', 0.9, ?, ?, 'upload', 'h', 0, 0, ?, ?)`);
    add.run('mac', 'identifiers', T0, T0, '••••', 'AA-BB-CC-DD-EE-FF');
    add.run('face', 'face', T0 + 60_000_000, T0 + 60_000_000, '1 face', '1 face');
    add.run('purged', 'contacts', T0, T0, '••••', null);
    db.close();
    store = openStore(file);
    expect(store.countFindings()).toBe(3);
    expect(ids(store.search.search({ q: 'aa:bb:cc' }))).toEqual(['mac']);
    expect(store.search.search({ q: '1 face' }).items).toEqual([]);
    expect(store.timeline.findings()).toMatchObject({
      series: { identifiers: [1, 0], contacts: [1, 0], face: [0, 1] },
    });
  });
});
