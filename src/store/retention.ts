/**
 * Retention of captured personal data: `purge` removes evidence blobs, the unredacted `value` of matching findings
 * and their search keys (search.ts) (with `everything`, the findings, flows, messages and violations themselves) and the dashboard's reveal log
 * entries about them in one transaction; then VACUUM rewrites the file and `wal_checkpoint(TRUNCATE)` empties the
 * WAL, so no purged byte lingers in free pages or old frames (db.ts turns `secure_delete` on). It names the files
 * the purge covers — saved captures of matching captures, the TLS key log on a purge by age or of everything —
 * for the caller to delete (data-dir.ts `deleteDataFiles`): the store never touches files but its own.
 * `applyRetention` purges what is older than a number of days. Choosing when to call them is the CLI's.
 */
import type { Database } from 'better-sqlite3';
import type { Micros } from '../model/flow.ts';
import type { PurgeOptions, PurgeResult, Store } from './types.ts';

const MICROS_PER_DAY = 86_400_000_000;

type Where = { sql: string; params: unknown[] };

/** Conditions on a findings or flows row matching `opts` (older than, device, capture); none match every row. */
function matching(opts: PurgeOptions, flowIdCol: 'flow_id' | 'id'): Where {
  const c = ['1'];
  const params: unknown[] = [];
  const add = (sql: string, p: unknown) => {
    c.push(sql);
    params.push(p);
  };
  if (opts.beforeTs !== undefined) add('last_ts < ?', opts.beforeTs);
  if (opts.deviceId !== undefined) add('device_id = ?', opts.deviceId);
  if (opts.captureId !== undefined) add(`${flowIdCol} IN (SELECT id FROM flows WHERE capture_id = ?)`, opts.captureId);
  return { sql: c.join(' AND '), params };
}

/** Deletes captured personal data matching `opts` in one transaction; see {@link PurgeOptions}. */
export function purge(db: Database, opts: PurgeOptions): PurgeResult {
  const f = matching(opts, 'flow_id');
  const fl = matching(opts, 'id');
  const run = (sql: string, params: unknown[]) => db.prepare(sql).run(params).changes;
  const result = db
    .transaction((): PurgeResult => {
      const evidence = run(
        `DELETE FROM evidence WHERE flow_id IN (SELECT id FROM flows WHERE ${fl.sql})
           OR id IN (SELECT evidence_id FROM findings WHERE ${f.sql})`,
        [...fl.params, ...f.params],
      );
      const reveals = purgeReveals(db, opts);
      const files = coveredFiles(db, opts);
      if (!opts.everything) {
        const findings = run(
          `UPDATE findings SET value = NULL, evidence_id = NULL, detail_value = NULL, value_key = NULL
           WHERE ${f.sql} AND (value IS NOT NULL OR evidence_id IS NOT NULL OR detail_value IS NOT NULL)`,
          f.params,
        );
        dropUnusedSearchKeys(db);
        return { evidence, findings, flows: 0, reveals, ...files };
      }
      const findings = run(
        `DELETE FROM findings WHERE (${f.sql}) OR flow_id IN (SELECT id FROM flows WHERE ${fl.sql})`,
        [...f.params, ...fl.params],
      );
      run(`DELETE FROM violations WHERE flow_id IN (SELECT id FROM flows WHERE ${fl.sql})`, fl.params);
      const flows = run(`DELETE FROM flows WHERE ${fl.sql}`, fl.params); // messages go with them (cascade)
      run('DELETE FROM devices WHERE id NOT IN (SELECT device_id FROM flows)', []);
      if (opts.captureId !== undefined) run('DELETE FROM captures WHERE id = ?', [opts.captureId]);
      dropUnusedSearchKeys(db);
      return { evidence, findings, flows, reveals, ...files };
    })
    .immediate();
  if (result.evidence + result.findings + result.flows + result.reveals > 0) db.exec('VACUUM');
  db.pragma('wal_checkpoint(TRUNCATE)');
  return result;
}

/**
 * Search keys (personal values, normalised) no finding points to any more go, and the trigram index is rebuilt
 * from what is left, so no purged value stays in its segments (an FTS5 delete only marks).
 */
function dropUnusedSearchKeys(db: Database): void {
  const gone = db
    .prepare('DELETE FROM search_values WHERE NOT EXISTS (SELECT 1 FROM findings WHERE value_key = search_values.id)')
    .run().changes;
  if (gone > 0) db.exec("INSERT INTO search_trigrams (search_trigrams) VALUES ('rebuild')");
}

/** Reveal log entries within the purge: by age, or about findings of the device or capture; all without a filter. */
function purgeReveals(db: Database, opts: PurgeOptions): number {
  const c = ['1'];
  const params: unknown[] = [];
  if (opts.beforeTs !== undefined) {
    c.push('ts < ?');
    params.push(opts.beforeTs);
  }
  if (opts.deviceId !== undefined) {
    c.push('finding_id IN (SELECT id FROM findings WHERE device_id = ?)');
    params.push(opts.deviceId);
  }
  if (opts.captureId !== undefined) {
    c.push('finding_id IN (SELECT id FROM findings WHERE capture_id = ?)');
    params.push(opts.captureId);
  }
  return db.prepare(`DELETE FROM reveal_log WHERE ${c.join(' AND ')}`).run(params).changes;
}

/**
 * Files that hold data within the purge: a saved capture is whole traffic of every device on it, so it is covered
 * by a purge of its capture, by age (it ended before) or of everything, never by a device's; the key log (one file
 * for all devices) by a purge by age or of everything.
 */
function coveredFiles(db: Database, opts: PurgeOptions): Pick<PurgeResult, 'capturePaths' | 'keylog'> {
  if (opts.deviceId !== undefined) return { capturePaths: [], keylog: false };
  const c = ['1'];
  const params: unknown[] = [];
  if (opts.captureId !== undefined) {
    c.push('id = ?');
    params.push(opts.captureId);
  }
  if (opts.beforeTs !== undefined) {
    c.push('coalesce(last_ts, imported_at) < ?');
    params.push(opts.beforeTs);
  }
  const rows = db.prepare(`SELECT path FROM captures WHERE ${c.join(' AND ')}`).all(params) as { path: string }[];
  return { capturePaths: rows.map((r) => r.path), keylog: opts.captureId === undefined };
}

/** Purges captured personal data older than `days` days before `now` (default: the wall clock). */
export function applyRetention(store: Store, days: number, now: Micros = Date.now() * 1000): PurgeResult {
  return store.purge({ beforeTs: now - days * MICROS_PER_DAY });
}
