/**
 * Search by value and the overview's timeline over a big store (1,000,000 findings, bench/dashboard-store.ts) whose
 * findings carry search keys of four kinds: a device MAC (10 keys, 25,000 findings each), a contact's phone number
 * (5,000 keys), a child's name (2,000 keys) and a serial number unique to each finding (250,000 keys), set in bulk
 * (the schema's triggers fill value_destinations as each finding gets its key). p50/p99 of
 * `POST /api/search` and `GET /api/timeline` through Fastify (`inject`) beside the first page of `/api/findings` in
 * the same run (the list route the dashboard already holds to ≤ 100 ms); the timeline also beside the GROUP BY over
 * the findings table it replaces. And the writer's cost of a search key: findings per second with a personal value
 * (key row + pointer) beside findings without one, into fresh stores.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { buildDashboard } from '../dashboard/server.ts';
import { defaultConfig } from '../src/config.ts';
import { openStore } from '../src/store/db.ts';
import { finding, flowRecord } from '../testkit/records.ts';
import { time as timeOf } from './dashboard.bench.ts';
import { makeBigStore } from './dashboard-store.ts';
import { round } from './measure.ts';
import type { Bench } from './run.ts';

const SHAPE = { devices: 10, flows: 100_000, messagesPerFlow: 1, findings: 1_000_000 };
const ROUNDS = 100;
const WRITE_ROWS = 100_000;
const time = (fn: () => unknown, rounds = ROUNDS) => timeOf(fn, rounds);
const TOKEN = 'bench-token-0123456789abcdefghijklmnopqrstuvwxyz';
const CORPUS = '1M findings, 257k search keys';

/** The key of the findings row `r` (`k` = its number / 4), in the normalised form search.ts makes. */
const keySql = (r: string) => `CASE (${r}.rowid - 1) % 4
  WHEN 0 THEN printf('0200000000%02d', ((${r}.rowid - 1) / 4) % ${SHAPE.devices})
  WHEN 1 THEN '86138' || printf('%08d', ((${r}.rowid - 1) / 4) % 5000)
  WHEN 2 THEN 'child' || (((${r}.rowid - 1) / 4) % 2000)
  ELSE 'sn' || printf('%010d', (${r}.rowid - 1) / 4) END`;

/** Gives every finding of the big store a search key, inside SQLite (the writer's work, done in bulk). */
function addSearchKeys(file: string): number {
  const t0 = performance.now();
  const db = new Database(file);
  db.pragma('synchronous = OFF');
  db.transaction(() => {
    db.exec(`INSERT OR IGNORE INTO search_values (key) SELECT ${keySql('f')} FROM findings f`);
    db.exec(`UPDATE findings SET value_key = (SELECT id FROM search_values WHERE key = ${keySql('findings')})`);
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.exec('ANALYZE');
  db.close();
  return (performance.now() - t0) / 1000;
}

/** Findings per second through the real writer into a fresh store, with or without a personal value. */
function writeRate(dir: string, personal: boolean): number {
  const store = openStore(join(dir, `write-${personal}.db`), { batchMs: 60_000 });
  const w = store.writer();
  w.flow(flowRecord({ id: 'fl' }));
  const t0 = performance.now();
  for (let i = 0; i < WRITE_ROWS; i++) {
    const value = `+86 138 ${String(i % 5000).padStart(8, '0')}`;
    w.finding(
      finding({
        id: `f${i}`,
        flowId: 'fl',
        firstTs: 1_714_521_600_000_000 + i * 1000,
        evidence: personal ? { excerpt: '+86•••', value } : { excerpt: value, value },
      }),
    );
  }
  w.flush();
  const s = (performance.now() - t0) / 1000;
  store.close();
  return Math.round(WRITE_ROWS / s);
}

const bench: Bench = async (emit) => {
  const dir = mkdtempSync(join(tmpdir(), 'toyscope-search-bench-'));
  try {
    const file = join(dir, 'toyscope.db');
    const made = makeBigStore(file, SHAPE) + addSearchKeys(file);
    const keys = new Database(file, { readonly: true });
    const keyCount = (keys.prepare('SELECT count(*) AS n FROM search_values').get() as { n: number }).n;
    keys.close();
    emit({ bench: 'dashboard-search', corpus: CORPUS, what: 'generate', keys: keyCount, seconds: round(made) });

    const store = openStore(file);
    const app = await buildDashboard({ store, token: TOKEN, config: defaultConfig });
    const login = await app.inject({ method: 'POST', url: '/api/session', payload: { token: TOKEN } });
    const cookie = String(login.headers['set-cookie']).split(';')[0]!;
    const call = async (method: 'GET' | 'POST', url: string, payload?: object) => {
      const res = await app.inject({ method, url, headers: { cookie }, ...(payload ? { payload } : {}) });
      if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body.slice(0, 200)}`);
      return res;
    };
    const ref = await time(() => call('GET', '/api/findings?limit=100'));
    emit({ bench: 'dashboard-search', corpus: CORPUS, route: 'findings', what: 'first page (reference)', ...ref });

    const searches: Array<[string, object]> = [
      ['device MAC in another notation (25,000 findings)', { q: '02-00-00-00-00-03' }],
      ['phone number, other notation (50 findings)', { q: '+86 138 0000 4321' }],
      ['phone number by its last 4 digits', { q: '4321' }],
      ['3 digits common to > 200 keys', { q: '000' }],
      ['part of a unique serial', { q: 'SN-0000123' }],
      ['name, whole value', { q: 'Child 77', match: 'exact' }],
      ['no match', { q: 'zz-zz-zz' }],
    ];
    for (const [what, body] of searches) {
      const t = await time(() => call('POST', '/api/search', { ...body, limit: 100 }));
      const r = (await call('POST', '/api/search', { ...body, limit: 100 })).json();
      emit({
        bench: 'dashboard-search',
        corpus: CORPUS,
        route: 'search',
        what,
        values: r.values,
        more_values: r.moreValues,
        items: r.items.length,
        destinations: r.destinations.length,
        findings: r.findings,
        ...t,
        reference_p99_ms: ref.p99,
        ratio: round(ref.p99 / t.p99, 2),
        goal_p99_ms: 300,
      });
    }

    const raw = new Database(file, { readonly: true });
    const tl = (await call('GET', '/api/timeline')).json();
    const t = await time(() => call('GET', '/api/timeline'));
    const group = raw.prepare(
      'SELECT category, first_ts / ? AS b, count(*) FROM findings WHERE first_ts BETWEEN ? AND ? GROUP BY 1, 2',
    );
    const last = tl.ts.length - 1;
    const g = await time(() => group.all(tl.bucketUs, tl.ts[0], tl.ts[last] + tl.bucketUs), 10);
    emit({
      bench: 'dashboard-search',
      corpus: CORPUS,
      route: 'timeline',
      what: 'whole record, all categories',
      bucket_min: tl.bucketUs / 60_000_000,
      buckets: tl.ts.length,
      ...t,
      reference_group_by_findings_p50_ms: g.p50,
      ratio: round(g.p50 / t.p50, 1),
    });
    raw.close();
    await app.close();
    store.close();

    const without = writeRate(dir, false);
    const withKey = writeRate(dir, true);
    emit({
      bench: 'dashboard-search',
      corpus: `${WRITE_ROWS} findings through the writer`,
      what: 'writer: findings/s with a search key vs without',
      with_key_per_s: withKey,
      without_per_s: without,
      ratio: round(withKey / without, 2),
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

export default bench;
