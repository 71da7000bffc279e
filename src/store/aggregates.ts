/**
 * Aggregates for the compliance report: one device's findings grouped by what was sent where (with a few sample
 * ids as evidence links), its flows and bytes by inspection state, the captures and the time span behind them —
 * optionally within time windows (experiments). Each is one indexed GROUP BY over that device's rows
 * (findings_device, flows_device), so a report over 100,000 findings reads them once. Reads only.
 */
import type { Database } from 'better-sqlite3';
import type { Category } from '../model/finding.ts';
import type { Micros, TlsState, Transport } from '../model/flow.ts';
import { cachedPrepare, type Prepare } from './statements.ts';

/** A time window, both ends inclusive (an open end: up to now). */
export interface Window {
  startTs: Micros;
  endTs?: Micros;
}

/** Findings of one kind from one device to one destination. */
export interface FindingGroup {
  category: Category;
  subtype: string;
  host: string;
  etld1: string;
  operator?: string;
  thirdParty: boolean;
  encrypted: boolean;
  count: number;
  firstTs: Micros;
  lastTs: Micros;
  /** Up to SAMPLE_IDS finding ids, the evidence links. */
  findingIds: string[];
}

/** Flows and bytes of one TLS state and transport. */
export interface CoverageRow {
  tls: TlsState;
  transport: Transport;
  flows: number;
  bytesUp: number;
  bytesDown: number;
}

/** Finding ids kept per group as evidence links. */
export const SAMPLE_IDS = 5;

type Row = Record<string, unknown>;

export class StoreAggregates {
  readonly #stmt: Prepare;

  constructor(db: Database) {
    this.#stmt = cachedPrepare(db);
  }

  #all(sql: string, params: unknown[]): Row[] {
    return this.#stmt(sql).all(params) as Row[];
  }

  /** `device_id = ?` and, with windows, `first_ts` inside any of them. */
  #where(deviceId: string, windows: readonly Window[] | undefined): { sql: string; params: unknown[] } {
    if (!windows) return { sql: 'device_id = ?', params: [deviceId] };
    if (windows.length === 0) return { sql: '0', params: [] };
    const parts = windows.map(() => 'first_ts BETWEEN ? AND ?');
    const params = windows.flatMap((w) => [w.startTs, w.endTs ?? Number.MAX_SAFE_INTEGER]);
    return { sql: `device_id = ? AND (${parts.join(' OR ')})`, params: [deviceId, ...params] };
  }

  findingGroups(deviceId: string, windows?: readonly Window[]): FindingGroup[] {
    const w = this.#where(deviceId, windows);
    const rows = this.#all(
      `SELECT category, subtype, destination_host AS host, max(destination_etld1) AS etld1,
         max(destination_operator) AS operator, destination_third_party AS third, encrypted, count(*) AS n,
         min(first_ts) AS first, max(last_ts) AS last, group_concat(id, char(10)) AS ids
       FROM findings WHERE ${w.sql}
       GROUP BY category, subtype, destination_host, destination_third_party, encrypted
       ORDER BY n DESC, category, subtype, host`,
      w.params,
    );
    return rows.map((r) => {
      const g: FindingGroup = {
        category: r.category as Category,
        subtype: r.subtype as string,
        host: r.host as string,
        etld1: (r.etld1 as string | null) ?? (r.host as string),
        thirdParty: r.third === 1,
        encrypted: r.encrypted === 1,
        count: r.n as number,
        firstTs: r.first as number,
        lastTs: r.last as number,
        findingIds: (r.ids as string).split('\n', SAMPLE_IDS),
      };
      if (r.operator !== null) g.operator = r.operator as string;
      return g;
    });
  }

  coverage(deviceId: string, windows?: readonly Window[]): CoverageRow[] {
    const w = this.#where(deviceId, windows);
    return this.#all(
      `SELECT tls, transport, count(*) AS n, sum(bytes_up) AS up, sum(bytes_down) AS down
       FROM flows WHERE ${w.sql} GROUP BY tls, transport ORDER BY up DESC`,
      w.params,
    ).map((r) => ({
      tls: r.tls as TlsState,
      transport: r.transport as Transport,
      flows: r.n as number,
      bytesUp: r.up as number,
      bytesDown: r.down as number,
    }));
  }

  /** The captures the device's flows came from, and the span of those flows. */
  span(deviceId: string, windows?: readonly Window[]): { captureIds: string[]; firstTs?: Micros; lastTs?: Micros } {
    const w = this.#where(deviceId, windows);
    const rows = this.#all(
      `SELECT capture_id, min(first_ts) AS first, max(last_ts) AS last FROM flows WHERE ${w.sql} GROUP BY capture_id`,
      w.params,
    );
    const ids = rows.map((r) => r.capture_id as string | null).filter((id): id is string => id !== null);
    if (rows.length === 0) return { captureIds: [] };
    return {
      captureIds: ids.sort(),
      firstTs: Math.min(...rows.map((r) => r.first as number)),
      lastTs: Math.max(...rows.map((r) => r.last as number)),
    };
  }
}
