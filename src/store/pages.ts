/**
 * Keyset pages over the big tables (findings, flows) for the dashboard and reports: newest first by
 * (first_ts, rowid), one `(filter column, first_ts)` index per filter (migrations/004), an opaque cursor instead of
 * OFFSET, and totals summed from the summary rows the writer's triggers keep (`finding_counts`, `flow_counts`),
 * never COUNT(*) over the table. A filter the summaries cannot answer (subtype, time, experiment) gives no total.
 * Also the change feed (`rev > N`) for live updates. Reads only; rows are rebuilt by queries.ts.
 */
import type { Database } from 'better-sqlite3';
import type { Category, Finding } from '../model/finding.ts';
import type { Micros, TlsState, Transport } from '../model/flow.ts';
import type { FlowRecord } from '../model/records.ts';
import { findingFromRow, flowFromRow } from './queries.ts';
import { cachedPrepare, type Prepare } from './statements.ts';

/** Rows a page holds when the query names no limit, and at most. */
export const DEFAULT_PAGE = 100;
export const MAX_PAGE = 1000;

/** Filters shared by findings and flows pages. */
export interface CommonFilter {
  deviceId?: string;
  captureId?: string;
  /** Exact destination host. */
  host?: string;
  /** Destination registrable domain (eTLD+1). */
  etld1?: string;
  thirdParty?: boolean;
  /** first_ts at or after. */
  sinceTs?: Micros;
  /** first_ts at or before. */
  untilTs?: Micros;
  /** Tag by time at query time: the experiment's window (and device, when it names one). */
  experimentId?: number;
}

export interface FindingFilter extends CommonFilter {
  category?: Category;
  subtype?: string;
  encrypted?: boolean;
}

export interface FlowFilter extends CommonFilter {
  transport?: Transport;
  tls?: TlsState;
}

/** Where a page starts: the cursor from the previous page's `next`, and how many rows. */
export interface PageRequest {
  cursor?: string;
  limit?: number;
}

export interface Page<T> {
  items: T[];
  /** Cursor of the next page; absent on the last one. */
  next?: string;
  /** Every row matching the filter, from the summary rows; absent when they cannot answer the filter. */
  total?: number;
}

/** Rows changed since a revision, oldest change first. */
export interface Changes {
  /** The revision to ask from next time. */
  rev: number;
  flows: FlowRecord[];
  findings: Finding[];
  /** More changes wait past this batch. */
  more: boolean;
  /** One commit held more rows than a batch: some were not returned (reload the lists). */
  skipped: boolean;
}

/** How summary counts are grouped: per device, or per device and destination host. */
export type CountGroup = 'device' | 'destination';

/** Findings of one category from one device (to one host, when grouped by destination). */
export interface FindingCount {
  deviceId: string;
  host?: string;
  category: Category;
  count: number;
}

/** Flows of one device (to one host) with one TLS state, and their bytes. */
export interface FlowCount {
  deviceId: string;
  host?: string;
  tls: TlsState;
  flows: number;
  bytesUp: number;
  bytesDown: number;
}

/** A malformed cursor or filter (a 400 for the dashboard, exit 2 for the CLI). */
export class PageQueryError extends Error {}

type Row = Record<string, unknown>;
type Where = { c: string[]; params: unknown[] };

/** `first_ts.rowid` in base64url: opaque to clients, checked strictly here. */
export function encodeCursor(firstTs: number, rowid: number): string {
  return Buffer.from(`${firstTs}.${rowid}`).toString('base64url');
}

export function decodeCursor(cursor: string): [number, number] {
  const m = /^(\d{1,17})\.(\d{1,17})$/.exec(Buffer.from(cursor, 'base64url').toString('latin1'));
  if (!m) throw new PageQueryError('bad cursor');
  return [Number(m[1]), Number(m[2])];
}

function pageLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_PAGE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
    throw new PageQueryError(`limit must be 1..${MAX_PAGE}`);
  }
  return limit;
}

