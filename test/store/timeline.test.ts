import { describe, expect, it } from 'vitest';
import { MINUTE_US } from '../../src/store/migrations/010-finding-minutes.ts';
import { bucketFor, MAX_TIMELINE_BUCKETS } from '../../src/store/timeline.ts';
import type { Store } from '../../src/store/types.ts';
import { finding, flowRecord, T0 } from '../../testkit/records.ts';
import { eachTempStore } from '../helpers/temp-store.ts';

let store: Store;
eachTempStore((s) => {
  store = s;
});

const M0 = Math.floor(T0 / MINUTE_US) * MINUTE_US; // a whole minute
const HOUR = 60 * MINUTE_US;

describe('timeline', () => {
  it('picks the smallest bucket that keeps the range within MAX_TIMELINE_BUCKETS', () => {
    expect(bucketFor(1)).toBe(MINUTE_US);
    expect(bucketFor(MAX_TIMELINE_BUCKETS * MINUTE_US)).toBe(MINUTE_US);
    expect(bucketFor(MAX_TIMELINE_BUCKETS * MINUTE_US + 1)).toBe(2 * MINUTE_US);
    expect(bucketFor(24 * HOUR)).toBe(15 * MINUTE_US);
    expect(bucketFor(30 * 24 * HOUR)).toBe(360 * MINUTE_US);
  });

  it('counts findings per category and bucket once each, updates in place included, and forgets purged ones', () => {
    const w = store.writer();
    w.flow(flowRecord({ id: 'fl' }));
    const at = (id: string, category: 'voice' | 'location', ts: number) =>
      finding({ id, flowId: 'fl', category, firstTs: ts, lastTs: ts });
    w.finding(at('a', 'voice', M0));
    w.finding(at('b', 'voice', M0 + 30_000_000));
    w.finding(at('c', 'location', M0 + 3 * MINUTE_US));
    w.finding({ ...at('a', 'voice', M0), lastTs: M0 + 2 * MINUTE_US, final: true }); // same finding, updated
    w.flush();
    expect(store.timeline.findings()).toEqual({
      bucketUs: MINUTE_US,
      ts: [M0, M0 + MINUTE_US, M0 + 2 * MINUTE_US, M0 + 3 * MINUTE_US],
      series: { voice: [2, 0, 0, 0], location: [0, 0, 0, 1] },
    });
    // A range of a day: 15-minute buckets aligned on the bucket size.
    const day = store.timeline.findings({ sinceTs: M0, untilTs: M0 + 24 * HOUR - 1 });
    expect(day.bucketUs).toBe(15 * MINUTE_US);
    expect(day.ts[0]).toBe(Math.floor(M0 / day.bucketUs) * day.bucketUs);
    expect(day.series.voice?.reduce((s, n) => s + n, 0)).toBe(2);
    store.purge({ everything: true });
    expect(store.timeline.findings()).toEqual({ bucketUs: MINUTE_US, ts: [], series: {} });
  });
});
