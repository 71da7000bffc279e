/**
 * What testers do, kept beside what devices did: experiments (a labelled time window, optionally for one device,
 * that tags flows and findings by time at query time) and the dashboard's reveal log (who unmasked which finding,
 * when). Reads and writes on the store's connection, outside the batching writer (rare, and wanted at once).
 */
import type { Database } from 'better-sqlite3';
import type { Micros } from '../model/flow.ts';
import type { ExperimentRecord, NewExperiment, RevealEntry } from './types.ts';

type Row = Record<string, unknown>;

export function experimentFromRow(r: Row): ExperimentRecord {
  const e: ExperimentRecord = { id: r.id as number, name: r.name as string, startTs: r.start_ts as number };
  if (r.end_ts !== null) e.endTs = r.end_ts as number;
  if (r.notes !== null) e.notes = r.notes as string;
  if (r.device_id !== null && r.device_id !== undefined) e.deviceId = r.device_id as string;
  return e;
}

export class StoreJournal {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  startExperiment(e: NewExperiment): ExperimentRecord {
    const row = this.#db
      .prepare('INSERT INTO experiments (name, start_ts, end_ts, notes, device_id) VALUES (?, ?, ?, ?, ?) RETURNING *')
      .get(e.name, e.startTs, e.endTs ?? null, e.notes ?? null, e.deviceId ?? null) as Row;
    return experimentFromRow(row);
  }

  endExperiment(id: number, endTs: Micros): void {
    this.#db.prepare('UPDATE experiments SET end_ts = ? WHERE id = ?').run(endTs, id);
  }

  listExperiments(): ExperimentRecord[] {
    const rows = this.#db.prepare('SELECT * FROM experiments ORDER BY start_ts DESC, id DESC').all() as Row[];
    return rows.map(experimentFromRow);
  }

  getExperiment(id: number): ExperimentRecord | undefined {
    const row = this.#db.prepare('SELECT * FROM experiments WHERE id = ?').get(id) as Row | undefined;
    return row && experimentFromRow(row);
  }

  logReveal(r: Omit<RevealEntry, 'id'>): void {
    this.#db
      .prepare('INSERT INTO reveal_log (ts, finding_id, session, remote, user_agent) VALUES (?, ?, ?, ?, ?)')
      .run(r.ts, r.findingId, r.session, r.remote, r.userAgent ?? null);
  }

  listReveals(limit = 1000): RevealEntry[] {
    const rows = this.#db.prepare('SELECT * FROM reveal_log ORDER BY ts DESC, id DESC LIMIT ?').all(limit) as Row[];
    return rows.map((r) => {
      const e: RevealEntry = {
        id: r.id as number,
        ts: r.ts as number,
        findingId: r.finding_id as string,
        session: r.session as string,
        remote: r.remote as string,
      };
      if (r.user_agent !== null) e.userAgent = r.user_agent as string;
      return e;
    });
  }
}