const EQ_FINDING: ReadonlyArray<[keyof FindingFilter, string]> = [
  ['deviceId', 'device_id'],
  ['category', 'category'],
  ['subtype', 'subtype'],
  ['captureId', 'capture_id'],
  ['host', 'destination_host'],
  ['etld1', 'destination_etld1'],
  ['thirdParty', 'destination_third_party'],
  ['encrypted', 'encrypted'],
];
const EQ_FLOW: ReadonlyArray<[keyof FlowFilter, string]> = [
  ['deviceId', 'device_id'],
  ['captureId', 'capture_id'],
  ['host', 'destination_host'],
  ['etld1', 'destination_etld1'],
  ['thirdParty', 'destination_third_party'],
  ['transport', 'transport'],
  ['tls', 'tls'],
];
/** Filters the summary rows answer, and their column there. */
const FINDING_COUNT_COLS: Partial<Record<keyof FindingFilter, string>> = {
  deviceId: 'device_id',
  category: 'category',
  captureId: 'capture_id',
  host: 'destination_host',
  etld1: 'etld1',
  thirdParty: 'third_party',
  encrypted: 'encrypted',
};
const FLOW_COUNT_COLS: Partial<Record<keyof FlowFilter, string>> = {
  deviceId: 'device_id',
  captureId: 'capture_id',
  host: 'destination_host',
  etld1: 'etld1',
  thirdParty: 'third_party',
  transport: 'transport',
  tls: 'tls',
};

const sqlValue = (v: unknown): unknown => (typeof v === 'boolean' ? (v ? 1 : 0) : v);

/** Keyset pages and change feed over one connection; statements prepared once per SQL text. */
export class StorePages {
  readonly #stmt: Prepare;

  constructor(db: Database) {
    this.#stmt = cachedPrepare(db);
  }

  /** A filter the summary rows say matches nothing is answered without touching the table. */
  findings(filter: FindingFilter, req: PageRequest = {}): Page<Finding> {
    checkRequest(req);
    const total = this.#total('finding_counts', FINDING_COUNT_COLS, filter);
    if (total === 0) return { items: [], total };
    return withTotal(this.#page('findings', filter, req, findingFromRow), total);
  }

  flows(filter: FlowFilter, req: PageRequest = {}): Page<FlowRecord> {
    checkRequest(req);
    const total = this.#total('flow_counts', FLOW_COUNT_COLS, filter);
    if (total === 0) return { items: [], total };
    return withTotal(this.#page('flows', filter, req, flowFromRow), total);
  }

  /** The SQL and parameters of a page query (for EXPLAIN QUERY PLAN tests). */
  pageSql(
    table: 'findings' | 'flows',
    filter: FindingFilter & FlowFilter,
    req: PageRequest = {},
  ): Where & {
    sql: string;
  } {
    const w = this.#where(table === 'findings' ? EQ_FINDING : EQ_FLOW, filter);
    if (req.cursor !== undefined) {
      const [ts, rowid] = decodeCursor(req.cursor);
      w.c.push('(first_ts, rowid) < (?, ?)');
      w.params.push(ts, rowid);
    }
    const where = w.c.length ? `WHERE ${w.c.join(' AND ')}` : '';
    w.params.push(pageLimit(req.limit) + 1);
    return { ...w, sql: `SELECT *, rowid AS rowid_ FROM ${table} ${where} ORDER BY first_ts DESC, rowid DESC LIMIT ?` };
  }

  #page<T>(
    table: 'findings' | 'flows',
    filter: FindingFilter & FlowFilter,
    req: PageRequest,
    fromRow: (r: Row) => T,
  ): Page<T> {
    if (this.#empty(filter)) return { items: [] };
    const q = this.pageSql(table, filter, req);
    const rows = this.#stmt(q.sql).all(q.params) as Row[];
    const limit = pageLimit(req.limit);
    const last = rows.length > limit ? rows[limit - 1] : undefined;
    const items = rows.slice(0, limit).map(fromRow);
    return last ? { items, next: encodeCursor(last.first_ts as number, last.rowid_ as number) } : { items };
  }

  /** An experiment that does not exist, or names another device than the filter: nothing matches. */
  #empty(filter: CommonFilter): boolean {
    if (filter.experimentId === undefined) return false;
    const e = this.#experiment(filter.experimentId);
    return !e || (e.device_id !== null && filter.deviceId !== undefined && e.device_id !== filter.deviceId);
  }

  #experiment(id: number): Row | undefined {
    return this.#stmt('SELECT * FROM experiments WHERE id = ?').get(id) as Row | undefined;
  }

