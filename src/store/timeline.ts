/**
 * Findings per category over time (the overview's timeline), summed from `finding_minutes` (migrations/010), never
 * from the findings table: the bucket is the smallest step of a ladder (1 min … 30 days) that cuts the range into
 * at most MAX_TIMELINE_BUCKETS, so a chart over months costs as little as one over an hour. The range is the
 * caller's, else the whole record (first to last minute holding a finding). Reads only.
 */
import type { Database } from 'better-sqlite3';
import type { Category } from '../model/finding.ts';
import type { Micros } from '../model/flow.ts';
import { MINUTE_US } from './migrations/010-finding-minutes.ts';
import { cachedPrepare, type Prepare } from './statements.ts';

/** Buckets one answer holds, at most. */
export const MAX_TIMELINE_BUCKETS = 120;

/** Bucket sizes in minutes, smallest first. */
const LADDER_MIN = [1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10080, 43200];

export interface TimelineQuery {
  /** µs since the epoch (first_ts at or after); default: the first finding's minute. */
  sinceTs?: Micros;
  /** µs since the epoch (first_ts before the end of this minute); default: the last finding's minute. */
  untilTs?: Micros;
}

export interface Timeline {
  /** Bucket size in µs (a whole number of minutes). */
  bucketUs: number;
  /** Start of each bucket, µs since the epoch, oldest first (absent when the store holds no finding in range). */
  ts: Micros[];
  /** Findings first seen in each bucket, per category that has any (same length as `ts`). */
  series: Partial<Record<Category, number[]>>;
}

/** The smallest ladder step (µs) that cuts `spanUs` into at most MAX_TIMELINE_BUCKETS buckets. */
export function bucketFor(spanUs: number): number {
  const minutes = Math.max(1, Math.ceil(spanUs / MINUTE_US));
  const step =
    LADDER_MIN.find((m) => Math.ceil(minutes / m) <= MAX_TIMELINE_BUCKETS) ?? Math.ceil(minutes / MAX_TIMELINE_BUCKETS);
  return step * MINUTE_US;
}

export class StoreTimeline {
  readonly #stmt: Prepare;

  constructor(db: Database) {
    this.#stmt = cachedPrepare(db);
  }

  findings(q: TimelineQuery = {}): Timeline {
    const bounds = this.#stmt('SELECT min(minute) AS lo, max(minute) AS hi FROM finding_minutes').get() as {
      lo: number | null;
      hi: number | null;
    };
    const lo = q.sinceTs === undefined ? bounds.lo : Math.floor(q.sinceTs / MINUTE_US);
    const hi = q.untilTs === undefined ? bounds.hi : Math.floor(q.untilTs / MINUTE_US);
    if (lo === null || hi === null || hi < lo) return { bucketUs: MINUTE_US, ts: [], series: {} };
    const bucketUs = bucketFor((hi - lo + 1) * MINUTE_US);
    const per = bucketUs / MINUTE_US;
    const first = Math.floor(lo / per) * per;
    const n = Math.floor(hi / per) - first / per + 1;
    const ts = Array.from({ length: n }, (_, i) => (first + i * per) * MINUTE_US);
    const series: Partial<Record<Category, number[]>> = {};
    const rows = this.#stmt(
      // `%` works in integers whatever the binding (a JS number binds as REAL, where `/` would not truncate).
      `SELECT category, minute - minute % ? AS b, sum(n) AS n FROM finding_minutes
       WHERE minute BETWEEN ? AND ? GROUP BY category, b`,
    ).all(per, lo, hi) as Array<{ category: Category; b: number; n: number }>;
    for (const r of rows) {
      series[r.category] ??= new Array<number>(n).fill(0);
      series[r.category]![(r.b - first) / per] = r.n;
    }
    return { bucketUs, ts, series };
  }
}
