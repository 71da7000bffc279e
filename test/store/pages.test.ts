import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, PageQueryError } from '../../src/store/pages.ts';
import type { Store } from '../../src/store/types.ts';
import { finding, flowRecord, MAC, T0 } from '../../testkit/records.ts';
import { eachTempStore } from '../helpers/temp-store.ts';

let store: Store;
eachTempStore((s) => {
  store = s;
});

/** 2 flows (one per capture), 30 findings spread over categories, hosts and time. */
function seed(): void {
  const w = store.writer();
  w.flow(flowRecord({ id: 'flow-1', captureId: 'cap-1' }));
  w.flow(
    flowRecord({
      id: 'flow-2',
      captureId: 'cap-2',
      tls: 'none',
      destination: { host: 'track.ads.example', etld1: 'ads.example', thirdParty: true },
    }),
  );
  for (let i = 0; i < 30; i++) {
    const second = i % 3 === 0;
    w.finding(
      finding({
        id: `f${i}`,
        flowId: second ? 'flow-2' : 'flow-1',
        category: i % 2 ? 'voice' : 'location',
        firstTs: T0 + Math.floor(i / 2) * 10, // pairs share a first_ts: the cursor must break ties
        encrypted: !second,
        destination: second
          ? { host: 'track.ads.example', etld1: 'ads.example', thirdParty: true }
          : { host: 'api.toycloud.example', etld1: 'toycloud.example', thirdParty: false },
      }),
    );
  }
  w.flush();
}

describe('keyset pages', () => {
  it('walks every finding once, newest first, with the total from the summary rows', () => {
    seed();
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = store.pages.findings({}, { cursor, limit: 7 });
      expect(page.total).toBe(30);
      seen.push(...page.items.map((f) => f.id));
      cursor = page.next;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(5);
    expect(new Set(seen).size).toBe(30);
    const ts = seen.map((id) => Number(id.slice(1)));
    expect(ts.map((i) => Math.floor(i / 2))).toEqual([...ts.map((i) => Math.floor(i / 2))].sort((a, b) => b - a));
  });

  it('filters and counts by every summary dimension', () => {
    seed();
    const count = (q: Parameters<Store['pages']['findings']>[0]) => {
      const page = store.pages.findings(q, { limit: 1000 });
      return [page.items.length, page.total];
    };
    expect(count({ category: 'voice' })).toEqual([15, 15]);
    expect(count({ thirdParty: true })).toEqual([10, 10]);
    expect(count({ encrypted: false, category: 'location' })).toEqual([5, 5]);
    expect(count({ captureId: 'cap-2' })).toEqual([10, 10]);
    expect(count({ etld1: 'toycloud.example', deviceId: MAC })).toEqual([20, 20]);
    expect(count({ host: 'track.ads.example' })).toEqual([10, 10]);
    // time and subtype: no summary row answers them, so no total
    expect(count({ sinceTs: T0 + 100 })).toEqual([10, undefined]);
    expect(count({ subtype: 'raw-pcm' })).toEqual([30, undefined]);
    const flows = store.pages.flows({ tls: 'none' });
    expect([flows.items.map((f) => f.id), flows.total]).toEqual([['flow-2'], 1]);
  });

  it('tags by experiment at query time: its window, and its device when it names one', () => {
    seed();
    const e = store.startExperiment({ name: 'consent off', startTs: T0 + 50, endTs: T0 + 99 });
    expect(
      store.pages
        .findings({ experimentId: e.id }, { limit: 100 })
        .items.map((f) => f.id)
        .sort(),
    ).toEqual(['f10', 'f11', 'f12', 'f13', 'f14', 'f15', 'f16', 'f17', 'f18', 'f19'].sort());
    const other = store.startExperiment({ name: 'other device', startTs: T0, deviceId: 'aa:bb:cc:dd:ee:ff' });
    expect(store.pages.findings({ experimentId: other.id }).items).toEqual([]);
    expect(store.pages.findings({ experimentId: 999 }).items).toEqual([]);
  });

  it('keeps the summary rows true through updates and deletes', () => {
    seed();
    const w = store.writer();
    w.finding(finding({ id: 'f1', flowId: 'flow-1', firstTs: T0, encrypted: false })); // moves to unencrypted
    w.finding(finding({ id: 'f1', flowId: 'flow-1', firstTs: T0, encrypted: false, lastTs: T0 + 9 })); // same
    w.flush();
    expect(store.pages.findings({ encrypted: false }).total).toBe(11);
    expect(store.pages.findings({ encrypted: true }).total).toBe(19);
    store.purge({ everything: true, captureId: 'cap-2' });
    expect(store.pages.findings({}).total).toBe(20);
    expect(store.pages.flows({}).total).toBe(1);
  });

  it('rejects a forged cursor and an out-of-range limit', () => {
    expect(decodeCursor(encodeCursor(T0, 42))).toEqual([T0, 42]);
    expect(() => decodeCursor('not-a-cursor')).toThrow(PageQueryError);
    expect(() => decodeCursor(Buffer.from("1.2' OR 1=1").toString('base64url'))).toThrow(PageQueryError);
    expect(() => store.pages.findings({}, { limit: 0 })).toThrow(PageQueryError);
    expect(() => store.pages.findings({}, { limit: 100_000 })).toThrow(PageQueryError);
  });
});