  #where(eq: ReadonlyArray<[string, string]>, filter: FindingFilter & FlowFilter): Where {
    const w: Where = { c: [], params: [] };
    const f = filter as Record<string, unknown>;
    let deviceId = filter.deviceId;
    let since = filter.sinceTs;
    let until = filter.untilTs;
    if (filter.experimentId !== undefined) {
      const e = this.#experiment(filter.experimentId);
      if (e) {
        deviceId ??= (e.device_id as string | null) ?? undefined;
        since = Math.max(since ?? 0, e.start_ts as number);
        if (e.end_ts !== null) until = Math.min(until ?? Number.MAX_SAFE_INTEGER, e.end_ts as number);
      }
    }
    for (const [key, col] of eq) {
      const v = key === 'deviceId' ? deviceId : f[key];
      if (v === undefined) continue;
      w.c.push(`${col} = ?`);
      w.params.push(sqlValue(v));
    }
    if (since !== undefined) {
      w.c.push('first_ts >= ?');
      w.params.push(since);
    }
    if (until !== undefined) {
      w.c.push('first_ts <= ?');
      w.params.push(until);
    }
    return w;
  }

  #total(table: string, cols: Partial<Record<string, string>>, filter: object): number | undefined {
    const c: string[] = [];
    const params: unknown[] = [];
    for (const [key, v] of Object.entries(filter)) {
      if (v === undefined) continue;
      const col = cols[key];
      if (!col) return undefined;
      c.push(`${col} = ?`);
      params.push(sqlValue(v));
    }
    const sql = `SELECT coalesce(sum(n), 0) AS n FROM ${table} ${c.length ? `WHERE ${c.join(' AND ')}` : ''}`;
    return (this.#stmt(sql).get(params) as { n: number }).n;
  }

  /** Findings per device (and destination host, with `'destination'`) and category, from the summary rows. */
  findingCounts(by: CountGroup, deviceId?: string): FindingCount[] {
    const host = by === 'destination' ? ', destination_host' : '';
    const where = deviceId === undefined ? '' : 'WHERE device_id = ?';
    const sql = `SELECT device_id${host}, category, sum(n) AS n FROM finding_counts ${where}
      GROUP BY device_id${host}, category`;
    return (this.#stmt(sql).all(deviceId === undefined ? [] : [deviceId]) as Row[]).map((r) => {
      const c: FindingCount = {
        deviceId: r.device_id as string,
        category: r.category as Category,
        count: r.n as number,
      };
      if (host) c.host = r.destination_host as string;
      return c;
    });
  }

  /** Flows and bytes per device (and destination host) and TLS state, from the summary rows. */
  flowCounts(by: CountGroup, deviceId?: string): FlowCount[] {
    const host = by === 'destination' ? ', destination_host' : '';
    const where = deviceId === undefined ? '' : 'WHERE device_id = ?';
    const sql = `SELECT device_id${host}, tls, sum(n) AS n, sum(bytes_up) AS up, sum(bytes_down) AS down
      FROM flow_counts ${where} GROUP BY device_id${host}, tls`;
    return (this.#stmt(sql).all(deviceId === undefined ? [] : [deviceId]) as Row[]).map((r) => {
      const c: FlowCount = {
        deviceId: r.device_id as string,
        tls: r.tls as TlsState,
        flows: r.n as number,
        bytesUp: r.up as number,
        bytesDown: r.down as number,
      };
      if (host) c.host = r.destination_host as string;
      return c;
    });
  }

  /** The latest committed revision. */
  rev(): number {
    return (this.#stmt('SELECT rev FROM store_rev').get() as { rev: number }).rev;
  }

  /** Flows and findings written after revision `since`, at most `limit` of each. */
  changes(since: number, limit = MAX_PAGE): Changes {
    const rev = this.rev();
    const flows = this.#stmt('SELECT * FROM flows WHERE rev > ? AND rev <= ? ORDER BY rev LIMIT ?').all(
      since,
      rev,
      limit + 1,
    ) as Row[];
    const findings = this.#stmt('SELECT * FROM findings WHERE rev > ? AND rev <= ? ORDER BY rev LIMIT ?').all(
      since,
      rev,
      limit + 1,
    ) as Row[];
    const over = [flows, findings].filter((l) => l.length > limit);
    // With more waiting, stop below the lowest revision a cut list reached, so the next call loses nothing; one
    // commit larger than `limit` is cut (`skipped`: the reader should reload its lists).
    let upTo = rev;
    let skipped = false;
    if (over.length > 0) {
      const reached = Math.min(...over.map((l) => l[limit - 1]!.rev as number));
      skipped = reached - 1 <= since;
      upTo = skipped ? reached : reached - 1;
    }
    const keep = (l: Row[]) => l.slice(0, limit).filter((r) => (r.rev as number) <= upTo);
    return {
      rev: upTo,
      flows: keep(flows).map(flowFromRow),
      findings: keep(findings).map(findingFromRow),
      more: upTo < rev,
      skipped,
    };
  }
}

/** A bad limit or cursor is an error even when nothing would match. */
function checkRequest(req: PageRequest): void {
  pageLimit(req.limit);
  if (req.cursor !== undefined) decodeCursor(req.cursor);
}

function withTotal<T>(page: Page<T>, total: number | undefined): Page<T> {
  return total === undefined ? page : { ...page, total };
}