describe('change feed', () => {
  it('returns what each commit stamped, in batches that lose nothing, and tells onCommit', () => {
    const revs: number[] = [];
    store.onCommit((rev) => revs.push(rev));
    const start = store.pages.rev();
    seed(); // one commit: 2 flows, 30 findings
    const w = store.writer();
    w.finding(finding({ id: 'f3', flowId: 'flow-2', lastTs: T0 + 999 })); // an update: stamped again
    w.flush();
    expect(revs).toEqual([start + 1, start + 2]);
    const all = store.pages.changes(start);
    expect([all.flows.length, all.findings.length, all.more, all.rev]).toEqual([2, 30, false, start + 2]);
    expect(store.pages.changes(start + 1).findings.map((f) => f.id)).toEqual(['f3']);
    // A batch smaller than one commit: that commit comes whole-or-skipped, never half and silent.
    const cut = store.pages.changes(start, 10);
    expect(cut.skipped).toBe(true);
    expect(cut.more).toBe(true);
    const next = store.pages.changes(cut.rev, 10);
    expect(next.findings.map((f) => f.id)).toEqual(['f3']);
    expect(next.more).toBe(false);
  });
});

describe('EXPLAIN QUERY PLAN', () => {
  /** The plan of a page query (first page, or from a cursor), as its detail lines. */
  function plan(table: 'findings' | 'flows', filter: object, cursor?: string): string[] {
    const q = store.pages.pageSql(table, filter, { cursor, limit: 50 });
    const db = new Database(store.path, { readonly: true });
    try {
      return (db.prepare(`EXPLAIN QUERY PLAN ${q.sql}`).all(q.params) as { detail: string }[]).map((r) => r.detail);
    } finally {
      db.close();
    }
  }

  const cursor = encodeCursor(T0 + 100, 7);
  const findingFilters: Record<string, object> = {
    none: {},
    device: { deviceId: MAC },
    category: { category: 'voice' },
    'device+category': { deviceId: MAC, category: 'voice' },
    destination: { etld1: 'toycloud.example' },
    host: { host: 'api.toycloud.example' },
    'third party': { thirdParty: true },
    encrypted: { encrypted: false },
    capture: { captureId: 'cap-1' },
    'time range': { sinceTs: T0, untilTs: T0 + 1000 },
  };
  for (const [name, filter] of Object.entries(findingFilters)) {
    it(`findings by ${name}: an index, no sort, no scan`, () => {
      for (const c of [undefined, cursor]) {
        const p = plan('findings', filter, c);
        expect(p.join(' | ')).toMatch(/USING (COVERING )?INDEX findings_/);
        expect(p.join(' | ')).not.toMatch(/TEMP B-TREE/);
      }
    });
  }
  it('findings by experiment: its window and device use an index', () => {
    const e = store.startExperiment({ name: 'x', startTs: T0, endTs: T0 + 10, deviceId: MAC });
    const p = plan('findings', { experimentId: e.id }).join(' | ');
    expect(p).toMatch(/USING INDEX findings_device/);
    expect(p).not.toMatch(/TEMP B-TREE/);
  });

  const flowFilters: Record<string, object> = {
    none: {},
    device: { deviceId: MAC },
    capture: { captureId: 'cap-1' },
    destination: { etld1: 'toycloud.example' },
    host: { host: 'api.toycloud.example' },
    'third party': { thirdParty: false },
    tls: { tls: 'opaque' },
    transport: { transport: 'mqtt' },
    'time range': { sinceTs: T0 },
  };
  for (const [name, filter] of Object.entries(flowFilters)) {
    it(`flows by ${name}: an index, no sort, no scan`, () => {
      for (const c of [undefined, cursor]) {
        const p = plan('flows', filter, c).join(' | ');
        expect(p).toMatch(/USING (COVERING )?INDEX flows_/);
        expect(p).not.toMatch(/TEMP B-TREE/);
      }
    });
  }
});
